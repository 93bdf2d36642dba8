#include "bmfm/model/classifier.h"

namespace bmfm::model {

ClassifierModelImpl::ClassifierModelImpl(const ModelConfig& cfg, const ModelShape& shape, int64_t gene_dim,
                                         std::string pooling, int64_t head_layers, std::vector<LabelHeadSpec> heads) {
  const int64_t H = cfg.hidden_size;
  bert_ = register_module("bert", Bert(cfg, shape, gene_dim > 0 ? gene_dim : H));
  heads_ = register_module("label_heads", LabelHeads(H, cfg.dropout, std::move(pooling), head_layers, std::move(heads)));
  init_weights(*this, cfg.init_std);
}

at::Tensor ClassifierModelImpl::pooled(const BatchTensors& b) { return heads_->pooled(bert_->forward(b), b); }

std::vector<at::Tensor> ClassifierModelImpl::forward(const BatchTensors& b) { return heads_->forward(bert_->forward(b), b); }

}  // namespace bmfm::model

#include "bmfm/model/pretrain_model.h"

#include <stdexcept>

namespace bmfm::model {

PretrainModelImpl::PretrainModelImpl(const ModelConfig& cfg, const ModelShape& shape, int64_t gene_dim)
    : cfg_(cfg), shape_(shape) {
  if (shape.vocab_size <= 0) throw std::invalid_argument("model: empty vocabulary");
  const int64_t H = cfg.hidden_size;
  bert_ = register_module("bert", Bert(cfg, shape, gene_dim > 0 ? gene_dim : H));
  if (shape.gene_head) gene_head_ = register_module("gene_head", PredictionHead(H, shape.vocab_size, cfg.layer_norm_eps));
  if (shape.expr_head == "bins")
    expr_head_ = register_module("expr_head", PredictionHead(H, shape.n_expr_bins, cfg.layer_norm_eps));
  else if (shape.expr_head == "regression")
    expr_head_ = register_module("expr_head", PredictionHead(H, 2, cfg.layer_norm_eps));
  if (shape.wced_width > 0)
    wced_head_ = register_module("wced_head", PredictionHead(H, 2 * shape.wced_width, cfg.layer_norm_eps));
  if (!shape.labels.empty())
    label_heads_ = register_module(
        "label_heads", LabelHeads(H, cfg.dropout, cfg.label_pooling, cfg.label_head_layers, shape.labels));
  init_weights(*this, cfg.init_std);
}

ModelOutputs PretrainModelImpl::forward(const BatchTensors& b) {
  ModelOutputs out;
  out.hidden = bert_->forward(b);
  const int64_t H = out.hidden.size(2);
  at::Tensor flat = out.hidden.reshape({-1, H});
  if (gene_head_ && b.gene_pos.defined()) out.gene_logits = gene_head_->forward(flat.index_select(0, b.gene_pos));
  if (expr_head_ && b.expr_pos.defined()) out.expr_out = expr_head_->forward(flat.index_select(0, b.expr_pos));
  if (wced_head_) {
    at::Tensor w = wced_head_->forward(out.hidden.select(1, 0)).view({b.B, 2, shape_.wced_width});
    out.wced_value = w.select(1, 0);
    out.wced_zero = w.select(1, 1);
  }
  if (label_heads_) out.labels = label_heads_->forward(out.hidden, b);
  return out;
}

}  // namespace bmfm::model

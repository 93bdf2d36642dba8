#include "bmfm/model/pretrain_model.h"

#include <stdexcept>

#include <fmt/format.h>
#include <torch/autograd.h>

#include "bmfm/model/pooling.h"

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
  if (shape.contrastive_dim > 0) {
    proj_in_ = register_module("proj_in", torch::nn::Linear(H, H));
    proj_out_ = register_module("proj_out", torch::nn::Linear(H, shape.contrastive_dim));
  }
  init_weights(*this, cfg.init_std);
}

ModelOutputs PretrainModelImpl::forward(const BatchTensors& b) {
  ModelOutputs out;
  out.hidden = bert_->forward(b);
  const int64_t H = out.hidden.size(2);
  at::Tensor flat = out.hidden.reshape({-1, H});
  if (gene_head_ && b.gene_pos.defined()) out.gene_logits = gene_head_->forward(flat.index_select(0, b.gene_pos));
  if (expr_head_ && b.expr_pos.defined()) out.expr_out = expr_head_->forward(flat.index_select(0, b.expr_pos));
  at::Tensor cell;
  if (wced_head_ || proj_in_) cell = pool_cells(out.hidden, b, cfg_.cell_pooling);
  if (proj_in_) out.projection = proj_out_->forward(at::relu(proj_in_->forward(cell)));
  if (wced_head_) {
    at::Tensor w = wced_head_->forward(cell).view({b.B, 2, shape_.wced_width});
    out.wced_value = w.select(1, 0);
    out.wced_zero = w.select(1, 1);
  }
  if (label_heads_) out.labels = label_heads_->forward(out.hidden, b);
  return out;
}

void PretrainModelImpl::init_wced_bias(const std::vector<float>& value, const std::vector<float>& zero_logit) {
  if (!wced_head_) throw std::logic_error("init_wced_bias: the model has no WCED head");
  const int64_t V = shape_.wced_width;
  if (static_cast<int64_t>(value.size()) != V || static_cast<int64_t>(zero_logit.size()) != V)
    throw std::invalid_argument(fmt::format("init_wced_bias: expected {} values each, got {} and {}", V, value.size(),
                                            zero_logit.size()));
  torch::NoGradGuard no_grad;
  at::Tensor& bias = wced_head_->decoder_bias();  // (2 V): values, then is-zero logits (forward's view)
  bias.narrow(0, 0, V).copy_(at::from_blob(const_cast<float*>(value.data()), {V}, at::kFloat));
  bias.narrow(0, V, V).copy_(at::from_blob(const_cast<float*>(zero_logit.data()), {V}, at::kFloat));
}

}  // namespace bmfm::model

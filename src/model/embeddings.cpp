#include "bmfm/model/embeddings.h"

#include <stdexcept>

#include <fmt/format.h>
#include <torch/autograd.h>

#include "bmfm/model/compat.h"

#include "bmfm/data/batch.h"
#include "bmfm/model/compat.h"

namespace bmfm::model {

FieldEmbeddingsImpl::FieldEmbeddingsImpl(const ModelConfig& cfg, const ModelShape& shape, int64_t gene_dim)
    : dropout_(cfg.dropout) {
  const int64_t H = cfg.hidden_size;
  gene_ = register_module("gene", torch::nn::Embedding(shape.vocab_size, gene_dim));
  if (gene_dim != H)
    gene_proj_ = register_module("gene_proj", torch::nn::Linear(torch::nn::LinearOptions(gene_dim, H).bias(false)));
  if (!shape.expressions.empty())
    expr_ = register_module(
        "expressions",
        ExpressionEncoder(cfg.expression_encoder, H, shape.expressions == "binned" ? shape.n_expr_bins : 0));
  if (shape.n_perturbations > 0)
    perturbation_ = register_module(
        "perturbations", torch::nn::Embedding(data::field_token::kFirstValue + shape.n_perturbations, H));
  if (cfg.position_embedding == "absolute")
    position_ = register_module("position", torch::nn::Embedding(shape.max_length, H));
  norm_ = register_module(
      "norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({H}).eps(cfg.layer_norm_eps)));
}

at::Tensor FieldEmbeddingsImpl::forward(const BatchTensors& b) {
  at::Tensor x = gene_->forward(b.gene_ids);
  if (gene_proj_) x = gene_proj_->forward(x);
  if (expr_) x = x + expr_->forward(b.expr_token_ids, b.expr_values, b.expr_special);
  if (perturbation_) x = x + perturbation_->forward(b.perturbation_ids);
  if (position_) {
    if (b.L > position_->weight.size(0))
      throw std::invalid_argument(fmt::format("sequence length {} exceeds the absolute position table ({})", b.L,
                                              position_->weight.size(0)));
    x = x + position_->weight.narrow(0, 0, b.L).unsqueeze(0);
  }
  x = norm_->forward(x);
  return compat::dropout(x, dropout_, is_training());
}

void FieldEmbeddingsImpl::init_gene_rows(const std::vector<float>& values, const std::vector<uint8_t>& covered,
                                         bool freeze) {
  const int64_t V = gene_->weight.size(0), D = gene_->weight.size(1);
  if (static_cast<int64_t>(covered.size()) != V || static_cast<int64_t>(values.size()) != V * D)
    throw std::invalid_argument(fmt::format("pretrained gene rows: expected {} x {}, got {} values for {} rows", V, D,
                                            values.size(), covered.size()));
  at::Tensor src = at::from_blob(const_cast<float*>(values.data()), {V, D}, at::kFloat);
  at::Tensor cov = at::from_blob(const_cast<uint8_t*>(covered.data()), {V}, at::kByte).to(at::kBool).clone();
  {
    torch::NoGradGuard no_grad;
    gene_->weight.index_put_({cov}, src.index({cov}).to(gene_->weight.device()));
  }
  if (freeze) {
    frozen_rows_ = cov.to(at::kFloat).unsqueeze(1).to(gene_->weight.device());
    at::Tensor keep = 1.0 - frozen_rows_;
    gene_->weight.register_hook([keep](at::Tensor g) { return g * keep; });
  }
}

}  // namespace bmfm::model

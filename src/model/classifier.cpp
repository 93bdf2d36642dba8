#include "bmfm/model/classifier.h"

#include <stdexcept>

#include <torch/autograd.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/dropout.h>

#include "bmfm/model/compat.h"

namespace bmfm::model {
namespace {

struct GradientReversal : public torch::autograd::Function<GradientReversal> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, double alpha) {
    ctx->saved_data["alpha"] = alpha;
    return x.view_as(x);
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grad) {
    const double alpha = ctx->saved_data["alpha"].toDouble();
    return {grad[0] * -alpha, at::Tensor()};
  }
};

}  // namespace

at::Tensor gradient_reversal(const at::Tensor& x, double alpha) { return GradientReversal::apply(x, alpha); }

ClassifierModelImpl::ClassifierModelImpl(const ModelConfig& cfg, const ModelShape& shape, int64_t gene_dim,
                                         std::string pooling, int64_t head_layers, std::vector<LabelHeadSpec> heads)
    : pooling_(std::move(pooling)), dropout_(cfg.dropout), specs_(std::move(heads)) {
  if (pooling_ != "cls" && pooling_ != "mean" && pooling_ != "pooler")
    throw std::invalid_argument("pooling must be cls, mean or pooler, not " + pooling_);
  const int64_t H = cfg.hidden_size;
  bert_ = register_module("bert", Bert(cfg, shape, gene_dim > 0 ? gene_dim : H));
  if (pooling_ == "pooler") pooler_ = register_module("pooler", torch::nn::Linear(H, H));
  heads_ = register_module("heads", torch::nn::ModuleList());
  for (const auto& s : specs_) {
    if (s.n_classes < 2) throw std::invalid_argument("label head " + s.name + ": needs at least 2 classes");
    if (head_layers == 2)
      heads_->push_back(torch::nn::Sequential(torch::nn::Linear(H, H), torch::nn::GELU(),
                                              torch::nn::Dropout(cfg.dropout), torch::nn::Linear(H, s.n_classes)));
    else
      heads_->push_back(torch::nn::Sequential(torch::nn::Linear(H, s.n_classes)));
  }
  init_weights(*this, cfg.init_std);
}

at::Tensor ClassifierModelImpl::pooled(const BatchTensors& b) {
  at::Tensor h = bert_->forward(b);
  if (pooling_ == "mean") {
    // Real tokens are where the additive mask is 0 (no mask: all real).
    at::Tensor real = b.attn_mask.defined() ? b.attn_mask.view({b.B, b.L}).eq(0).to(h.scalar_type())
                                            : at::ones({b.B, b.L}, h.options());
    return (h * real.unsqueeze(-1)).sum(1) / real.sum(1, true).clamp_min(1);
  }
  at::Tensor cls = h.select(1, 0);
  return pooling_ == "pooler" ? at::tanh(pooler_->forward(cls)) : cls;
}

std::vector<at::Tensor> ClassifierModelImpl::forward(const BatchTensors& b) {
  at::Tensor x = compat::dropout(pooled(b), dropout_, is_training());
  std::vector<at::Tensor> out;
  for (size_t i = 0; i < specs_.size(); ++i) {
    at::Tensor in = specs_[i].grl ? gradient_reversal(x, specs_[i].grl_alpha) : x;
    out.push_back(heads_[i]->as<torch::nn::SequentialImpl>()->forward(in));
  }
  return out;
}

}  // namespace bmfm::model

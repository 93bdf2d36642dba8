#include "bmfm/model/heads.h"

namespace bmfm::model {

PredictionHeadImpl::PredictionHeadImpl(int64_t hidden, int64_t n_out, double layer_norm_eps) {
  dense_ = register_module("dense", torch::nn::Linear(hidden, hidden));
  norm_ = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden}).eps(layer_norm_eps)));
  decoder_ = register_module("decoder", torch::nn::Linear(hidden, n_out));
}

at::Tensor PredictionHeadImpl::forward(const at::Tensor& x) {
  // Under bf16 autocast the dense output is bf16, and 1.13's CPU LayerNorm
  // does not take a bf16 input with fp32 weights: normalise in fp32.
  at::Tensor h = at::gelu(dense_->forward(x));
  return decoder_->forward(norm_->forward(h.to(norm_->weight.scalar_type())));
}

}  // namespace bmfm::model

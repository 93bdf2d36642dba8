// Prediction heads: dense -> GELU -> LayerNorm -> Linear(H, n_out), BERT's
// MLM "transform + decoder". Used for masked genes (n_out = vocabulary),
// binned expressions (n_out = bins), continuous expressions (n_out = 2: value,
// is-zero logit) and the WCED decoder (n_out = 2 V, from the CLS state).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

namespace bmfm::model {

class PredictionHeadImpl : public torch::nn::Module {
 public:
  PredictionHeadImpl(int64_t hidden, int64_t n_out, double layer_norm_eps);
  at::Tensor forward(const at::Tensor& x);  // (..., H) -> (..., n_out)
  at::Tensor& decoder_bias() { return decoder_->bias; }  // (n_out): where the outputs start

 private:
  torch::nn::Linear dense_{nullptr}, decoder_{nullptr};
  torch::nn::LayerNorm norm_{nullptr};
};
TORCH_MODULE(PredictionHead);

}  // namespace bmfm::model

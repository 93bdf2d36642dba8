// Expression value -> hidden vector (ModelConfig::expression_encoder).
//
// Binned expressions are tokens: one embedding row per field token
// (data::field_token specials, then one per bin). Continuous values go
// through an MLP or a periodic (trainable-frequency sin/cos) basis; special
// positions (CLS, SEP, PAD, MASK) and, with zero_as_special, exact zeros take
// learned embeddings instead, so a masked value is never fed as a number.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>

#include "bmfm/model/model_config.h"

namespace bmfm::model {

class ExpressionEncoderImpl : public torch::nn::Module {
 public:
  // n_bins > 0: binned (token embedding); else continuous with cfg.kind.
  ExpressionEncoderImpl(const ExpressionEncoderConfig& cfg, int64_t hidden, int64_t n_bins);

  // Binned: token_ids (B, L) int64. Continuous: values (B, L) float and
  // special (B, L) int64 field_token codes (0 = value). Returns (B, L, H).
  at::Tensor forward(const at::Tensor& token_ids, const at::Tensor& values, const at::Tensor& special);

  // The continuous encoding of raw values (..., ) -> (..., H), no specials (for tests).
  at::Tensor encode_values(const at::Tensor& values);

  bool binned() const { return n_bins_ > 0; }
  static constexpr int64_t kZeroCode = 5;  // special-embedding row of exact zeros

 private:
  ExpressionEncoderConfig cfg_;
  int64_t n_bins_;
  torch::nn::Embedding tokens_{nullptr};   // binned
  torch::nn::Embedding special_{nullptr};  // continuous: rows 1..4 field_token specials, 5 = zero
  torch::nn::Linear in_{nullptr}, out_{nullptr};
  at::Tensor freqs_;  // periodic: (n_basis)
};
TORCH_MODULE(ExpressionEncoder);

}  // namespace bmfm::model

#include "bmfm/model/expression_encoder.h"

#include <cmath>

#include "bmfm/data/batch.h"

namespace bmfm::model {

ExpressionEncoderImpl::ExpressionEncoderImpl(const ExpressionEncoderConfig& cfg, int64_t hidden, int64_t n_bins)
    : cfg_(cfg), n_bins_(n_bins) {
  if (n_bins_ > 0) {
    tokens_ = register_module("tokens", torch::nn::Embedding(data::field_token::kFirstValue + n_bins_, hidden));
    return;
  }
  special_ = register_module("special", torch::nn::Embedding(kZeroCode + 1, hidden));
  if (cfg_.kind == "mlp") {
    in_ = register_module("in", torch::nn::Linear(1, cfg_.mlp_hidden));
    out_ = register_module("out", torch::nn::Linear(cfg_.mlp_hidden, hidden));
  } else {
    // Log-spaced initial frequencies cover values from ~0.1 to ~10 (log1p
    // expression ranges) at several scales; training moves them.
    freqs_ = register_parameter(
        "freqs", at::exp(at::linspace(std::log(cfg_.basis_min), std::log(cfg_.basis_max), cfg_.n_basis)));
    out_ = register_module("out", torch::nn::Linear(2 * cfg_.n_basis, hidden));
  }
}

at::Tensor ExpressionEncoderImpl::encode_values(const at::Tensor& values) {
  at::Tensor x = values.unsqueeze(-1);
  if (cfg_.kind == "mlp") return out_->forward(at::leaky_relu(in_->forward(x), 0.01));
  at::Tensor phase = x * freqs_;  // (..., n_basis)
  return out_->forward(at::cat({at::sin(phase), at::cos(phase)}, -1));
}

at::Tensor ExpressionEncoderImpl::forward(const at::Tensor& token_ids, const at::Tensor& values,
                                          const at::Tensor& special) {
  if (binned()) return tokens_->forward(token_ids);
  at::Tensor code = special;
  if (cfg_.zero_as_special) code = at::where(code.eq(0).logical_and(values.eq(0)), at::full({}, kZeroCode, code.options()), code);
  at::Tensor enc = encode_values(values);
  at::Tensor spec = special_->forward(code);
  return at::where(code.gt(0).unsqueeze(-1), spec.to(enc.scalar_type()), enc);
}

}  // namespace bmfm::model

// Every difference between the libtorch versions bmfm builds against (Debian's
// 1.13 on CPU machines, 2.x on GPU machines) lives here and nowhere else.
#pragma once

#include <ATen/ATen.h>
#include <torch/version.h>

#include <optional>

namespace bmfm::model::compat {

// True when this libtorch has the public at::scaled_dot_product_attention
// (2.0+: flash / memory-efficient kernels on CUDA, fused CPU kernel).
// 1.13's private at::_scaled_dot_product_attention is the plain composite
// (matmul, softmax, matmul) on CPU, no better than our explicit version.
inline constexpr bool kHasSdpa = TORCH_VERSION_MAJOR >= 2;

// softmax(q k^T / sqrt(d) + mask) v for q, k, v (B, heads, L, d). `mask` is
// additive (B, 1, 1, L), 0 or -inf, or undefined. Dropout on the attention
// probabilities when `dropout_p` > 0. Uses SDPA when available and allowed.
at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& mask,
                     double dropout_p, bool use_sdpa);

// The same computation written out (reference for tests, and 1.13's path).
at::Tensor attention_explicit(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& mask,
                              double dropout_p);

// Inverted dropout. On CPU, 1.13's at::dropout draws through bernoulli_,
// ~10x slower than uniform_ (a tenth of a training step went there): the CPU
// path draws uniforms and compares instead. CUDA keeps the fused kernel.
at::Tensor dropout(const at::Tensor& x, double p, bool train);

// bf16 autocast for the scope of the object on `device_type` (CPU or CUDA),
// restoring the previous state after. Disabled objects do nothing.
class AutocastGuard {
 public:
  AutocastGuard(at::DeviceType device_type, bool enabled);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  at::DeviceType device_;
  bool enabled_;
  bool prev_enabled_ = false;
  at::ScalarType prev_dtype_ = at::kFloat;
};

}  // namespace bmfm::model::compat

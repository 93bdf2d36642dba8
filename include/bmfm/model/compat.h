// The few places where bmfm picks between libtorch kernels (attention, dropout)
// or drives a libtorch state machine (autocast) live here. bmfm builds against
// LibTorch 2.x only (docs/design-changes.md: Debian's 1.13 was dropped).
#pragma once

#include <ATen/ATen.h>
#include <torch/version.h>

#include <optional>

namespace bmfm::model::compat {

static_assert(TORCH_VERSION_MAJOR >= 2, "bmfm needs LibTorch 2.x (scripts/install-deps.sh fetches it)");

// softmax(q k^T / sqrt(d) + mask) v for q, k, v (B, heads, L, d). `mask` is
// additive (B, 1, 1, L), 0 or -inf, or undefined. Dropout on the attention
// probabilities when `dropout_p` > 0. `use_sdpa`: at::scaled_dot_product_attention
// (flash / memory-efficient kernels on CUDA, the fused CPU kernel), else the
// explicit matmul-softmax-matmul below.
at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& mask,
                     double dropout_p, bool use_sdpa);

// The same computation written out (reference for tests; model.attention=explicit).
at::Tensor attention_explicit(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& mask,
                              double dropout_p);

// Inverted dropout. On CPU, at::dropout draws through bernoulli_, ~10x slower
// than uniform_ (measured on 1.13, where a tenth of a training step went
// there): the CPU path draws uniforms and compares instead. CUDA keeps the
// fused kernel.
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

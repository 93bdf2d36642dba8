#include "bmfm/model/compat.h"

#include <ATen/autocast_mode.h>

#include <cmath>

namespace bmfm::model::compat {

at::Tensor attention_explicit(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& mask,
                              double dropout_p) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  // Scale q (B h L d) rather than the (B h L L) scores: L/d times fewer multiplies.
  at::Tensor scores = at::matmul(q * scale, k.transpose(-2, -1));
  // The mask is cast to the scores' type (bf16 under autocast) so the
  // (B, h, L, L) scores and probabilities never widen to fp32: that cast and
  // its memory traffic cost more than the softmax itself (bf16 softmax still
  // accumulates in fp32 inside the kernel).
  if (mask.defined()) scores = scores + mask.to(scores.scalar_type());
  at::Tensor probs = at::softmax(scores, -1);
  if (dropout_p > 0) probs = compat::dropout(probs, dropout_p, /*train=*/true);
  return at::matmul(probs.to(v.scalar_type()), v);
}

at::Tensor dropout(const at::Tensor& x, double p, bool train) {
  if (!train || p <= 0) return x;
  if (!x.device().is_cpu()) return at::dropout(x, p, train);
  at::Tensor keep = at::rand(x.sizes(), x.options().dtype(at::kFloat)).ge_(p);
  return x * keep.to(x.scalar_type()) * (1.0 / (1.0 - p));
}

at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& mask,
                     double dropout_p, bool use_sdpa) {
  if (use_sdpa) {
    std::optional<at::Tensor> m;
    if (mask.defined()) m = mask.to(q.scalar_type());
    return at::scaled_dot_product_attention(q, k, v, m, dropout_p, /*is_causal=*/false);
  }
  return attention_explicit(q, k, v, mask, dropout_p);
}

namespace {
bool autocast_enabled(at::DeviceType d) { return at::autocast::is_autocast_enabled(d); }
void set_autocast_enabled(at::DeviceType d, bool on) { at::autocast::set_autocast_enabled(d, on); }
at::ScalarType autocast_dtype(at::DeviceType d) { return at::autocast::get_autocast_dtype(d); }
void set_autocast_dtype(at::DeviceType d, at::ScalarType t) { at::autocast::set_autocast_dtype(d, t); }
}  // namespace

AutocastGuard::AutocastGuard(at::DeviceType device_type, bool enabled) : device_(device_type), enabled_(enabled) {
  if (!enabled_) return;
  prev_enabled_ = autocast_enabled(device_);
  prev_dtype_ = autocast_dtype(device_);
  set_autocast_enabled(device_, true);
  set_autocast_dtype(device_, at::kBFloat16);
  at::autocast::increment_nesting();
}

AutocastGuard::~AutocastGuard() {
  if (!enabled_) return;
  // Leaving the outermost region frees the cached bf16 copies of the weights,
  // which are stale after the optimizer step.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_autocast_enabled(device_, prev_enabled_);
  set_autocast_dtype(device_, prev_dtype_);
}

}  // namespace bmfm::model::compat

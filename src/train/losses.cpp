#include "bmfm/train/losses.h"

#include <limits>
#include <stdexcept>
#include <string>

namespace bmfm::train {
namespace {

// sum(x * m) / max(sum(m), 1): a masked mean that is 0 on an empty mask.
at::Tensor masked_mean(const at::Tensor& x, const at::Tensor& mask) {
  at::Tensor m = mask.to(x.scalar_type());
  return (x * m).sum() / m.sum().clamp_min(1.0);
}

}  // namespace

at::Tensor cross_entropy(const at::Tensor& logits, const at::Tensor& targets, double label_smoothing) {
  if (logits.size(0) == 0) return logits.sum().to(at::kFloat) * 0;
  at::Tensor logp = at::log_softmax(logits.to(at::kFloat), -1);
  at::Tensor nll = -logp.gather(1, targets.unsqueeze(1)).squeeze(1);
  if (label_smoothing > 0) {
    const double K = static_cast<double>(logits.size(1));
    nll = (1 - label_smoothing) * nll - label_smoothing / K * logp.sum(1);
  }
  return nll.mean();
}

at::Tensor focal_loss(const at::Tensor& logits, const at::Tensor& targets, double gamma) {
  if (logits.size(0) == 0) return logits.sum().to(at::kFloat) * 0;
  at::Tensor logp = at::log_softmax(logits.to(at::kFloat), -1).gather(1, targets.unsqueeze(1)).squeeze(1);
  return (-(1 - logp.exp()).pow(gamma) * logp).mean();
}

at::Tensor token_value_loss(const at::Tensor& logits, const at::Tensor& target_bins) {
  if (logits.size(0) == 0) return logits.sum().to(at::kFloat) * 0;
  at::Tensor p = at::softmax(logits.to(at::kFloat), -1);
  at::Tensor k = at::arange(logits.size(1), p.options());
  at::Tensor expected = (p * k).sum(-1);
  return (expected - target_bins.to(at::kFloat)).pow(2).mean();
}

at::Tensor nonzero_mse(const at::Tensor& pred, const at::Tensor& target, const at::Tensor& mask) {
  at::Tensor p = pred.to(at::kFloat);
  at::Tensor keep = mask.logical_and(target.ne(0));
  return masked_mean((p - target).pow(2), keep);
}

at::Tensor is_zero_bce(const at::Tensor& zero_logit, const at::Tensor& target, const at::Tensor& mask) {
  at::Tensor z = zero_logit.to(at::kFloat);
  at::Tensor y = target.eq(0).to(at::kFloat);
  // log(1 + e^z) - y z, written stably.
  at::Tensor bce = at::clamp_min(z, 0) - z * y + at::log1p(at::exp(-z.abs()));
  return masked_mean(bce, mask);
}

at::Tensor multilabel_bce(const at::Tensor& logits, const at::Tensor& targets) {
  at::Tensor z = logits.to(at::kFloat);
  at::Tensor keep = targets.ne(-100);
  at::Tensor y = targets.clamp_min(0);
  at::Tensor bce = at::clamp_min(z, 0) - z * y + at::log1p(at::exp(-z.abs()));
  return masked_mean(bce, keep);
}

at::Tensor masked_mse(const at::Tensor& pred, const at::Tensor& target, const at::Tensor& mask) {
  // Missing targets may hold any number (NaN, -100): select, do not multiply by 0.
  at::Tensor t = at::where(mask, target, at::zeros_like(target));
  return masked_mean((pred.to(at::kFloat) - t).pow(2), mask);
}

at::Tensor info_nce(const at::Tensor& z, double temperature) {
  const int64_t n2 = z.size(0), n = n2 / 2;
  if (n2 < 2 || n2 % 2 != 0)
    throw std::invalid_argument("info_nce: needs an even number >= 2 of rows (two views per cell), got " +
                                std::to_string(n2));
  at::Tensor u = z.to(at::kFloat);
  u = u / u.norm(2, 1, true).clamp_min(1e-8);
  at::Tensor sim = at::matmul(u, u.t()) / temperature;
  // A row is never its own negative.
  sim = sim.masked_fill(at::eye(n2, sim.options().dtype(at::kBool)), -std::numeric_limits<float>::infinity());
  at::Tensor idx = at::arange(n2, sim.options().dtype(at::kLong));
  at::Tensor positive = at::where(idx.lt(n), idx + n, idx - n);
  return cross_entropy(sim, positive);
}

}  // namespace bmfm::train

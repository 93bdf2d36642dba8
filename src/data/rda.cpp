#include "bmfm/data/rda.h"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "log1p_normalize.h"

namespace bmfm::data {

namespace {

void log1p_normalize(const float* x, size_t n, double total, double target_sum, float* out) {
  if (!(total > 0)) {
    for (size_t i = 0; i < n; ++i) out[i] = 0.0f;
    return;
  }
  detail::log1p_normalize(x, n, total, target_sum, out);
}

}  // namespace

RdaOutcome rda_transform(const float* raw, size_t n, const RdaParams& p, Rng& rng, float* input, float* target) {
  if (p.mode == RdaMode::None) throw std::invalid_argument("rda_transform: mode is None");
  if (p.mode == RdaMode::Align && !(p.align_depth > 0))
    throw std::invalid_argument(fmt::format("rda_transform: align mode needs align_depth > 0, got {}", p.align_depth));
  RdaOutcome out;
  double R = 0;
  for (size_t i = 0; i < n; ++i) R += raw[i];
  out.raw_depth = R;
  out.target_depth = p.mode == RdaMode::Align ? p.align_depth : R;
  log1p_normalize(raw, n, R, p.target_sum, target);

  const bool thin = p.mode == RdaMode::Downsample && R >= p.threshold && rng.bernoulli(p.probability);
  if (thin) {
    const double b = rng.beta(p.beta_a, p.beta_b);
    double S = 0;
    for (size_t i = 0; i < n; ++i) {
      const float r = raw[i];
      if (!(r >= 0.0f) || r != std::floor(r) || r > 9.0e15f)
        throw std::invalid_argument(fmt::format(
            "RDA downsampling needs raw integer counts, but position {} holds {} (use the counts layer as X, or "
            "rda.mode: equal / none for non-count data)",
            i, r));
      const auto x = static_cast<float>(rng.binomial(static_cast<int64_t>(r), b));
      input[i] = x;
      S += x;
    }
    if (S > 0) {
      out.downsampled = true;
      out.b = b;
      out.input_depth = S;
      log1p_normalize(input, n, S, p.target_sum, input);
      return out;
    }
    // Thinned to nothing: fall back to the untouched cell (see header).
  }
  out.input_depth = R;
  for (size_t i = 0; i < n; ++i) input[i] = target[i];
  return out;
}

}  // namespace bmfm::data

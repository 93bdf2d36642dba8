// Internal: out[i] = float(log1p(double(x[i]) / total * target_sum)), the one
// formula of normalisation and RDA (numpy's operation order, so results match
// numpy bit for bit). Raw counts are mostly small integers that repeat within
// a cell, so their results are memoised: the same formula, computed once.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace bmfm::data::detail {

inline void log1p_normalize(const float* x, size_t n, double total, double target_sum, float* out) {
  constexpr int kMemo = 64;
  float memo[kMemo];
  uint64_t have = 0;
  for (size_t i = 0; i < n; ++i) {
    const float v = x[i];
    if (v >= 0.0f && v < static_cast<float>(kMemo) && v == static_cast<float>(static_cast<int>(v))) {
      const int k = static_cast<int>(v);
      if (!((have >> k) & 1u)) {
        memo[k] = static_cast<float>(std::log1p(static_cast<double>(v) / total * target_sum));
        have |= uint64_t{1} << k;
      }
      out[i] = memo[k];
    } else {
      out[i] = static_cast<float>(std::log1p(static_cast<double>(v) / total * target_sum));
    }
  }
}

}  // namespace bmfm::data::detail

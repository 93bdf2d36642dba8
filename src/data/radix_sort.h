// Internal: a stable LSD radix sort by a 64-bit key, for the per-cell sorts
// (a few hundred to a few thousand elements, where std::sort's branchy
// comparisons dominate). Passes whose byte is the same for every element are
// skipped, so keys with few distinct high bytes cost few passes. `tmp` is a
// reusable buffer; nothing is allocated once both vectors are warm.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace bmfm::data::detail {

template <class T, class Key>
void radix_sort(std::vector<T>& a, std::vector<T>& tmp, Key key, int n_bytes) {
  const size_t n = a.size();
  if (n < 64) {  // insertion sort: stable, no setup cost
    for (size_t i = 1; i < n; ++i) {
      T x = a[i];
      const uint64_t k = key(x);
      size_t j = i;
      for (; j > 0 && key(a[j - 1]) > k; --j) a[j] = a[j - 1];
      a[j] = x;
    }
    return;
  }
  uint32_t hist[8][256] = {};
  for (const T& x : a) {
    const uint64_t k = key(x);
    for (int b = 0; b < n_bytes; ++b) ++hist[b][(k >> (8 * b)) & 255u];
  }
  tmp.resize(n);
  T* src = a.data();
  T* dst = tmp.data();
  for (int b = 0; b < n_bytes; ++b) {
    uint32_t* h = hist[b];
    if (h[(key(src[0]) >> (8 * b)) & 255u] == n) continue;  // one digit for all: order unchanged
    uint32_t sum = 0;
    for (int d = 0; d < 256; ++d) {
      const uint32_t c = h[d];
      h[d] = sum;
      sum += c;
    }
    for (size_t i = 0; i < n; ++i) {
      const T& x = src[i];
      dst[h[(key(x) >> (8 * b)) & 255u]++] = x;
    }
    std::swap(src, dst);
  }
  if (src != a.data()) std::copy(src, src + n, a.data());
}

}  // namespace bmfm::data::detail

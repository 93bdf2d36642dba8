#include "bmfm/data/binning.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "radix_sort.h"

namespace bmfm::data {

double quantile_linear(const double* sorted, size_t n, double q) {
  if (n == 0) throw std::invalid_argument("quantile_linear: empty input");
  // numpy 1.24 _quantile, method "linear": virtual index (n-1)*q, floor/next
  // clipped to the ends, and _lerp's two-sided formula (exact at both ends).
  const double virtual_index = static_cast<double>(n - 1) * q;
  if (virtual_index >= static_cast<double>(n - 1)) return sorted[n - 1];
  if (virtual_index < 0) return sorted[0];
  const double previous = std::floor(virtual_index);
  const auto lo = static_cast<size_t>(previous);
  const double gamma = virtual_index - previous;
  const double a = sorted[lo], b = sorted[lo + 1];
  const double diff = b - a;
  return gamma >= 0.5 ? b - diff * (1.0 - gamma) : a + diff * gamma;
}

namespace {

void check(const BinningParams& p) {
  const int32_t min_bins = p.method == BinningMethod::ScGpt ? 3 : 2;
  if (p.method != BinningMethod::None && p.n_bins < min_bins)
    throw std::invalid_argument(fmt::format("binning: n_bins must be >= {}, got {}", min_bins, p.n_bins));
  if (p.method == BinningMethod::Log && !(p.log_min > 0 && p.log_max > p.log_min))
    throw std::invalid_argument(
        fmt::format("binning: log bins need 0 < log_min < log_max, got {} and {}", p.log_min, p.log_max));
}

// numpy.linspace(0, stop, k)[i], operation for operation.
double linspace_at(double stop, int32_t k, int32_t i) {
  if (i == k - 1) return stop;
  const double step = stop / static_cast<double>(k - 1);
  return static_cast<double>(i) * step;
}

}  // namespace

namespace {

// Edges from e.sorted (the cell's non-zero values, ascending).
void edges_from_sorted(const BinningParams& p, BinEdges& e) {
  const size_t m = e.sorted.size();
  if (m == 0) return;  // nothing to bin: every value lands in bin 0
  if (p.method == BinningMethod::Percentile) {
    for (int32_t i = 0; i < p.n_bins; ++i)
      e.edges.push_back(quantile_linear(e.sorted.data(), m, linspace_at(100.0, p.n_bins, i) / 100.0));
  } else {
    for (int32_t i = 0; i < p.n_bins - 1; ++i)
      e.edges.push_back(quantile_linear(e.sorted.data(), m, linspace_at(1.0, p.n_bins - 1, i)));
  }
}

bool uses_edges(const BinningParams& p) {
  return p.method == BinningMethod::Percentile || p.method == BinningMethod::ScGpt;
}

}  // namespace

void compute_bin_edges(const float* values, size_t n, const BinningParams& p, BinEdges& e) {
  check(p);
  e.edges.clear();
  e.sorted.clear();
  if (!uses_edges(p)) return;
  // Sort as float (half the bytes), then widen: the values are floats anyway.
  e.sorted_values.clear();
  for (size_t i = 0; i < n; ++i)
    if (values[i] > 0.0f) e.sorted_values.push_back(values[i]);
  // Positive floats order like their bit patterns.
  detail::radix_sort(
      e.sorted_values, e.sorted_tmp,
      [](float v) {
        uint32_t bits;
        std::memcpy(&bits, &v, sizeof bits);
        return static_cast<uint64_t>(bits);
      },
      4);
  e.sorted.assign(e.sorted_values.begin(), e.sorted_values.end());
  edges_from_sorted(p, e);
}

void compute_bin_edges_descending(const float* values, size_t n, const BinningParams& p, BinEdges& e) {
  check(p);
  e.edges.clear();
  e.sorted.clear();
  if (!uses_edges(p)) return;
  for (size_t i = n; i > 0; --i) {
    const float v = values[i - 1];
    if (!(v > 0.0f)) continue;
    if (!e.sorted.empty() && v < e.sorted.back())
      throw std::invalid_argument("compute_bin_edges_descending: values are not in descending order");
    e.sorted.push_back(v);
  }
  edges_from_sorted(p, e);
}

void digitize_values(const float* values, size_t n, const BinningParams& p, const BinEdges& e, Rng& rng,
                     int32_t* bins) {
  check(p);
  const int32_t top = p.n_bins - 1;
  switch (p.method) {
    case BinningMethod::None:
      throw std::invalid_argument("digitize_values: binning method is none");
    case BinningMethod::IntCast:
      for (size_t i = 0; i < n; ++i) {
        const double v = values[i];
        const double r = p.int_cast_ceil ? std::ceil(v) : std::floor(v);
        bins[i] = r <= 0 ? 0 : (r >= top ? top : static_cast<int32_t>(r));
      }
      return;
    case BinningMethod::Log: {
      const double lo = std::log(p.log_min), span = std::log(p.log_max) - lo;
      for (size_t i = 0; i < n; ++i) {
        const double v = values[i];
        if (!(v > 0)) {
          bins[i] = 0;
          continue;
        }
        const double b = 1.0 + std::floor(static_cast<double>(top) * (std::log(v) - lo) / span);
        bins[i] = b <= 1 ? 1 : (b >= top ? top : static_cast<int32_t>(b));
      }
      return;
    }
    case BinningMethod::Percentile:
    case BinningMethod::ScGpt: {
      const auto first = e.edges.begin(), last = e.edges.end();
      const bool clip = p.method == BinningMethod::Percentile;
      // A cell has few distinct values (they come from small integer counts):
      // a small direct-mapped cache of value -> digits saves most searches.
      constexpr int kSlots = 128;
      struct Slot {
        uint32_t bits = 0xffffffffu;  // no non-negative float has these bits
        int32_t left = 0, right = 0;
      } cache[kSlots];
      for (size_t i = 0; i < n; ++i) {
        const float vf = values[i];
        if (!(vf > 0.0f)) {
          bins[i] = 0;
          continue;
        }
        if (e.edges.empty())
          throw std::invalid_argument(
              "digitize_values: no bin edges for a cell with non-zero values "
              "(compute_bin_edges was not called on this cell)");
        uint32_t bits;
        std::memcpy(&bits, &vf, sizeof bits);
        Slot& slot = cache[(bits * 0x9E3779B1u) >> 25];
        if (slot.bits != bits) {
          // numpy.digitize: right=False counts edges <= v, right=True edges < v.
          const double v = vf;
          slot.bits = bits;
          slot.left = static_cast<int32_t>(std::upper_bound(first, last, v) - first);
          slot.right = static_cast<int32_t>(std::lower_bound(first, last, v) - first);
        }
        const int32_t prev_left = slot.left, prev_right = slot.right;
        int32_t left = prev_left;
        if (!clip && p.random_ties && left > prev_right)
          left = static_cast<int32_t>(std::ceil(rng.uniform() * (prev_right - left) + left));
        bins[i] = std::clamp(left, 1, top);
      }
      return;
    }
  }
}

void bin_values(const float* values, size_t n, const BinningParams& p, BinEdges& e, Rng& rng, int32_t* bins) {
  compute_bin_edges(values, n, p, e);
  digitize_values(values, n, p, e, rng, bins);
}

}  // namespace bmfm::data

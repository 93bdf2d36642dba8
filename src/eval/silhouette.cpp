#include "bmfm/eval/silhouette.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "distance.h"

namespace bmfm::eval {

namespace {

// Cells grouped by cluster: order[p] is the cell at position p, clusters
// occupy the contiguous ranges [offset[c], offset[c+1]) in increasing code
// order, cells in each range in increasing index order.
struct Grouping {
  std::vector<int64_t> order;
  std::vector<int64_t> offset;
};

Grouping group_by(const std::vector<int32_t>& codes) {
  Grouping g;
  g.order.resize(codes.size());
  std::iota(g.order.begin(), g.order.end(), 0);
  std::stable_sort(g.order.begin(), g.order.end(),
                   [&](int64_t a, int64_t b) { return codes[static_cast<size_t>(a)] < codes[static_cast<size_t>(b)]; });
  g.offset.push_back(0);
  for (size_t p = 1; p < g.order.size(); ++p)
    if (codes[static_cast<size_t>(g.order[p])] != codes[static_cast<size_t>(g.order[p - 1])])
      g.offset.push_back(static_cast<int64_t>(p));
  g.offset.push_back(static_cast<int64_t>(codes.size()));
  return g;
}

int64_t n_groups(const Grouping& g) { return static_cast<int64_t>(g.offset.size()) - 1; }

// sum_j sqrt(max(0, g[j] + ni + nj[j])): Euclidean distances from one cell to
// a run of cells, from the dgemm output. (std::sqrt does not vectorise while
// it may set errno, hence the SSE2 path.)
double sum_distances(const double* g, const double* nj, double ni, int64_t len) {
  int64_t j = 0;
  double total = 0;
#if defined(__SSE2__)
  const __m128d vni = _mm_set1_pd(ni), zero = _mm_setzero_pd();
  __m128d acc0 = zero, acc1 = zero;
  for (; j + 4 <= len; j += 4) {
    const __m128d d0 = _mm_add_pd(_mm_add_pd(_mm_loadu_pd(g + j), vni), _mm_loadu_pd(nj + j));
    const __m128d d1 = _mm_add_pd(_mm_add_pd(_mm_loadu_pd(g + j + 2), vni), _mm_loadu_pd(nj + j + 2));
    acc0 = _mm_add_pd(acc0, _mm_sqrt_pd(_mm_max_pd(d0, zero)));
    acc1 = _mm_add_pd(acc1, _mm_sqrt_pd(_mm_max_pd(d1, zero)));
  }
  double lanes[2];
  _mm_storeu_pd(lanes, _mm_add_pd(acc0, acc1));
  total = lanes[0] + lanes[1];
#endif
  for (; j < len; ++j) total += std::sqrt(std::max(0.0, g[j] + ni + nj[j]));
  return total;
}

// sklearn's silhouette (its _silhouette_reduce over all row blocks) for cells
// already grouped by cluster (rows[p] is the cell at position p): per cell the
// summed distance to every cluster, itself excluded, then a, b and s.
// Returns s by position.
std::vector<double> silhouette_grouped(const detail::DenseRows& rows, const Grouping& grouping) {
  const int64_t n = rows.n;
  const int64_t k = n_groups(grouping);
  const std::vector<int64_t>& off = grouping.offset;
  std::vector<int32_t> cluster_at(static_cast<size_t>(n));
  for (int64_t c = 0; c < k; ++c)
    std::fill(cluster_at.begin() + off[static_cast<size_t>(c)], cluster_at.begin() + off[static_cast<size_t>(c + 1)],
              static_cast<int32_t>(c));
  const detail::Tiling t = detail::tiling(n, n);
  const int64_t n_blocks = (n + t.row_block - 1) / t.row_block;
  std::vector<double> s(static_cast<size_t>(n));
#pragma omp parallel
  {
    std::vector<double> tile(static_cast<size_t>(t.row_block * t.col_block));
    std::vector<double> sums(static_cast<size_t>(t.row_block * k));
#pragma omp for schedule(dynamic, 1)
    for (int64_t b = 0; b < n_blocks; ++b) {
      const int64_t r0 = b * t.row_block, r1 = std::min(n, r0 + t.row_block);
      std::fill(sums.begin(), sums.end(), 0.0);
      for (int64_t c0 = 0; c0 < n; c0 += t.col_block) {
        const int64_t c1 = std::min(n, c0 + t.col_block), w = c1 - c0;
        detail::minus_two_dot_tile(rows, r0, r1, rows, c0, c1, tile.data());
        for (int64_t i = r0; i < r1; ++i) {
          const double* g = tile.data() + (i - r0) * w;
          const double ni = rows.sq_norm[static_cast<size_t>(i)];
          double* acc = sums.data() + (i - r0) * k;
          for (int64_t c = cluster_at[static_cast<size_t>(c0)]; c < k && off[static_cast<size_t>(c)] < c1; ++c) {
            const int64_t j0 = std::max(c0, off[static_cast<size_t>(c)]);
            const int64_t j1 = std::min(c1, off[static_cast<size_t>(c + 1)]);
            const double* nj = rows.sq_norm.data();
            if (i >= j0 && i < j1) {  // skip the cell itself: its distance is exactly 0, as sklearn sets it
              acc[c] += sum_distances(g + (j0 - c0), nj + j0, ni, i - j0);
              acc[c] += sum_distances(g + (i + 1 - c0), nj + i + 1, ni, j1 - i - 1);
            } else {
              acc[c] += sum_distances(g + (j0 - c0), nj + j0, ni, j1 - j0);
            }
          }
        }
      }
      for (int64_t i = r0; i < r1; ++i) {
        const double* acc = sums.data() + (i - r0) * k;
        const int32_t own = cluster_at[static_cast<size_t>(i)];
        const int64_t n_own = off[static_cast<size_t>(own + 1)] - off[static_cast<size_t>(own)];
        double inter = std::numeric_limits<double>::infinity();
        for (int64_t c = 0; c < k; ++c)
          if (c != own)
            inter = std::min(inter, acc[c] / static_cast<double>(off[static_cast<size_t>(c + 1)] -
                                                                  off[static_cast<size_t>(c)]));
        double value = 0.0;  // singleton clusters and 0/0 give 0 (sklearn's nan_to_num)
        if (n_own > 1) {
          const double intra = acc[own] / static_cast<double>(n_own - 1);
          const double denom = std::max(intra, inter);
          if (denom > 0) value = (inter - intra) / denom;
        }
        s[static_cast<size_t>(i)] = value;
      }
    }
  }
  return s;
}

// Silhouette of the cells `cells` (all cells when empty) clustered by codes[i] (one per cell listed).
std::vector<double> silhouette_of(const EmbeddingView& emb, const std::vector<int64_t>& cells,
                                  const std::vector<int32_t>& codes) {
  const Grouping grouping = group_by(codes);
  std::vector<int64_t> rows_in_order(grouping.order);
  if (!cells.empty())
    for (auto& r : rows_in_order) r = cells[static_cast<size_t>(r)];
  const std::vector<double> by_position = silhouette_grouped(detail::dense_rows(emb, rows_in_order), grouping);
  std::vector<double> s(codes.size());
  for (size_t p = 0; p < by_position.size(); ++p) s[static_cast<size_t>(grouping.order[p])] = by_position[p];
  return s;
}

int64_t count_distinct(const std::vector<int32_t>& codes) {
  std::vector<int32_t> u(codes);
  std::sort(u.begin(), u.end());
  return std::unique(u.begin(), u.end()) - u.begin();
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

}  // namespace

std::vector<double> silhouette_samples(const EmbeddingView& emb, const std::vector<int32_t>& labels) {
  check_embedding(emb, "silhouette_samples");
  check_codes(labels, emb.n_obs, "silhouette_samples");
  const int64_t k = count_distinct(labels);
  if (k < 2 || k > emb.n_obs - 1)
    throw std::invalid_argument("silhouette_samples: the silhouette needs 2 <= number of labels <= n_obs - 1; got " +
                                std::to_string(k) + " labels for " + std::to_string(emb.n_obs) + " cells");
  return silhouette_of(emb, {}, labels);
}

double silhouette_score(const EmbeddingView& emb, const std::vector<int32_t>& labels) {
  return mean(silhouette_samples(emb, labels));
}

double asw_label(const EmbeddingView& emb, const std::vector<int32_t>& labels) {
  return (silhouette_score(emb, labels) + 1.0) / 2.0;
}

AswBatch asw_batch(const EmbeddingView& emb, const std::vector<int32_t>& labels, const std::vector<int32_t>& batches) {
  check_embedding(emb, "asw_batch");
  check_codes(labels, emb.n_obs, "asw_batch (labels)");
  check_codes(batches, emb.n_obs, "asw_batch (batches)");
  std::map<int32_t, std::vector<int64_t>> cells_of;
  for (int64_t i = 0; i < emb.n_obs; ++i) cells_of[labels[static_cast<size_t>(i)]].push_back(i);

  AswBatch out;
  for (const auto& [label, cells] : cells_of) {
    std::vector<int32_t> batch_codes(cells.size());
    for (size_t i = 0; i < cells.size(); ++i) batch_codes[i] = batches[static_cast<size_t>(cells[i])];
    const int64_t n_batches = count_distinct(batch_codes);
    if (n_batches == 1 || n_batches == static_cast<int64_t>(cells.size())) {
      out.skipped.push_back(label);
      continue;
    }
    double acc = 0;
    for (double v : silhouette_of(emb, cells, batch_codes)) acc += 1.0 - std::fabs(v);
    out.labels.push_back(label);
    out.per_label.push_back(acc / static_cast<double>(cells.size()));
  }
  out.score = out.per_label.empty() ? std::numeric_limits<double>::quiet_NaN() : mean(out.per_label);
  return out;
}

}  // namespace bmfm::eval

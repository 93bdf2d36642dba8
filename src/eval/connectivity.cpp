#include "bmfm/eval/connectivity.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace bmfm::eval {

namespace {

// umap-learn's constants (umap_.py).
constexpr double kSmoothKTolerance = 1e-5;
constexpr double kMinKDistScale = 1e-3;

void check_options(const ConnectivityOptions& o) {
  if (!(o.local_connectivity >= 0) || !(o.bandwidth > 0) || !(o.set_op_mix_ratio >= 0 && o.set_op_mix_ratio <= 1) ||
      o.n_iter < 1)
    throw std::invalid_argument("umap_connectivities: need local_connectivity >= 0 (got " +
                                std::to_string(o.local_connectivity) + "), bandwidth > 0 (got " +
                                std::to_string(o.bandwidth) + "), set_op_mix_ratio in [0, 1] (got " +
                                std::to_string(o.set_op_mix_ratio) + "), n_iter >= 1 (got " +
                                std::to_string(o.n_iter) + ")");
}

}  // namespace

SmoothKnnDist smooth_knn_dist(const KnnGraph& knn, const ConnectivityOptions& opts) {
  check_options(opts);
  const int64_t n = knn.n_obs;
  const int k = knn.n_neighbors;
  const double target = std::log2(static_cast<double>(k)) * opts.bandwidth;
  double mean_all = 0;
  for (float d : knn.distances) mean_all += d;
  mean_all /= static_cast<double>(knn.distances.size());

  SmoothKnnDist out;
  out.sigma.resize(static_cast<size_t>(n));
  out.rho.resize(static_cast<size_t>(n));
#pragma omp parallel
  {
    std::vector<float> nonzero;
#pragma omp for schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      const float* d = knn.neighbor_distances(i);
      nonzero.clear();
      for (int j = 0; j < k; ++j)
        if (d[j] > 0.0f) nonzero.push_back(d[j]);

      // rho: distance to the local_connectivity-th nearest neighbour at nonzero distance.
      float rho = 0.0f;
      if (static_cast<double>(nonzero.size()) >= opts.local_connectivity) {
        const int index = static_cast<int>(std::floor(opts.local_connectivity));
        const double interpolation = opts.local_connectivity - index;
        if (index > 0) {
          rho = nonzero[static_cast<size_t>(index - 1)];
          if (interpolation > kSmoothKTolerance)
            rho += static_cast<float>(interpolation * (nonzero[static_cast<size_t>(index)] -
                                                       nonzero[static_cast<size_t>(index - 1)]));
        } else {
          rho = static_cast<float>(interpolation * nonzero[0]);
        }
      } else if (!nonzero.empty()) {
        rho = *std::max_element(nonzero.begin(), nonzero.end());
      }

      // sigma: bisection on sum_{j>=1} exp(-max(0, d_j - rho) / sigma) = target.
      // d_j - rho is float32 arithmetic and the sum float64, as in umap's numba code.
      double lo = 0.0, hi = std::numeric_limits<double>::infinity(), mid = 1.0;
      for (int it = 0; it < opts.n_iter; ++it) {
        double psum = 0.0;
        for (int j = 1; j < k; ++j) {
          const float dd = d[j] - rho;
          psum += dd > 0.0f ? std::exp(-(static_cast<double>(dd) / mid)) : 1.0;
        }
        if (std::fabs(psum - target) < kSmoothKTolerance) break;
        if (psum > target) {
          hi = mid;
          mid = (lo + hi) / 2.0;
        } else {
          lo = mid;
          mid = std::isinf(hi) ? mid * 2.0 : (lo + hi) / 2.0;
        }
      }
      float sigma = static_cast<float>(mid);
      if (rho > 0.0f) {
        double mean_i = 0;
        for (int j = 0; j < k; ++j) mean_i += d[j];
        mean_i /= k;
        if (sigma < kMinKDistScale * mean_i) sigma = static_cast<float>(kMinKDistScale * mean_i);
      } else if (sigma < kMinKDistScale * mean_all) {
        sigma = static_cast<float>(kMinKDistScale * mean_all);
      }
      out.sigma[static_cast<size_t>(i)] = sigma;
      out.rho[static_cast<size_t>(i)] = rho;
    }
  }
  return out;
}

SparseGraph umap_connectivities(const KnnGraph& knn, const ConnectivityOptions& opts) {
  const SmoothKnnDist sr = smooth_knn_dist(knn, opts);
  const int64_t n = knn.n_obs;
  const int k = knn.n_neighbors;

  // Directed memberships a_ij (float32 as umap), each stored twice: as (i, j)
  // in A and as (j, i) in A^T, then merged per (row, col).
  struct Entry {
    int32_t row, col;
    float value;
    bool transposed;
  };
  std::vector<Entry> entries;
  entries.reserve(static_cast<size_t>(2 * n * k));
  for (int64_t i = 0; i < n; ++i) {
    const int32_t* idx = knn.neighbors(i);
    const float* d = knn.neighbor_distances(i);
    const float rho = sr.rho[static_cast<size_t>(i)], sigma = sr.sigma[static_cast<size_t>(i)];
    for (int j = 0; j < k; ++j) {
      if (idx[j] == i) continue;
      float a;
      if (d[j] - rho <= 0.0f || sigma == 0.0f)
        a = 1.0f;
      else
        a = std::exp(-((d[j] - rho) / sigma));
      if (a == 0.0f) continue;  // umap eliminates zeros before the union
      entries.push_back({static_cast<int32_t>(i), idx[j], a, false});
      entries.push_back({idx[j], static_cast<int32_t>(i), a, true});
    }
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& x, const Entry& y) {
    return x.row != y.row ? x.row < y.row : (x.col != y.col ? x.col < y.col : x.transposed < y.transposed);
  });

  SparseGraph g;
  g.n_obs = n;
  g.indptr.assign(static_cast<size_t>(n + 1), 0);
  g.indices.reserve(entries.size() / 2 + 1);
  g.data.reserve(entries.size() / 2 + 1);
  const double mix = opts.set_op_mix_ratio;
  for (size_t e = 0; e < entries.size();) {
    const Entry& x = entries[e];
    double a = 0, at = 0;  // A_ij and A^T_ij = A_ji
    size_t f = e;
    for (; f < entries.size() && entries[f].row == x.row && entries[f].col == x.col; ++f)
      (entries[f].transposed ? at : a) = entries[f].value;
    const double prod = a * at;
    const double value = mix * (a + at - prod) + (1.0 - mix) * prod;
    if (value != 0.0) {
      g.indices.push_back(x.col);
      g.data.push_back(value);
      ++g.indptr[static_cast<size_t>(x.row) + 1];
    }
    e = f;
  }
  for (int64_t i = 0; i < n; ++i) g.indptr[static_cast<size_t>(i + 1)] += g.indptr[static_cast<size_t>(i)];
  return g;
}

}  // namespace bmfm::eval

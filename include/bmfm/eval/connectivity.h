// Edge weights of the kNN graph as scanpy's pp.neighbors (method "umap")
// computes them: UMAP's fuzzy_simplicial_set (umap-learn 0.5).
//
// Per cell i, with d_ij its k neighbour distances (self first):
//   rho_i   = distance to the nearest neighbour at nonzero distance
//             (local_connectivity = 1; fractional values interpolate);
//   sigma_i = found by 64 bisection steps so that
//             sum_{j>=1} exp(-max(0, d_ij - rho_i) / sigma_i) = log2(k) * bandwidth
//             (stop when within 1e-5), floored at 1e-3 * mean(d_i.) (or at 1e-3 *
//             the mean of all distances when rho_i = 0);
//   a_ij    = exp(-(d_ij - rho_i) / sigma_i), 1 when d_ij <= rho_i, 0 for j = i.
// Then the fuzzy union A + A^T - A o A^T. rho, sigma and a_ij are float32 as
// in umap; the union is computed and returned in float64.
#pragma once

#include <vector>

#include "bmfm/eval/knn.h"
#include "bmfm/eval/sparse_graph.h"

namespace bmfm::eval {

struct ConnectivityOptions {
  double local_connectivity = 1.0;  // umap/scanpy default
  double bandwidth = 1.0;           // umap default
  double set_op_mix_ratio = 1.0;    // 1 = fuzzy union (scanpy); 0 = fuzzy intersection
  int n_iter = 64;                  // bisection steps for sigma
};

struct SmoothKnnDist {
  std::vector<float> sigma;  // (n_obs)
  std::vector<float> rho;    // (n_obs)
};

// umap's smooth_knn_dist on the kNN distances.
SmoothKnnDist smooth_knn_dist(const KnnGraph& knn, const ConnectivityOptions& opts = {});

// The symmetric connectivity matrix (fuzzy_simplicial_set).
SparseGraph umap_connectivities(const KnnGraph& knn, const ConnectivityOptions& opts = {});

}  // namespace bmfm::eval

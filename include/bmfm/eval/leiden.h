// Leiden clustering of the connectivity graph (igraph's C implementation),
// and scib's resolution sweep (cluster_optimal_resolution).
//
// Objective. scanpy's tl.leiden optimises leidenalg's
// RBConfigurationVertexPartition: Q = sum_ij (A_ij - gamma k_i k_j / 2m) d(c_i, c_j),
// with k_i the weighted degree (strength) and 2m = sum_i k_i. igraph's Leiden
// optimises 1/2m sum_ij (A_ij - gamma' n_i n_j) d(c_i, c_j); with node weights
// n_i = k_i and gamma' = gamma / 2m the two objectives are the same function
// (up to the positive factor 1/2m), which is how we call it. (scanpy passes
// the symmetric matrix as a directed graph with both arcs; the directed
// configuration model on it is again the same objective.) The optimiser
// differs from leidenalg's in its random choices, so clusterings agree with
// scanpy's in quality, not label for label.
//
// Iteration. leidenalg's n_iterations = -1 means "iterate until an iteration
// changes nothing". igraph 0.10's own n_iterations < 0 stops after the first
// iteration that changes something (igraph issue #2798, fixed in 2025), so we
// iterate one pass at a time from the previous membership and stop when the
// partition is unchanged (max_iterations is only a safety net).
//
// Randomness. igraph draws from its default RNG; every call installs a
// Mersenne-Twister RNG seeded with `seed` for its duration, so a clustering
// depends only on (graph, options). igraph 0.10 as Debian builds it is not
// thread-safe: calls into this file are serialised by a mutex.
#pragma once

#include <cstdint>
#include <vector>

#include "bmfm/eval/sparse_graph.h"

namespace bmfm::eval {

struct LeidenOptions {
  double resolution = 1.0;   // gamma of the modularity (RBConfiguration) objective
  double beta = 0.01;        // randomness of the refinement step (leidenalg/igraph default)
  int n_iterations = -1;     // < 0: until an iteration leaves the partition unchanged
  int max_iterations = 1000; // cap for n_iterations < 0
  uint64_t seed = 0;         // scanpy's random_state
};

struct Clustering {
  std::vector<int32_t> membership;  // (n_obs) cluster ids 0..n_clusters-1
  int32_t n_clusters = 0;
  double quality = 0;               // modularity with resolution gamma (igraph's quality)
  int n_iterations = 0;             // passes run
};

Clustering leiden(const SparseGraph& graph, const LeidenOptions& opts = {});

// scib's default resolutions: 0.1, 0.2, ..., 2.0 (computed as i / 10).
std::vector<double> default_resolutions();

struct ResolutionSweep {
  std::vector<double> resolutions;
  std::vector<double> scores;       // NMI(labels, clustering) per resolution
  std::vector<int32_t> n_clusters;  // per resolution
  int best_index = 0;               // first resolution with the strictly largest score
  double best_score = 0;
  Clustering best;
};

// Clusters at every resolution (other options from `base`) and keeps the
// first clustering with the best NMI against `labels`. Like scib, the best
// score starts at 0 and only a strictly larger score replaces it; when no
// clustering scores above 0, the first resolution's clustering is kept.
ResolutionSweep leiden_optimal_resolution(const SparseGraph& graph, const std::vector<int32_t>& labels,
                                          const std::vector<double>& resolutions = default_resolutions(),
                                          const LeidenOptions& base = {});

}  // namespace bmfm::eval

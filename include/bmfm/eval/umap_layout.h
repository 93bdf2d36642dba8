// 2-D UMAP layout of a fuzzy kNN graph (the connectivities scanpy and scib use),
// for the benchmark report's scatter plots.
//
// Follows umap-learn's simplicial_set_embedding: (a, b) fitted to min_dist and
// spread, edges with weight < max / n_epochs dropped, spectral initialisation
// (leading non-trivial eigenvectors of D^-1/2 W D^-1/2, scaled to [0, 10]),
// then SGD with per-edge sampling proportional to weight, negative sampling
// (rate 5, repulsion gamma 1), gradient clipping at 4 and a linearly decaying
// learning rate. Single-threaded and seeded: the same graph and seed give the
// same picture.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "bmfm/eval/sparse_graph.h"

namespace bmfm::eval {

struct UmapOptions {
  double min_dist = 0.5;     // scanpy's tl.umap default
  double spread = 1.0;
  int n_epochs = 0;          // 0 = umap's choice: 500 below 10k cells, else 200
  double learning_rate = 1.0;
  int negative_sample_rate = 5;
  double repulsion_strength = 1.0;
  uint64_t seed = 0;
};

// umap's find_ab_params: least-squares fit of 1 / (1 + a d^(2b)) to the
// target curve (1 below min_dist, exp(-(d - min_dist) / spread) above).
std::pair<double, double> fit_ab(double min_dist, double spread);

// (n_obs, 2) row-major coordinates.
std::vector<float> umap_layout(const SparseGraph& graph, const UmapOptions& opts = {});

}  // namespace bmfm::eval

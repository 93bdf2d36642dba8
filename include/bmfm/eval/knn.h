// k-nearest-neighbour graph of an embedding, as scanpy's pp.neighbors builds it
// for scib: k neighbours INCLUDING the cell itself, Euclidean distance.
//
// Row i of the result lists cell i first (distance 0), then its k-1 nearest
// other cells ordered by (distance, index): ties go to the smaller index, so
// the graph is deterministic. Exact search computes distances in float64
// through BLAS dgemm (|x|^2 + |y|^2 - 2 x.y), keeps a few spare candidates
// per cell and re-ranks them by the directly computed sum of squared
// differences, so the neighbour lists equal a float64 brute force. The
// approximate search (hnswlib) is seeded and builds its index in one thread,
// so it is deterministic too; its candidates are re-ranked the same way.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bmfm/eval/embedding.h"

namespace bmfm::eval {

enum class KnnMethod { kAuto, kExact, kHnsw };

// "auto" | "exact" | "hnsw"; throws std::invalid_argument listing the choices.
KnnMethod parse_knn_method(const std::string& name);
const char* to_string(KnnMethod method);

struct KnnOptions {
  int n_neighbors = 15;              // including the cell itself (scanpy's n_neighbors)
  KnnMethod method = KnnMethod::kAuto;
  int64_t exact_below = 8192;        // auto: exact when n_obs < exact_below, else hnsw
  int hnsw_m = 16;                   // graph degree (hnswlib M)
  int hnsw_ef_construction = 200;    // candidate list size while building
  int hnsw_ef = 64;                  // candidate list size while searching (raised to >= k + 8)
  uint64_t seed = 0;                 // hnswlib level generator seed
};

struct KnnGraph {
  int64_t n_obs = 0;
  int n_neighbors = 0;               // k, self included
  bool exact = true;                 // which search produced it
  std::vector<int32_t> indices;      // (n_obs, k); column 0 is the cell itself
  std::vector<float> distances;      // (n_obs, k); Euclidean, float32 like scanpy

  const int32_t* neighbors(int64_t i) const { return indices.data() + i * n_neighbors; }
  const float* neighbor_distances(int64_t i) const { return distances.data() + i * n_neighbors; }
};

// Throws std::invalid_argument when n_neighbors < 2 or > n_obs, or on a bad embedding.
KnnGraph knn_graph(const EmbeddingView& emb, const KnnOptions& opts = {});

}  // namespace bmfm::eval

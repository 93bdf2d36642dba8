// Blocked squared Euclidean distances in float64 through BLAS dgemm:
// |x|^2 + |y|^2 - 2 x.y, clamped at 0. Shared by the exact kNN search and the
// silhouette, which both stream over all pairs of cells one tile at a time.
#pragma once

#include <cstdint>
#include <vector>

#include "bmfm/eval/embedding.h"

namespace bmfm::eval::detail {

// A float64 row-major copy of (a subset of) an embedding and its squared row norms.
struct DenseRows {
  int64_t n = 0, d = 0;
  std::vector<double> x;        // (n, d)
  std::vector<double> sq_norm;  // (n)

  const double* row(int64_t i) const { return x.data() + i * d; }
};

DenseRows dense_rows(const EmbeddingView& emb);
DenseRows dense_rows(const EmbeddingView& emb, const std::vector<int64_t>& rows);

// out (r1-r0, c1-c0), row stride c1-c0: -2 x.y for rows [r0, r1) of a and
// rows [c0, c1) of b (one dgemm); add |x|^2 + |y|^2 to get squared distances.
void minus_two_dot_tile(const DenseRows& a, int64_t r0, int64_t r1, const DenseRows& b, int64_t c0, int64_t c1,
                        double* out);

// out (r1-r0, c1-c0), row stride c1-c0: squared distances between rows
// [r0, r1) of a and rows [c0, c1) of b. Single-threaded when called inside an
// OpenMP parallel region (OpenBLAS's OpenMP build does not nest).
void squared_distance_tile(const DenseRows& a, int64_t r0, int64_t r1, const DenseRows& b, int64_t c0,
                           int64_t c1, double* out);

// Direct sum of squared differences (no cancellation), for re-ranking.
double squared_distance(const double* x, const double* y, int64_t d);

// Tile sizes: rows per block chosen so that there are several blocks per
// thread; columns per tile keep a tile of doubles around 2 MB.
struct Tiling {
  int64_t row_block = 0, col_block = 0;
};
Tiling tiling(int64_t n_rows, int64_t n_cols);

}  // namespace bmfm::eval::detail

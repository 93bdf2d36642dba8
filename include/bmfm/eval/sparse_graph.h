// A weighted undirected graph on cells as a symmetric CSR matrix (like
// scanpy's obsp["connectivities"]): no diagonal, no stored zeros, column
// indices sorted within each row.
#pragma once

#include <cstdint>
#include <vector>

namespace bmfm::eval {

struct SparseGraph {
  int64_t n_obs = 0;
  std::vector<int64_t> indptr;   // (n_obs + 1)
  std::vector<int32_t> indices;  // (nnz)
  std::vector<double> data;      // (nnz)

  int64_t nnz() const { return static_cast<int64_t>(indices.size()); }
};

}  // namespace bmfm::eval

// Principal components of a dense (n_obs, n_vars) matrix, exactly: the
// covariance matrix is accumulated in float64 (blocked dsyrk) and its leading
// eigenpairs come from LAPACK dsyevr. No random start, so the result is
// deterministic; signs follow sklearn's svd_flip convention (the largest
// |score| of each component is positive), so results can be compared to
// sklearn / scanpy up to float rounding.
#pragma once

#include <cstdint>
#include <vector>

namespace bmfm::eval {

struct PcaResult {
  int64_t n_obs = 0;
  int n_comps = 0;
  std::vector<float> scores;               // (n_obs, n_comps) = centred X . components^T
  std::vector<double> components;          // (n_comps, n_vars) row-major, unit norm
  std::vector<double> explained_variance;  // (n_comps) eigenvalues, ddof = 1
  std::vector<double> explained_variance_ratio;
};

// X is row-major (n_obs, n_vars). Throws std::invalid_argument when n_comps
// exceeds min(n_obs, n_vars) or a value is not finite.
PcaResult pca(const float* X, int64_t n_obs, int64_t n_vars, int n_comps);

}  // namespace bmfm::eval

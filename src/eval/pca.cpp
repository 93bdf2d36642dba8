#include "bmfm/eval/pca.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

extern "C" {
// LAPACK (Fortran ABI), provided by the system liblapack.so.3 (OpenBLAS here).
void dsyevr_(const char* jobz, const char* range, const char* uplo, const int* n, double* a, const int* lda,
             const double* vl, const double* vu, const int* il, const int* iu, const double* abstol, int* m,
             double* w, double* z, const int* ldz, int* isuppz, double* work, const int* lwork, int* iwork,
             const int* liwork, int* info);
}

namespace bmfm::eval {

PcaResult pca(const float* X, int64_t n_obs, int64_t n_vars, int n_comps) {
  if (n_comps <= 0 || n_comps > std::min(n_obs, n_vars))
    throw std::invalid_argument("pca: n_comps must be in [1, min(n_obs, n_vars)] = [1, " +
                                std::to_string(std::min(n_obs, n_vars)) + "], got " + std::to_string(n_comps));
  const size_t p = static_cast<size_t>(n_vars);
  std::vector<double> mean(p, 0.0);
  for (int64_t i = 0; i < n_obs; ++i)
    for (size_t j = 0; j < p; ++j) {
      const float v = X[static_cast<size_t>(i) * p + j];
      if (!std::isfinite(v))
        throw std::invalid_argument("pca: value at row " + std::to_string(i) + ", column " + std::to_string(j) +
                                    " is not finite");
      mean[j] += v;
    }
  for (auto& m : mean) m /= static_cast<double>(n_obs);

  // Covariance (upper triangle, column-major == row-major lower) in row blocks.
  std::vector<double> cov(p * p, 0.0);
  const int64_t block = 2048;
  std::vector<double> buf(static_cast<size_t>(block) * p);
  for (int64_t r0 = 0; r0 < n_obs; r0 += block) {
    const int64_t rows = std::min(block, n_obs - r0);
    for (int64_t i = 0; i < rows; ++i)
      for (size_t j = 0; j < p; ++j)
        buf[static_cast<size_t>(i) * p + j] = X[static_cast<size_t>(r0 + i) * p + j] - mean[j];
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, static_cast<int>(p), static_cast<int>(rows), 1.0, buf.data(),
                static_cast<int>(p), 1.0, cov.data(), static_cast<int>(p));
  }
  const double denom = static_cast<double>(std::max<int64_t>(n_obs - 1, 1));
  double total_var = 0;
  for (size_t j = 0; j < p; ++j) total_var += cov[j * p + j] / denom;
  for (auto& c : cov) c /= denom;

  // Row-major upper == column-major lower: ask LAPACK for 'L'.
  const int n = static_cast<int>(p), il = n - n_comps + 1, iu = n;
  int m = 0, info = 0;
  const double abstol = 0.0, vl = 0, vu = 0;
  std::vector<double> w(p), z(p * static_cast<size_t>(n_comps));
  std::vector<int> isuppz(2 * static_cast<size_t>(n_comps));
  int lwork = -1, liwork = -1, iwork_query = 0;
  double work_query = 0;
  dsyevr_("V", "I", "L", &n, cov.data(), &n, &vl, &vu, &il, &iu, &abstol, &m, w.data(), z.data(), &n, isuppz.data(),
          &work_query, &lwork, &iwork_query, &liwork, &info);
  lwork = static_cast<int>(work_query);
  liwork = iwork_query;
  std::vector<double> work(static_cast<size_t>(lwork));
  std::vector<int> iwork(static_cast<size_t>(liwork));
  dsyevr_("V", "I", "L", &n, cov.data(), &n, &vl, &vu, &il, &iu, &abstol, &m, w.data(), z.data(), &n, isuppz.data(),
          work.data(), &lwork, iwork.data(), &liwork, &info);
  if (info != 0 || m != n_comps) throw std::runtime_error("pca: LAPACK dsyevr failed (info " + std::to_string(info) + ")");

  PcaResult r;
  r.n_obs = n_obs;
  r.n_comps = n_comps;
  r.components.resize(static_cast<size_t>(n_comps) * p);
  // dsyevr returns ascending eigenvalues; components are wanted descending.
  for (int c = 0; c < n_comps; ++c) {
    const int src = n_comps - 1 - c;
    r.explained_variance.push_back(w[static_cast<size_t>(src)]);
    r.explained_variance_ratio.push_back(total_var > 0 ? w[static_cast<size_t>(src)] / total_var : 0.0);
    for (size_t j = 0; j < p; ++j) r.components[static_cast<size_t>(c) * p + j] = z[static_cast<size_t>(src) * p + j];
  }

  // Scores in float64 blocks, then the sign convention.
  std::vector<double> scores(static_cast<size_t>(n_obs) * static_cast<size_t>(n_comps));
  for (int64_t r0 = 0; r0 < n_obs; r0 += block) {
    const int64_t rows = std::min(block, n_obs - r0);
    for (int64_t i = 0; i < rows; ++i)
      for (size_t j = 0; j < p; ++j)
        buf[static_cast<size_t>(i) * p + j] = X[static_cast<size_t>(r0 + i) * p + j] - mean[j];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows), n_comps, static_cast<int>(p), 1.0,
                buf.data(), static_cast<int>(p), r.components.data(), static_cast<int>(p), 0.0,
                scores.data() + static_cast<size_t>(r0) * static_cast<size_t>(n_comps), n_comps);
  }
  for (int c = 0; c < n_comps; ++c) {
    double best = 0;
    for (int64_t i = 0; i < n_obs; ++i) {
      double v = scores[static_cast<size_t>(i) * static_cast<size_t>(n_comps) + static_cast<size_t>(c)];
      if (std::abs(v) > std::abs(best)) best = v;
    }
    if (best < 0) {
      for (int64_t i = 0; i < n_obs; ++i) scores[static_cast<size_t>(i) * static_cast<size_t>(n_comps) + static_cast<size_t>(c)] *= -1;
      for (size_t j = 0; j < p; ++j) r.components[static_cast<size_t>(c) * p + j] *= -1;
    }
  }
  r.scores.assign(scores.begin(), scores.end());
  return r;
}

}  // namespace bmfm::eval

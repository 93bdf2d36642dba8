#include "distance.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>

namespace bmfm::eval::detail {

namespace {

void fill_norms(DenseRows& r) {
  r.sq_norm.resize(static_cast<size_t>(r.n));
  for (int64_t i = 0; i < r.n; ++i) {
    const double* x = r.row(i);
    double s = 0;
    for (int64_t k = 0; k < r.d; ++k) s += x[k] * x[k];
    r.sq_norm[static_cast<size_t>(i)] = s;
  }
}

}  // namespace

DenseRows dense_rows(const EmbeddingView& emb) {
  DenseRows r;
  r.n = emb.n_obs;
  r.d = emb.n_dims;
  r.x.assign(emb.X, emb.X + emb.n_obs * emb.n_dims);
  fill_norms(r);
  return r;
}

DenseRows dense_rows(const EmbeddingView& emb, const std::vector<int64_t>& rows) {
  DenseRows r;
  r.n = static_cast<int64_t>(rows.size());
  r.d = emb.n_dims;
  r.x.resize(static_cast<size_t>(r.n * r.d));
  for (int64_t i = 0; i < r.n; ++i)
    std::copy(emb.row(rows[static_cast<size_t>(i)]), emb.row(rows[static_cast<size_t>(i)]) + r.d,
              r.x.begin() + i * r.d);
  fill_norms(r);
  return r;
}

void minus_two_dot_tile(const DenseRows& a, int64_t r0, int64_t r1, const DenseRows& b, int64_t c0, int64_t c1,
                        double* out) {
  const int64_t m = r1 - r0, n = c1 - c0;
  if (m <= 0 || n <= 0) return;
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m), static_cast<int>(n),
              static_cast<int>(a.d), -2.0, a.row(r0), static_cast<int>(a.d), b.row(c0), static_cast<int>(b.d),
              0.0, out, static_cast<int>(n));
}

void squared_distance_tile(const DenseRows& a, int64_t r0, int64_t r1, const DenseRows& b, int64_t c0,
                           int64_t c1, double* out) {
  const int64_t m = r1 - r0, n = c1 - c0;
  if (m <= 0 || n <= 0) return;
  minus_two_dot_tile(a, r0, r1, b, c0, c1, out);
  for (int64_t i = 0; i < m; ++i) {
    const double ni = a.sq_norm[static_cast<size_t>(r0 + i)];
    double* o = out + i * n;
    const double* nj = b.sq_norm.data() + c0;
    for (int64_t j = 0; j < n; ++j) o[j] = std::max(0.0, o[j] + ni + nj[j]);
  }
}

double squared_distance(const double* x, const double* y, int64_t d) {
  double s = 0;
  for (int64_t k = 0; k < d; ++k) {
    const double t = x[k] - y[k];
    s += t * t;
  }
  return s;
}

Tiling tiling(int64_t n_rows, int64_t n_cols) {
  Tiling t;
  const int64_t threads = std::max(1, omp_get_max_threads());
  // At least 4 blocks per thread for balance, at most 256 rows (enough for dgemm efficiency).
  t.row_block = std::clamp<int64_t>((n_rows + 4 * threads - 1) / (4 * threads), 8, 256);
  t.col_block = std::clamp<int64_t>((1 << 18) / t.row_block, 256, std::max<int64_t>(n_cols, 256));
  return t;
}

}  // namespace bmfm::eval::detail

#include "bmfm/eval/embedding_health.h"

#include <cblas.h>

#include <cmath>
#include <limits>
#include <vector>

#include <fmt/format.h>

namespace bmfm::eval {
namespace {

// Mean cosine over ordered pairs i != j of the rows of Y (n x d, double):
// sum_{i != j} u_i . u_j = |sum_i u_i|^2 - sum_i |u_i|^2 with u_i = y_i / |y_i|,
// so it costs one pass instead of n^2 dot products. Zero rows count as 0.
double mean_pair_cosine(const std::vector<double>& Y, int64_t n, int64_t d) {
  if (n < 2) return std::numeric_limits<double>::quiet_NaN();
  std::vector<double> sum(static_cast<size_t>(d), 0.0);
  double self = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double* y = Y.data() + i * d;
    double nrm = 0;
    for (int64_t j = 0; j < d; ++j) nrm += y[j] * y[j];
    if (nrm <= 0) continue;
    const double inv = 1.0 / std::sqrt(nrm);
    for (int64_t j = 0; j < d; ++j) sum[static_cast<size_t>(j)] += y[j] * inv;
    self += 1.0;
  }
  double s2 = 0;
  for (double v : sum) s2 += v * v;
  return (s2 - self) / (static_cast<double>(n) * static_cast<double>(n - 1));
}

}  // namespace

EmbeddingHealth embedding_health(const EmbeddingView& emb, const HealthThresholds& t, int64_t max_cells) {
  check_embedding(emb, "embedding_health");
  EmbeddingHealth h;
  h.n_obs = emb.n_obs;
  h.n_dims = emb.n_dims;
  const int64_t n = std::min(emb.n_obs, std::max<int64_t>(max_cells, 2));
  const int64_t d = emb.n_dims;
  h.n_used = n;
  // Evenly spaced rows: deterministic, and not biased towards the file's first cells.
  std::vector<double> Y(static_cast<size_t>(n * d));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t r = n == emb.n_obs ? i : i * emb.n_obs / n;
    const float* x = emb.row(r);
    for (int64_t j = 0; j < d; ++j) Y[static_cast<size_t>(i * d + j)] = x[j];
  }
  std::vector<double> mean(static_cast<size_t>(d), 0.0);
  double abs_sum = 0;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) {
      const double v = Y[static_cast<size_t>(i * d + j)];
      mean[static_cast<size_t>(j)] += v;
      abs_sum += std::fabs(v);
    }
  for (double& m : mean) m /= static_cast<double>(n);
  h.mean_abs = abs_sum / static_cast<double>(n * d);
  h.mean_cosine = mean_pair_cosine(Y, n, d);

  // Centre, then the (population) covariance C = Y^T Y / n.
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) Y[static_cast<size_t>(i * d + j)] -= mean[static_cast<size_t>(j)];
  h.mean_cosine_centred = mean_pair_cosine(Y, n, d);
  std::vector<double> C(static_cast<size_t>(d * d), 0.0);
  cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, static_cast<int>(d), static_cast<int>(n),
              1.0 / static_cast<double>(n), Y.data(), static_cast<int>(d), 0.0, C.data(), static_cast<int>(d));
  double trace = 0, frob2 = 0, std_sum = 0;
  for (int64_t a = 0; a < d; ++a) {
    const double caa = C[static_cast<size_t>(a * d + a)];
    trace += caa;
    std_sum += std::sqrt(std::max(caa, 0.0));
    frob2 += caa * caa;
    for (int64_t b = a + 1; b < d; ++b) frob2 += 2.0 * C[static_cast<size_t>(a * d + b)] * C[static_cast<size_t>(a * d + b)];
  }
  h.mean_std = std_sum / static_cast<double>(d);
  h.participation_ratio = frob2 > 0 ? trace * trace / frob2 : 0.0;
  double mean_norm2 = 0;
  for (double m : mean) mean_norm2 += m * m;
  h.spread = mean_norm2 > 0 ? std::sqrt(trace / mean_norm2) : std::numeric_limits<double>::infinity();

  std::vector<std::string> why;
  if (h.participation_ratio < t.min_participation_ratio)
    why.push_back(fmt::format("effective rank (participation ratio) {:.2f} < {}: the cells vary along {} direction{}",
                              h.participation_ratio, t.min_participation_ratio, h.participation_ratio < 1.5 ? "one" : "two",
                              h.participation_ratio < 1.5 ? "" : "s"));
  if (h.spread < t.min_spread)
    why.push_back(fmt::format("spread {:.2g} < {}: the vector is nearly the same for every cell", h.spread, t.min_spread));
  for (size_t i = 0; i < why.size(); ++i) h.collapse += (i ? "; " : "") + why[i];
  return h;
}

std::string health_summary(const EmbeddingHealth& h) {
  return fmt::format("per-dim std {:.3g} (mean |x| {:.3g}), spread {:.3g}, effective rank {:.2f} of {}, mean cosine {:.3f} "
                     "(centred {:.3f})",
                     h.mean_std, h.mean_abs, h.spread, h.participation_ratio, h.n_dims, h.mean_cosine,
                     h.mean_cosine_centred);
}

}  // namespace bmfm::eval

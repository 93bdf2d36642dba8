#include "bmfm/eval/baseline.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "bmfm/data/hvg.h"
#include "bmfm/eval/pca.h"

namespace bmfm::eval {

io::CsrMatrix log1p_normalize(const io::CsrMatrix& counts, double target_sum) {
  io::CsrMatrix out = counts;
  for (int64_t r = 0; r < counts.n_rows; ++r) {
    double total = 0;
    for (int64_t k = counts.indptr[static_cast<size_t>(r)]; k < counts.indptr[static_cast<size_t>(r) + 1]; ++k)
      total += counts.data[static_cast<size_t>(k)];
    const double scale = total > 0 ? target_sum / total : 0.0;
    for (int64_t k = counts.indptr[static_cast<size_t>(r)]; k < counts.indptr[static_cast<size_t>(r) + 1]; ++k)
      out.data[static_cast<size_t>(k)] = static_cast<float>(std::log1p(counts.data[static_cast<size_t>(k)] * scale));
  }
  return out;
}

namespace {

// Dense (n_obs, n_sel) copy of the selected columns.
std::vector<float> dense_columns(const io::CsrMatrix& X, const std::vector<int32_t>& cols) {
  std::vector<int32_t> where(static_cast<size_t>(X.n_cols), -1);
  for (size_t c = 0; c < cols.size(); ++c) where[static_cast<size_t>(cols[c])] = static_cast<int32_t>(c);
  const size_t w = cols.size();
  std::vector<float> out(static_cast<size_t>(X.n_rows) * w, 0.0f);
  for (int64_t r = 0; r < X.n_rows; ++r)
    for (int64_t k = X.indptr[static_cast<size_t>(r)]; k < X.indptr[static_cast<size_t>(r) + 1]; ++k) {
      const int32_t c = where[static_cast<size_t>(X.indices[static_cast<size_t>(k)])];
      if (c >= 0) out[static_cast<size_t>(r) * w + static_cast<size_t>(c)] += X.data[static_cast<size_t>(k)];
    }
  return out;
}

// scanpy's scale(zero_center=True, max_value): unbiased std, std 0 -> 1, clip above max_value.
void scale_columns(std::vector<float>& X, int64_t n, size_t w, double max_value) {
  for (size_t c = 0; c < w; ++c) {
    double s = 0, s2 = 0;
    for (int64_t r = 0; r < n; ++r) {
      const double v = X[static_cast<size_t>(r) * w + c];
      s += v;
      s2 += v * v;
    }
    const double mean = s / n;
    double var = (s2 / n - mean * mean) * n / std::max<double>(n - 1, 1);
    double sd = var > 0 ? std::sqrt(var) : 0.0;
    if (sd == 0) sd = 1.0;
    for (int64_t r = 0; r < n; ++r) {
      float& v = X[static_cast<size_t>(r) * w + c];
      double z = (v - mean) / sd;
      v = static_cast<float>(z > max_value ? max_value : z);
    }
  }
}

}  // namespace

BaselineEmbedding baseline_embedding(const std::string& method, const io::CsrMatrix& counts,
                                     const BaselineOptions& opts) {
  if (method != "pca" && method != "log1p_hvg")
    throw std::invalid_argument("unknown baseline '" + method + "' (choose pca or log1p_hvg)");
  const io::CsrMatrix logX = log1p_normalize(counts, opts.target_sum);
  std::vector<double> mean, var;
  data::expm1_mean_var(logX, mean, var);
  const auto disp = data::seurat_dispersion(mean, var, opts.hvg_bins);
  BaselineEmbedding e;
  e.n_obs = counts.n_rows;
  e.hvg = data::top_dispersion_genes(disp, opts.n_top_genes);
  std::vector<float> dense = dense_columns(logX, e.hvg);
  const size_t w = e.hvg.size();
  if (method == "log1p_hvg") {
    e.X = std::move(dense);
    e.n_dims = static_cast<int64_t>(w);
    return e;
  }
  scale_columns(dense, counts.n_rows, w, opts.scale_max);
  const int n_comps = static_cast<int>(std::min<int64_t>({opts.n_comps, counts.n_rows - 1, static_cast<int64_t>(w)}));
  PcaResult p = pca(dense.data(), counts.n_rows, static_cast<int64_t>(w), n_comps);
  e.X = std::move(p.scores);
  e.n_dims = n_comps;
  return e;
}

}  // namespace bmfm::eval

#include "bmfm/data/hvg.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace bmfm::data {

GeneDispersion seurat_dispersion(const std::vector<double>& mean_in, const std::vector<double>& var,
                                 int n_bins) {
  if (mean_in.size() != var.size()) throw std::invalid_argument("seurat_dispersion: mean and var lengths differ");
  if (n_bins < 1) throw std::invalid_argument("seurat_dispersion: n_bins must be >= 1");
  const size_t G = mean_in.size();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  GeneDispersion d;
  d.means.resize(G);
  d.dispersions.resize(G);
  d.dispersions_norm.assign(G, nan);
  for (size_t g = 0; g < G; ++g) {
    const double m = mean_in[g] == 0 ? 1e-12 : mean_in[g];
    const double disp = var[g] / m;
    d.dispersions[g] = disp == 0 ? nan : std::log(disp);
    d.means[g] = std::log1p(m);
  }
  if (G == 0) return d;
  // pandas.cut(x, bins=n_bins): equal-width edges over [min, max], lowest edge lowered by 0.1%.
  double lo = *std::min_element(d.means.begin(), d.means.end());
  double hi = *std::max_element(d.means.begin(), d.means.end());
  std::vector<int> bin(G, 0);
  if (hi > lo) {
    std::vector<double> edges(static_cast<size_t>(n_bins) + 1);
    for (int i = 0; i <= n_bins; ++i) edges[static_cast<size_t>(i)] = lo + (hi - lo) * i / n_bins;
    edges[0] -= (hi - lo) * 0.001;
    for (size_t g = 0; g < G; ++g) {
      // Right-closed intervals (e_i, e_{i+1}]: the first edge >= x ends x's bin.
      auto it = std::lower_bound(edges.begin() + 1, edges.end(), d.means[g]);
      bin[g] = static_cast<int>(std::min<ptrdiff_t>(it - edges.begin() - 1, n_bins - 1));
    }
  }
  // Per-bin mean and sample std of the defined dispersions.
  std::vector<double> sum(static_cast<size_t>(n_bins), 0.0), sq(static_cast<size_t>(n_bins), 0.0);
  std::vector<int64_t> cnt(static_cast<size_t>(n_bins), 0);
  for (size_t g = 0; g < G; ++g) {
    if (std::isnan(d.dispersions[g])) continue;
    sum[static_cast<size_t>(bin[g])] += d.dispersions[g];
    ++cnt[static_cast<size_t>(bin[g])];
  }
  std::vector<double> bmean(static_cast<size_t>(n_bins), nan), bstd(static_cast<size_t>(n_bins), nan);
  for (int b = 0; b < n_bins; ++b)
    if (cnt[static_cast<size_t>(b)] > 0) bmean[static_cast<size_t>(b)] = sum[static_cast<size_t>(b)] / cnt[static_cast<size_t>(b)];
  for (size_t g = 0; g < G; ++g) {
    if (std::isnan(d.dispersions[g])) continue;
    const double dv = d.dispersions[g] - bmean[static_cast<size_t>(bin[g])];
    sq[static_cast<size_t>(bin[g])] += dv * dv;
  }
  for (int b = 0; b < n_bins; ++b) {
    const auto c = cnt[static_cast<size_t>(b)];
    if (c > 1) {
      bstd[static_cast<size_t>(b)] = std::sqrt(sq[static_cast<size_t>(b)] / static_cast<double>(c - 1));
    } else if (c == 1) {
      // scanpy: a bin with one gene has std NaN; it sets std = mean and mean = 0, so the gene scores 1.
      bstd[static_cast<size_t>(b)] = bmean[static_cast<size_t>(b)];
      bmean[static_cast<size_t>(b)] = 0.0;
    }
  }
  for (size_t g = 0; g < G; ++g)
    d.dispersions_norm[g] = (d.dispersions[g] - bmean[static_cast<size_t>(bin[g])]) / bstd[static_cast<size_t>(bin[g])];
  return d;
}

void expm1_mean_var(const io::CsrMatrix& X, std::vector<double>& mean, std::vector<double>& var) {
  const size_t G = static_cast<size_t>(X.n_cols);
  const double n = static_cast<double>(X.n_rows);
  if (X.n_rows < 2) throw std::invalid_argument("expm1_mean_var: need at least 2 cells");
  std::vector<double> s(G, 0.0), s2(G, 0.0);
  for (int64_t k = 0; k < X.nnz(); ++k) {
    const double v = std::expm1(static_cast<double>(X.data[static_cast<size_t>(k)]));
    const auto j = static_cast<size_t>(X.indices[static_cast<size_t>(k)]);
    s[j] += v;
    s2[j] += v * v;
  }
  mean.resize(G);
  var.resize(G);
  for (size_t j = 0; j < G; ++j) {
    mean[j] = s[j] / n;
    // scanpy's _get_mean_var: (E[x^2] - E[x]^2) * n / (n - 1).
    var[j] = (s2[j] / n - mean[j] * mean[j]) * n / (n - 1.0);
  }
}

std::vector<int32_t> top_dispersion_genes(const GeneDispersion& d, int64_t n_top) {
  std::vector<double> defined;
  for (double v : d.dispersions_norm)
    if (!std::isnan(v)) defined.push_back(v);
  if (n_top <= 0) throw std::invalid_argument("top_dispersion_genes: n_top must be positive");
  if (defined.empty()) throw std::invalid_argument("top_dispersion_genes: no gene has a defined dispersion");
  // scanpy: when fewer genes than n_top are defined, it takes all of them.
  const auto k = static_cast<size_t>(std::min<int64_t>(n_top, static_cast<int64_t>(defined.size())));
  std::nth_element(defined.begin(), defined.begin() + static_cast<ptrdiff_t>(k - 1), defined.end(), std::greater<>());
  const double cut = defined[k - 1];
  std::vector<int32_t> out;
  for (size_t g = 0; g < d.dispersions_norm.size(); ++g) {
    const double v = std::isnan(d.dispersions_norm[g]) ? 0.0 : d.dispersions_norm[g];
    if (v >= cut) out.push_back(static_cast<int32_t>(g));
  }
  return out;
}

}  // namespace bmfm::data

// The simulator is checked against the model it claims to implement: the
// ground truth it writes into var (DE and batch factors) must be recoverable
// from the counts, library sizes must follow LogNormal(lib_loc, lib_scale),
// and the output must be a pure function of (config, seed).
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "bmfm/data/simulate.h"

using bmfm::data::SimulateConfig;
using bmfm::data::simulate;

namespace {

SimulateConfig small_config() {
  SimulateConfig c;
  c.n_cells = 600;
  c.n_genes = 400;
  c.n_cell_types = 3;
  c.n_batches = 2;
  return c;
}

std::vector<double> totals(const bmfm::io::CsrMatrix& X) {
  std::vector<double> t(static_cast<size_t>(X.n_rows), 0.0);
  for (int64_t r = 0; r < X.n_rows; ++r)
    for (int64_t k = X.indptr[r]; k < X.indptr[r + 1]; ++k) t[static_cast<size_t>(r)] += X.data[static_cast<size_t>(k)];
  return t;
}

}  // namespace

TEST(Simulate, ShapeNamesAndIntegerCounts) {
  auto ad = simulate(small_config(), 1);
  EXPECT_EQ(ad.X.n_rows, 600);
  EXPECT_EQ(ad.X.n_cols, 400);
  EXPECT_NO_THROW(ad.X.validate("simulated X"));
  EXPECT_EQ(ad.obs.index.front(), "cell_00001");
  EXPECT_EQ(ad.var.index.front(), "GENE00001");
  EXPECT_EQ(ad.var.index.back(), "GENE00400");
  const auto& ct = ad.obs.at("cell_type");
  EXPECT_EQ(ct.categories, (std::vector<std::string>{"celltype_1", "celltype_2", "celltype_3"}));
  EXPECT_EQ(ad.obs.at("batch").categories, (std::vector<std::string>{"batch_1", "batch_2"}));
  for (float v : ad.X.data) {
    ASSERT_GT(v, 0.0f);
    ASSERT_EQ(v, std::floor(v));
  }
  EXPECT_NE(ad.var.find("de_factor_celltype_2"), nullptr);
  EXPECT_NE(ad.var.find("batch_factor_batch_1"), nullptr);
}

TEST(Simulate, DeterministicInSeedAndIndependentOfThreads) {
  auto cfg = small_config();
  int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  auto a = simulate(cfg, 7);
  omp_set_num_threads(std::max(2, threads));
  auto b = simulate(cfg, 7);
  omp_set_num_threads(threads);
  auto c = simulate(cfg, 8);
  EXPECT_EQ(a.X.indptr, b.X.indptr);
  EXPECT_EQ(a.X.indices, b.X.indices);
  EXPECT_EQ(a.X.data, b.X.data);
  EXPECT_EQ(a.obs.at("cell_type").codes, b.obs.at("cell_type").codes);
  EXPECT_NE(a.X.data, c.X.data);
}

TEST(Simulate, CellTypeProportionsFollowConfig) {
  auto cfg = small_config();
  cfg.n_cells = 5000;
  cfg.n_genes = 50;
  cfg.cell_type_probs = {0.6, 0.3, 0.1};
  auto ad = simulate(cfg, 3);
  std::vector<int> n(3, 0);
  for (int32_t code : ad.obs.at("cell_type").codes) ++n[static_cast<size_t>(code)];
  for (size_t t = 0; t < 3; ++t) {
    double p = cfg.cell_type_probs[t];
    EXPECT_NEAR(n[t] / 5000.0, p, 5 * std::sqrt(p * (1 - p) / 5000));
  }
}

TEST(Simulate, LibrarySizesAreLogNormal) {
  // Without dropout, total counts = Poisson(sum of gamma-perturbed means) whose
  // expectation is the library size, so log totals ~ N(lib_loc, lib_scale) up
  // to a small Poisson/BCV spread.
  auto cfg = small_config();
  cfg.n_cells = 3000;
  cfg.dropout = "none";
  cfg.lib_loc = 8.0;
  cfg.lib_scale = 0.3;
  auto t = totals(simulate(cfg, 4).X);
  double mean = 0;
  for (double x : t) mean += std::log(x);
  mean /= static_cast<double>(t.size());
  double var = 0;
  for (double x : t) var += (std::log(x) - mean) * (std::log(x) - mean);
  var /= static_cast<double>(t.size() - 1);
  EXPECT_NEAR(mean, 8.0, 0.03);
  EXPECT_NEAR(std::sqrt(var), 0.3, 0.03);
}

TEST(Simulate, DifferentialExpressionIsRecoverable) {
  // For well-expressed genes, the ratio of mean normalised expression between
  // two cell types estimates the ratio of their DE factors.
  auto cfg = small_config();
  cfg.n_cells = 4000;
  cfg.n_cell_types = 2;
  cfg.n_batches = 1;
  cfg.de_prob = 0.3;
  cfg.dropout = "none";
  auto ad = simulate(cfg, 5);
  const auto& codes = ad.obs.at("cell_type").codes;
  auto t = totals(ad.X);
  std::vector<std::vector<double>> mean(2, std::vector<double>(400, 0.0));
  std::vector<int> n(2, 0);
  for (int64_t r = 0; r < ad.X.n_rows; ++r) {
    int g = codes[static_cast<size_t>(r)];
    ++n[static_cast<size_t>(g)];
    for (int64_t k = ad.X.indptr[r]; k < ad.X.indptr[r + 1]; ++k)
      mean[static_cast<size_t>(g)][static_cast<size_t>(ad.X.indices[static_cast<size_t>(k)])] +=
          ad.X.data[static_cast<size_t>(k)] / t[static_cast<size_t>(r)];
  }
  const auto& f1 = ad.var.at("de_factor_celltype_1").numeric;
  const auto& f2 = ad.var.at("de_factor_celltype_2").numeric;
  const auto& base = ad.var.at("base_mean").numeric;
  std::vector<double> observed, truth;
  for (size_t g = 0; g < 400; ++g) {
    if (base[g] < 2.0 || (f1[g] == 1.0 && f2[g] == 1.0)) continue;
    double m1 = mean[0][g] / n[0], m2 = mean[1][g] / n[1];
    if (m1 <= 0 || m2 <= 0) continue;
    observed.push_back(std::log(m1 / m2));
    truth.push_back(std::log(f1[g] / f2[g]));
  }
  ASSERT_GT(observed.size(), 20u);
  // Pearson correlation of log fold changes; proportions renormalise, which
  // shifts all log ratios by one constant and does not affect correlation.
  double mo = std::accumulate(observed.begin(), observed.end(), 0.0) / observed.size();
  double mt = std::accumulate(truth.begin(), truth.end(), 0.0) / truth.size();
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < observed.size(); ++i) {
    sxy += (observed[i] - mo) * (truth[i] - mt);
    sxx += (observed[i] - mo) * (observed[i] - mo);
    syy += (truth[i] - mt) * (truth[i] - mt);
  }
  EXPECT_GT(sxy / std::sqrt(sxx * syy), 0.95);
}

TEST(Simulate, DropoutModels) {
  auto cfg = small_config();
  cfg.dropout = "none";
  auto none = simulate(cfg, 6);
  cfg.dropout = "logistic";
  auto logistic = simulate(cfg, 6);
  cfg.dropout = "binomial";
  cfg.capture_prob = 0.5;
  auto binomial = simulate(cfg, 6);
  EXPECT_LT(logistic.X.nnz(), none.X.nnz());
  EXPECT_LT(binomial.X.nnz(), none.X.nnz());
  // Binomial thinning keeps half of the molecules on average.
  double t_none = 0, t_binom = 0;
  for (float v : none.X.data) t_none += v;
  for (float v : binomial.X.data) t_binom += v;
  EXPECT_NEAR(t_binom / t_none, 0.5, 0.01);
}

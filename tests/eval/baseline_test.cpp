// The scanpy-style PCA baseline against an independent numpy/pandas/sklearn
// computation (tests/eval/baseline_expected.py prints the numbers below).
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "bmfm/eval/baseline.h"
#include "bmfm/io/h5ad.h"
#include "test_util.h"

using namespace bmfm::eval;

TEST(Baseline, Log1pNormalizeHandComputed) {
  // Cell 0: counts (1, 3) -> total 4 -> log1p(2500), log1p(7500); cell 1: empty.
  bmfm::io::CsrMatrix m;
  m.n_rows = 2;
  m.n_cols = 3;
  m.indptr = {0, 2, 2};
  m.indices = {0, 2};
  m.data = {1, 3};
  auto out = log1p_normalize(m, 1e4);
  EXPECT_NEAR(out.data[0], std::log1p(2500.0), 1e-5);
  EXPECT_NEAR(out.data[1], std::log1p(7500.0), 1e-5);
}

TEST(Baseline, PcaPipelineMatchesScanpySemantics) {
  BMFM_REQUIRE_DATA("symphony_pbmc_3batch_1500.h5ad");
  bmfm::io::H5adReader reader(bmfm::test::data_path("symphony_pbmc_3batch_1500.h5ad"));
  auto counts = reader.read_matrix("layers/counts");
  BaselineOptions opts;
  opts.n_top_genes = 500;
  opts.n_comps = 10;

  auto hvg = baseline_embedding("log1p_hvg", counts, opts);
  ASSERT_EQ(hvg.hvg.size(), 500u);
  EXPECT_EQ(std::vector<int32_t>(hvg.hvg.begin(), hvg.hvg.begin() + 5), (std::vector<int32_t>{0, 1, 2, 3, 5}));
  EXPECT_EQ(hvg.hvg.back(), 1759);
  EXPECT_EQ(std::accumulate(hvg.hvg.begin(), hvg.hvg.end(), int64_t{0}), 290604);
  EXPECT_EQ(hvg.n_dims, 500);

  auto pca = baseline_embedding("pca", counts, opts);
  ASSERT_EQ(pca.n_dims, 10);
  const double s0[] = {-0.8219041874, 9.9761068737, 4.8235425715, 1.9688980473, -4.6506490503};
  const double s999[] = {-4.3846296674, -3.9871716373, 1.2647894636, -2.7518431977, 2.3358653483};
  for (int c = 0; c < 5; ++c) {
    // float32 log/scale values vs float64 reference: agreement to ~1e-3.
    EXPECT_NEAR(pca.X[c], s0[c], 2e-3) << c;
    EXPECT_NEAR(pca.X[999 * 10 + c], s999[c], 2e-3) << c;
  }
  EXPECT_THROW(baseline_embedding("umap", counts, opts), std::invalid_argument);
}

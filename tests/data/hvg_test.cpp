// Seurat-flavour dispersion on hand-computed examples (scanpy semantics; see hvg.h).
#include <gtest/gtest.h>

#include <cmath>

#include "bmfm/data/hvg.h"

using namespace bmfm::data;

TEST(Hvg, OneBinZScoresDispersions) {
  // mean (1, 2, 4), var (2, 2, 4) -> dispersion (2, 1, 1) -> log (ln 2, 0, 0).
  // One bin: mean ln2/3, sample sd ln2/sqrt(3), so z = (2/sqrt3, -1/sqrt3, -1/sqrt3).
  auto d = seurat_dispersion({1, 2, 4}, {2, 2, 4}, 1);
  EXPECT_NEAR(d.means[0], std::log(2.0), 1e-12);
  EXPECT_NEAR(d.means[2], std::log(5.0), 1e-12);
  EXPECT_NEAR(d.dispersions[0], std::log(2.0), 1e-12);
  EXPECT_NEAR(d.dispersions_norm[0], 2 / std::sqrt(3.0), 1e-12);
  EXPECT_NEAR(d.dispersions_norm[1], -1 / std::sqrt(3.0), 1e-12);
  // Ties at the cut are all kept, as scanpy's >= rule does.
  EXPECT_EQ(top_dispersion_genes(d, 1), (std::vector<int32_t>{0}));
  EXPECT_EQ(top_dispersion_genes(d, 2), (std::vector<int32_t>{0, 1, 2}));
}

TEST(Hvg, LoneGeneBinScoresOneAndZeroVarianceIsUndefined) {
  // Two bins over log1p(mean) in [ln2, ln5]: edge ~1.151, so ln3 joins ln2 in bin 0
  // (z = +-1/sqrt2); the gene with mean 4 (dispersion ln 2) is the only defined
  // one in bin 1 (z = 1); the zero-variance gene has no dispersion.
  auto d = seurat_dispersion({1, 2, 4, 3}, {2, 2, 8, 0}, 2);
  EXPECT_NEAR(d.dispersions_norm[0], 1 / std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(d.dispersions_norm[1], -1 / std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(d.dispersions_norm[2], 1.0, 1e-12);
  EXPECT_TRUE(std::isnan(d.dispersions[3]));
  EXPECT_TRUE(std::isnan(d.dispersions_norm[3]));
}

TEST(Hvg, Expm1MeanVarOfLogData) {
  // Two cells, one gene: log1p values ln2, ln4 -> 1, 3: mean 2, unbiased var 2.
  bmfm::io::CsrMatrix m;
  m.n_rows = 2;
  m.n_cols = 1;
  m.indptr = {0, 1, 2};
  m.indices = {0, 0};
  m.data = {static_cast<float>(std::log(2.0)), static_cast<float>(std::log(4.0))};
  std::vector<double> mean, var;
  expm1_mean_var(m, mean, var);
  EXPECT_NEAR(mean[0], 2.0, 1e-6);
  EXPECT_NEAR(var[0], 2.0, 1e-5);
}

// Exact PCA against sklearn (tests/eval/pca_expected.py prints the numbers below).
#include <gtest/gtest.h>

#include <cmath>

#include "bmfm/eval/pca.h"
#include "bmfm/io/h5ad.h"
#include "test_util.h"

using bmfm::eval::pca;

TEST(Pca, MatchesSklearnOnRealData) {
  BMFM_REQUIRE_DATA("symphony_pbmc_3batch_1500.h5ad");
  bmfm::io::H5adReader reader(bmfm::test::data_path("symphony_pbmc_3batch_1500.h5ad"));
  auto X = reader.read_matrix("X", 0, 300);
  const int64_t n = 300, p = 200;
  std::vector<float> dense(static_cast<size_t>(n * p), 0.0f);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t k = X.indptr[r]; k < X.indptr[r + 1]; ++k)
      if (X.indices[k] < p) dense[static_cast<size_t>(r * p + X.indices[k])] = X.data[k];

  auto res = pca(dense.data(), n, p, 5);
  const double ev[] = {50.30763467225, 17.041560069506, 9.137855423572, 6.531656076914, 4.435549976396};
  const double evr[] = {0.335454004915, 0.113634036117, 0.060931709832, 0.043553432874, 0.029576485026};
  const double s0[] = {-2.816469355494, 10.663352592941, 0.970362668479, -4.01257937029, 0.789104774511};
  const double s17[] = {-5.87688433332, -2.922601296309, 0.443548196512, -0.307239978035, -1.207270515606};
  for (int c = 0; c < 5; ++c) {
    EXPECT_NEAR(res.explained_variance[c], ev[c], 1e-7 * ev[c]);
    EXPECT_NEAR(res.explained_variance_ratio[c], evr[c], 1e-9);
    EXPECT_NEAR(res.scores[c], s0[c], 1e-4);
    EXPECT_NEAR(res.scores[17 * 5 + c], s17[c], 1e-4);
  }
  // Components are orthonormal.
  for (int a = 0; a < 5; ++a)
    for (int b = 0; b < 5; ++b) {
      double dot = 0;
      for (int64_t j = 0; j < p; ++j) dot += res.components[a * p + j] * res.components[b * p + j];
      EXPECT_NEAR(dot, a == b ? 1.0 : 0.0, 1e-10);
    }
}

TEST(Pca, RejectsBadRequests) {
  std::vector<float> x = {1, 2, 3, 4, 5, 6};
  EXPECT_THROW(pca(x.data(), 3, 2, 3), std::invalid_argument);
  EXPECT_THROW(pca(x.data(), 3, 2, 0), std::invalid_argument);
  x[4] = NAN;
  EXPECT_THROW(pca(x.data(), 3, 2, 1), std::invalid_argument);
}

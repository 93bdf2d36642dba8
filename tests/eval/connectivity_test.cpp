// UMAP connectivities against an independent numpy implementation of
// fuzzy_simplicial_set in tests/eval/make_expected.py, run on the same
// brute-force kNN graph.
#include "bmfm/eval/connectivity.h"

#include <gtest/gtest.h>

#include <cmath>

#include "eval_test_util.h"

using namespace bmfm::eval;
namespace ex = bmfm::test::eval_expected;

namespace {

KnnGraph synthetic_knn() {
  KnnGraph g;
  g.n_obs = ex::kSynN;
  g.n_neighbors = static_cast<int>(ex::kSynK);
  g.indices = ex::kSynKnnIndices;
  g.distances = ex::kSynKnnDistances;
  return g;
}

void expect_same_graph(const SparseGraph& got, const std::vector<int64_t>& indptr,
                       const std::vector<int32_t>& indices, const std::vector<double>& data, double tol) {
  ASSERT_EQ(got.indptr, indptr);
  ASSERT_EQ(got.indices, indices);
  ASSERT_EQ(got.data.size(), data.size());
  double worst = 0;
  for (size_t e = 0; e < data.size(); ++e) worst = std::max(worst, std::fabs(got.data[e] - data[e]));
  EXPECT_LE(worst, tol);
}

}  // namespace

TEST(Connectivity, SmoothKnnDistMatchesReference) {
  const SmoothKnnDist s = smooth_knn_dist(synthetic_knn());
  for (int64_t i = 0; i < ex::kSynN; ++i) {
    EXPECT_EQ(s.rho[static_cast<size_t>(i)], ex::kSynRho[static_cast<size_t>(i)]) << "cell " << i;
    EXPECT_NEAR(s.sigma[static_cast<size_t>(i)], ex::kSynSigma[static_cast<size_t>(i)], 1e-6) << "cell " << i;
  }
}

TEST(Connectivity, SyntheticMatchesReference) {
  const SparseGraph g = umap_connectivities(synthetic_knn());
  expect_same_graph(g, ex::kSynConnIndptr, ex::kSynConnIndices, ex::kSynConnData, 1e-6);
}

TEST(Connectivity, RealEmbeddingMatchesReference) {
  const auto& real = bmfm::test::real_embedding();
  const SparseGraph g = umap_connectivities(knn_graph(real.view()));
  const auto indptr32 = bmfm::test::read_raw<int32_t>("symphony_conn_indptr.i32", static_cast<size_t>(ex::kRealN + 1));
  const auto indices16 = bmfm::test::read_raw<uint16_t>("symphony_conn_indices.u16", static_cast<size_t>(ex::kRealConnNnz));
  const auto data32 = bmfm::test::read_raw<float>("symphony_conn_data.f32", static_cast<size_t>(ex::kRealConnNnz));
  // The fixture stores the values as float32 (rounding <= 6e-8 for weights <= 1).
  expect_same_graph(g, std::vector<int64_t>(indptr32.begin(), indptr32.end()),
                    std::vector<int32_t>(indices16.begin(), indices16.end()),
                    std::vector<double>(data32.begin(), data32.end()), 1e-6);
}

TEST(Connectivity, SymmetricWithoutDiagonalAndInUnitInterval) {
  const auto& real = bmfm::test::real_embedding();
  const SparseGraph g = umap_connectivities(knn_graph(real.view()));
  auto at = [&](int64_t i, int64_t j) {
    for (int64_t e = g.indptr[static_cast<size_t>(i)]; e < g.indptr[static_cast<size_t>(i + 1)]; ++e)
      if (g.indices[static_cast<size_t>(e)] == j) return g.data[static_cast<size_t>(e)];
    return 0.0;
  };
  for (int64_t i = 0; i < g.n_obs; ++i)
    for (int64_t e = g.indptr[static_cast<size_t>(i)]; e < g.indptr[static_cast<size_t>(i + 1)]; ++e) {
      const int64_t j = g.indices[static_cast<size_t>(e)];
      ASSERT_NE(i, j);
      ASSERT_GT(g.data[static_cast<size_t>(e)], 0.0);
      ASSERT_LE(g.data[static_cast<size_t>(e)], 1.0);
      ASSERT_EQ(g.data[static_cast<size_t>(e)], at(j, i));
    }
}

TEST(Connectivity, NearestNeighbourGetsWeightOneAndSumMatchesTarget) {
  // Per cell, the directed weights sum to log2(k) by construction of sigma;
  // the nearest non-self neighbour (d = rho) gets weight 1.
  const KnnGraph knn = synthetic_knn();
  const SmoothKnnDist s = smooth_knn_dist(knn);
  for (int64_t i = 0; i < knn.n_obs; ++i) {
    double sum = 0;
    for (int j = 1; j < knn.n_neighbors; ++j) {
      const double d = knn.neighbor_distances(i)[j] - s.rho[static_cast<size_t>(i)];
      sum += d > 0 ? std::exp(-d / s.sigma[static_cast<size_t>(i)]) : 1.0;
    }
    EXPECT_NEAR(sum, std::log2(15.0), 1e-4) << "cell " << i;
  }
}

TEST(Connectivity, RejectsBadOptions) {
  ConnectivityOptions o;
  o.set_op_mix_ratio = 2;
  EXPECT_THROW(umap_connectivities(synthetic_knn(), o), std::invalid_argument);
}

// kNN graph against a float64 brute force written independently in
// tests/eval/make_expected.py (values in eval_expected.h and fixtures/).
#include "bmfm/eval/knn.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "eval_test_util.h"

using namespace bmfm::eval;
namespace ex = bmfm::test::eval_expected;

TEST(Knn, SyntheticMatchesBruteForceExactly) {
  KnnOptions o;
  o.method = KnnMethod::kExact;
  const KnnGraph g = knn_graph(bmfm::test::synthetic_view(), o);
  EXPECT_TRUE(g.exact);
  ASSERT_EQ(g.n_neighbors, ex::kSynK);
  ASSERT_EQ(g.indices.size(), ex::kSynKnnIndices.size());
  for (size_t t = 0; t < g.indices.size(); ++t) {
    EXPECT_EQ(g.indices[t], ex::kSynKnnIndices[t]) << "cell " << t / 15 << " rank " << t % 15;
    EXPECT_EQ(g.distances[t], ex::kSynKnnDistances[t]) << "cell " << t / 15 << " rank " << t % 15;
  }
}

TEST(Knn, RealEmbeddingMatchesBruteForceExactly) {
  const auto& real = bmfm::test::real_embedding();
  const auto expected = bmfm::test::read_raw<uint16_t>("symphony_knn.u16", static_cast<size_t>(ex::kRealN * 15));
  const KnnGraph g = knn_graph(real.view());  // auto: 1500 < 8192 -> exact
  EXPECT_TRUE(g.exact);
  int mismatches = 0;
  for (size_t t = 0; t < expected.size(); ++t) mismatches += g.indices[t] != expected[t];
  EXPECT_EQ(mismatches, 0);
}

TEST(Knn, SelfFirstThenSortedByDistanceThenIndex) {
  // Cells on a line at 0, 1, 1, 2, 3: ties at equal distance go to the smaller index.
  const std::vector<float> X = {0, 1, 1, 2, 3};
  KnnOptions o;
  o.n_neighbors = 3;
  o.method = KnnMethod::kExact;
  const KnnGraph g = knn_graph({X.data(), 5, 1}, o);
  const std::vector<int32_t> want = {0, 1, 2, /**/ 1, 2, 0, /**/ 2, 1, 0, /**/ 3, 1, 2, /**/ 4, 3, 1};
  EXPECT_EQ(g.indices, want);
  EXPECT_EQ(g.distances[3 * 1 + 1], 0.0f);  // duplicate cells at distance 0
}

TEST(Knn, HnswIsDeterministicAndNearlyExact) {
  const auto blobs = bmfm::test::make_blobs(3000, 20, 8, 2, 3.0, 0.5, 5);
  KnnOptions exact;
  exact.method = KnnMethod::kExact;
  KnnOptions approx;
  approx.method = KnnMethod::kHnsw;
  const KnnGraph ge = knn_graph(blobs.view(), exact);
  const KnnGraph g1 = knn_graph(blobs.view(), approx);
  const KnnGraph g2 = knn_graph(blobs.view(), approx);
  EXPECT_FALSE(g1.exact);
  EXPECT_EQ(g1.indices, g2.indices);
  int64_t hits = 0, total = 0;
  for (int64_t i = 0; i < blobs.n_obs; ++i) {
    EXPECT_EQ(g1.neighbors(i)[0], i);
    std::set<int32_t> truth(ge.neighbors(i) + 1, ge.neighbors(i) + 15);
    for (int c = 1; c < 15; ++c) hits += truth.count(g1.neighbors(i)[c]);
    total += 14;
  }
  EXPECT_GT(static_cast<double>(hits) / total, 0.99);
}

TEST(Knn, SameGraphForAnyThreadCount) {
  const auto blobs = bmfm::test::make_blobs(2000, 16, 5, 2, 2.0, 0.3, 8);
  const int threads = omp_get_max_threads();
  for (KnnMethod method : {KnnMethod::kExact, KnnMethod::kHnsw}) {
    KnnOptions o;
    o.method = method;
    omp_set_num_threads(1);
    const KnnGraph one = knn_graph(blobs.view(), o);
    omp_set_num_threads(std::max(2, threads));
    const KnnGraph many = knn_graph(blobs.view(), o);
    omp_set_num_threads(threads);
    EXPECT_EQ(one.indices, many.indices) << to_string(method);
    EXPECT_EQ(one.distances, many.distances) << to_string(method);
  }
}

TEST(Knn, AutoSwitchesAtThreshold) {
  const auto blobs = bmfm::test::make_blobs(200, 4, 3, 1, 3.0, 0.0, 1);
  KnnOptions o;
  o.exact_below = 200;
  EXPECT_FALSE(knn_graph(blobs.view(), o).exact);
  o.exact_below = 201;
  EXPECT_TRUE(knn_graph(blobs.view(), o).exact);
}

TEST(Knn, RejectsBadInput) {
  const std::vector<float> X = {0, 1, 2};
  KnnOptions o;
  EXPECT_THROW(knn_graph({X.data(), 3, 1}, o), std::invalid_argument);  // k = 15 > 3 cells
  o.n_neighbors = 1;
  EXPECT_THROW(knn_graph({X.data(), 3, 1}, o), std::invalid_argument);
  EXPECT_THROW(parse_knn_method("brute"), std::invalid_argument);
  EXPECT_EQ(parse_knn_method("hnsw"), KnnMethod::kHnsw);
  const std::vector<float> bad = {0, NAN, 2};
  o.n_neighbors = 2;
  EXPECT_THROW(knn_graph({bad.data(), 3, 1}, o), std::invalid_argument);
}

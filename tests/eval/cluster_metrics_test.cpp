// NMI and ARI against sklearn 1.2 (normalized_mutual_info_score with the
// arithmetic mean, adjusted_rand_score), values computed by
// tests/eval/make_expected.py.
#include "bmfm/eval/cluster_metrics.h"

#include <gtest/gtest.h>

#include "eval_test_util.h"

using namespace bmfm::eval;
namespace ex = bmfm::test::eval_expected;

TEST(ClusterMetrics, RandomLabelingsMatchSklearn) {
  for (const auto& p : ex::kLabelPairs) {
    EXPECT_NEAR(nmi(p.a, p.b), p.nmi, 1e-9) << "n=" << p.a.size();
    EXPECT_NEAR(ari(p.a, p.b), p.ari, 1e-9) << "n=" << p.a.size();
  }
}

TEST(ClusterMetrics, SyntheticLabelsVsBatchesMatchSklearn) {
  EXPECT_NEAR(nmi(ex::kSynLabels, ex::kSynBatches), ex::kSynNmiLabelBatch, 1e-9);
  EXPECT_NEAR(ari(ex::kSynLabels, ex::kSynBatches), ex::kSynAriLabelBatch, 1e-9);
}

TEST(ClusterMetrics, RealLabelsMatchSklearn) {
  const auto& r = bmfm::test::real_embedding();
  EXPECT_NEAR(nmi(r.cell_type, r.kmeans), ex::kRealNmiKmeans, 1e-9);
  EXPECT_NEAR(ari(r.cell_type, r.kmeans), ex::kRealAriKmeans, 1e-9);
  EXPECT_NEAR(nmi(r.cell_type, r.batch), ex::kRealNmiBatch, 1e-9);
  EXPECT_NEAR(ari(r.cell_type, r.batch), ex::kRealAriBatch, 1e-9);
}

TEST(ClusterMetrics, SpecialCasesFollowSklearn) {
  // From sklearn's docstrings.
  EXPECT_DOUBLE_EQ(nmi({0, 0, 1, 1}, {1, 1, 0, 0}), 1.0);
  EXPECT_DOUBLE_EQ(nmi({0, 0, 0, 0}, {0, 1, 2, 3}), 0.0);
  EXPECT_DOUBLE_EQ(nmi({5, 5, 5}, {2, 2, 2}), 1.0);  // both a single cluster
  EXPECT_DOUBLE_EQ(ari({0, 0, 1, 1}, {1, 1, 0, 0}), 1.0);
  EXPECT_DOUBLE_EQ(ari({0, 0, 0, 0}, {0, 1, 2, 3}), 0.0);
  EXPECT_DOUBLE_EQ(ari({7, 7, 7}, {1, 1, 1}), 1.0);
  EXPECT_NEAR(ari({0, 0, 1, 2}, {0, 0, 1, 1}), 0.5714285714285715, 1e-15);
  EXPECT_THROW(nmi({0, 1}, {0}), std::invalid_argument);
}

TEST(ClusterMetrics, ContingencyTable) {
  const Contingency c = contingency_table({3, 3, 9, 9, 9}, {0, 1, 1, 1, 1});
  EXPECT_EQ(c.classes, (std::vector<int32_t>{3, 9}));
  EXPECT_EQ(c.clusters, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(c.class_sizes, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(c.cluster_sizes, (std::vector<int64_t>{1, 4}));
  ASSERT_EQ(c.cells.size(), 3u);
  EXPECT_EQ(c.cells[2].row, 1);
  EXPECT_EQ(c.cells[2].col, 1);
  EXPECT_EQ(c.cells[2].count, 3);
}

TEST(ClusterMetrics, AriDoesNotOverflowOnManyCells) {
  // 300k cells: the pair counts' products exceed 2^63.
  std::vector<int32_t> a(300000), b(300000);
  for (size_t i = 0; i < a.size(); ++i) {
    a[i] = static_cast<int32_t>(i % 7);
    b[i] = static_cast<int32_t>((i % 7 == 3) ? 2 : i % 7);
  }
  const double v = ari(a, b);
  EXPECT_GT(v, 0.5);
  EXPECT_LT(v, 1.0);
}

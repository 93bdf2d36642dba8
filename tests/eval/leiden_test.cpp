// Leiden clustering: properties (determinism, recovery of well separated
// blobs, the resolution sweep's selection rule) and a loose comparison with
// leidenalg 0.9 (scanpy's backend) on the real embedding, whose sweep result
// tests/eval/make_expected.py recorded.
#include "bmfm/eval/leiden.h"

#include <gtest/gtest.h>

#include <iostream>
#include <set>

#include "bmfm/eval/cluster_metrics.h"
#include "bmfm/eval/connectivity.h"
#include "bmfm/eval/knn.h"
#include "eval_test_util.h"

using namespace bmfm::eval;
namespace ex = bmfm::test::eval_expected;

namespace {

SparseGraph blob_graph(const bmfm::test::Blobs& b) { return umap_connectivities(knn_graph(b.view())); }

}  // namespace

TEST(Leiden, DefaultResolutionsAreScibs) {
  const auto r = default_resolutions();
  ASSERT_EQ(r.size(), 20u);
  EXPECT_DOUBLE_EQ(r.front(), 0.1);
  EXPECT_DOUBLE_EQ(r[2], 0.3);
  EXPECT_DOUBLE_EQ(r.back(), 2.0);
}

TEST(Leiden, DeterministicForASeed) {
  const auto b = bmfm::test::make_blobs(600, 10, 6, 2, 1.5, 0.3, 3);
  const SparseGraph g = blob_graph(b);
  const Clustering c1 = leiden(g), c2 = leiden(g);
  EXPECT_EQ(c1.membership, c2.membership);
  EXPECT_EQ(c1.quality, c2.quality);
  LeidenOptions other;
  other.seed = 1;
  const Clustering c3 = leiden(g, other);
  EXPECT_EQ(c3.membership.size(), c1.membership.size());
}

TEST(Leiden, RecoversSeparatedBlobs) {
  const auto b = bmfm::test::make_blobs(500, 8, 5, 1, 20.0, 0.0, 11);
  const SparseGraph g = blob_graph(b);
  const ResolutionSweep s = leiden_optimal_resolution(g, b.labels);
  EXPECT_DOUBLE_EQ(s.best_score, 1.0);
  EXPECT_DOUBLE_EQ(ari(b.labels, s.best.membership), 1.0);
  EXPECT_EQ(s.best.n_clusters, 5);
  // With disconnected blobs every resolution up to some point finds them; the first one is kept.
  EXPECT_EQ(s.best_index, 0);
  EXPECT_DOUBLE_EQ(s.resolutions[static_cast<size_t>(s.best_index)], 0.1);
}

TEST(Leiden, MoreClustersAtHigherResolution) {
  const auto b = bmfm::test::make_blobs(800, 10, 4, 1, 2.0, 0.0, 2);
  const SparseGraph g = blob_graph(b);
  LeidenOptions lo, hi;
  lo.resolution = 0.2;
  hi.resolution = 3.0;
  EXPECT_LT(leiden(g, lo).n_clusters, leiden(g, hi).n_clusters);
}

TEST(Leiden, ClusterIdsBySizeAndQualityIsModularity) {
  // Two triangles joined by one weak edge: two clusters, the quality equals
  // the modularity computed by hand (resolution 1).
  SparseGraph g;
  g.n_obs = 6;
  // edges: 0-1, 0-2, 1-2, 3-4, 3-5, 4-5 (weight 1), 2-3 (weight 0.1)
  g.indptr = {0, 2, 4, 7, 10, 12, 14};
  g.indices = {1, 2, 0, 2, 0, 1, 3, 2, 4, 5, 3, 5, 3, 4};
  g.data = {1, 1, 1, 1, 1, 1, 0.1, 0.1, 1, 1, 1, 1, 1, 1};
  const Clustering c = leiden(g);
  EXPECT_EQ(c.n_clusters, 2);
  EXPECT_EQ(c.membership, (std::vector<int32_t>{0, 0, 0, 1, 1, 1}));
  // Q = sum_c [ in_c / 2m - (tot_c / 2m)^2 ], 2m = 12.2, in_c = 6, tot_c = 6.1.
  const double two_m = 12.2, q = 2 * (6 / two_m - (6.1 / two_m) * (6.1 / two_m));
  EXPECT_NEAR(c.quality, q, 1e-12);
}

TEST(Leiden, IsolatedCellsAreSingletons) {
  SparseGraph g;
  g.n_obs = 3;
  g.indptr = {0, 0, 0, 0};
  const Clustering c = leiden(g);
  EXPECT_EQ(c.n_clusters, 3);
}

TEST(Leiden, RealEmbeddingCloseToLeidenalg) {
  if (ex::kRealLeidenalgNmi < 0) GTEST_SKIP() << "make_expected.py ran without leidenalg";
  const auto& r = bmfm::test::real_embedding();
  const SparseGraph g = umap_connectivities(knn_graph(r.view()));
  const ResolutionSweep s = leiden_optimal_resolution(g, r.cell_type);
  // Different optimisers (igraph vs leidenalg) on the same objective: the best
  // NMI over the sweep should land close, not identical.
  EXPECT_NEAR(s.best_score, ex::kRealLeidenalgNmi, 0.05);
  EXPECT_NEAR(ari(r.cell_type, s.best.membership), ex::kRealLeidenalgAri, 0.15);
  std::cout << "bmfm/igraph best NMI " << s.best_score << " at resolution "
            << s.resolutions[static_cast<size_t>(s.best_index)] << " (" << s.best.n_clusters
            << " clusters), ARI " << ari(r.cell_type, s.best.membership) << "; leidenalg NMI "
            << ex::kRealLeidenalgNmi << ", ARI " << ex::kRealLeidenalgAri << "\n";
}

// scib graph connectivity against scipy connected_components on the
// reference connectivities (tests/eval/make_expected.py).
#include "bmfm/eval/graph_connectivity.h"

#include <gtest/gtest.h>

#include "bmfm/eval/connectivity.h"
#include "bmfm/eval/knn.h"
#include "eval_test_util.h"

using namespace bmfm::eval;
namespace ex = bmfm::test::eval_expected;

TEST(GraphConnectivity, SyntheticMatchesScipy) {
  SparseGraph g;
  g.n_obs = ex::kSynN;
  g.indptr = ex::kSynConnIndptr;
  g.indices = ex::kSynConnIndices;
  g.data = ex::kSynConnData;
  const GraphConnectivity gc = graph_connectivity(g, ex::kSynLabels);
  EXPECT_NEAR(gc.score, ex::kSynGraphConn, 1e-12);
  ASSERT_EQ(gc.per_label.size(), ex::kSynGraphConnPerLabel.size());
  for (size_t l = 0; l < gc.per_label.size(); ++l) EXPECT_NEAR(gc.per_label[l], ex::kSynGraphConnPerLabel[l], 1e-12);
}

TEST(GraphConnectivity, RealEmbeddingMatchesScipy) {
  const auto& r = bmfm::test::real_embedding();
  const SparseGraph g = umap_connectivities(knn_graph(r.view()));
  EXPECT_NEAR(graph_connectivity(g, r.cell_type).score, ex::kRealGraphConn, 1e-6);
}

TEST(GraphConnectivity, HandBuiltGraph) {
  // Path 0-1-2 and 3-4, plus the edge 2-3; labels {0,1,2,3} = A and {4} = B
  // and a zero-weight edge 0-2 that must not count.
  //   A: 0-1-2-3 connected -> 4/4; B: {4} -> 1/1.   Relabel 3 as B: A = {0,1,2} -> 1, B = {3,4} -> 1.
  //   Then drop edge 3-4 (labels as before): B = {3}, {4} -> 1/2.
  SparseGraph g;
  g.n_obs = 5;
  //            row 0      row 1     row 2         row 3     row 4
  g.indptr = {0, 2, 4, 7, 9, 10};
  g.indices = {1, 2, 0, 2, 0, 1, 3, 2, 4, 3};
  g.data = {1, 0, 1, 1, 0, 1, 1, 1, 1, 1};
  EXPECT_DOUBLE_EQ(graph_connectivity(g, {0, 0, 0, 0, 1}).score, 1.0);
  EXPECT_DOUBLE_EQ(graph_connectivity(g, {0, 0, 0, 1, 1}).score, 1.0);
  g.data = {1, 0, 1, 1, 0, 1, 1, 1, 0, 0};  // 3-4 weight 0
  const GraphConnectivity gc = graph_connectivity(g, {0, 0, 0, 1, 1});
  EXPECT_DOUBLE_EQ(gc.per_label[1], 0.5);
  EXPECT_DOUBLE_EQ(gc.score, 0.75);
}

// UMAP layout: (a, b) against umap-learn's published fits, and the layout's
// purpose (separated groups stay separated, same seed -> same picture).
#include <gtest/gtest.h>

#include <cmath>

#include "bmfm/data/random.h"
#include "bmfm/eval/connectivity.h"
#include "bmfm/eval/knn.h"
#include "bmfm/eval/umap_layout.h"

using namespace bmfm::eval;

TEST(UmapLayout, FitAbMatchesUmapLearn) {
  // umap-learn find_ab_params(spread=1, min_dist=0.1) -> a=1.5769, b=0.8951
  // (the defaults quoted in umap's docs); scanpy's min_dist=0.5 -> a=0.5830, b=1.3343.
  auto [a1, b1] = fit_ab(0.1, 1.0);
  EXPECT_NEAR(a1, 1.5769, 2e-3);
  EXPECT_NEAR(b1, 0.8951, 2e-3);
  auto [a2, b2] = fit_ab(0.5, 1.0);
  EXPECT_NEAR(a2, 0.5830, 2e-3);
  EXPECT_NEAR(b2, 1.3343, 2e-3);
}

namespace {

// Three Gaussian blobs in 10-D, 60 cells each, centres 20 apart.
std::vector<float> blobs(std::vector<int>& label) {
  bmfm::data::Rng rng(11);
  std::vector<float> x;
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 60; ++i) {
      label.push_back(c);
      for (int d = 0; d < 10; ++d) x.push_back(static_cast<float>((d == c ? 20.0 : 0.0) + rng.normal()));
    }
  return x;
}

}  // namespace

TEST(UmapLayout, SeparatedGroupsStaySeparatedAndSeedIsDeterministic) {
  std::vector<int> label;
  auto x = blobs(label);
  EmbeddingView view{x.data(), 180, 10};
  auto graph = umap_connectivities(knn_graph(view));
  UmapOptions opts;
  opts.n_epochs = 200;
  auto y = umap_layout(graph, opts);
  ASSERT_EQ(y.size(), 360u);
  for (float v : y) ASSERT_TRUE(std::isfinite(v));

  double cx[3] = {0, 0, 0}, cy[3] = {0, 0, 0};
  for (int i = 0; i < 180; ++i) {
    cx[label[i]] += y[2 * i] / 60.0;
    cy[label[i]] += y[2 * i + 1] / 60.0;
  }
  double within = 0;
  for (int i = 0; i < 180; ++i) within += std::hypot(y[2 * i] - cx[label[i]], y[2 * i + 1] - cy[label[i]]) / 180.0;
  double between = INFINITY;
  for (int p = 0; p < 3; ++p)
    for (int q = p + 1; q < 3; ++q) between = std::min(between, std::hypot(cx[p] - cx[q], cy[p] - cy[q]));
  EXPECT_LT(within, 0.3 * between) << "within " << within << " between " << between;

  EXPECT_EQ(y, umap_layout(graph, opts));
  opts.seed = 1;
  EXPECT_NE(y, umap_layout(graph, opts));
}

TEST(UmapLayout, RejectsTinyGraphs) {
  SparseGraph g;
  g.n_obs = 2;
  g.indptr = {0, 0, 0};
  EXPECT_THROW(umap_layout(g), std::invalid_argument);
}

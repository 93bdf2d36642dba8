// Embedding health figures against numpy. Expected values computed once with
// Debian's python3-numpy 1.24:
//   X = the 5 x 3 matrix below; Y = X - X.mean(0); C = Y.T @ Y / 5
//   mean_std = sqrt(diag(C)).mean(); pr = trace(C)**2 / (C*C).sum()  (== eigvalsh: sum^2 / sum of squares)
//   cosine = (U @ U.T).sum() - n over n (n - 1), U = rows / norms, for X and for Y
//   spread = sqrt(trace(C)) / norm(X.mean(0))
#include "bmfm/eval/embedding_health.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace bmfm::eval;

namespace {

const std::vector<float> kX = {1.0f, 2.0f, 0.5f, 0.9f, 2.2f, 0.4f, 1.3f, 1.7f, 0.8f,
                               0.7f, 2.4f, 0.1f, 1.1f, 2.0f, 0.9f};

TEST(EmbeddingHealth, MatchesNumpy) {
  const EmbeddingHealth h = embedding_health({kX.data(), 5, 3});
  EXPECT_EQ(h.n_used, 5);
  EXPECT_NEAR(h.mean_std, 0.240097359227, 1e-6);
  EXPECT_NEAR(h.mean_abs, 1.2, 1e-6);
  EXPECT_NEAR(h.participation_ratio, 1.14285380007, 1e-6);
  EXPECT_NEAR(h.mean_cosine, 0.963292387617, 1e-6);
  EXPECT_NEAR(h.mean_cosine_centred, -0.227392180821, 1e-6);
  EXPECT_NEAR(h.spread, 0.178720541464, 1e-6);
  // Effective rank 1.14 < 2: flagged, and the message names the figure.
  EXPECT_NE(h.collapse.find("effective rank"), std::string::npos) << h.collapse;
}

TEST(EmbeddingHealth, ConstantVectorIsCollapsed) {
  std::vector<float> x;
  for (int i = 0; i < 50; ++i) x.insert(x.end(), {0.8f, -0.3f, 1.1f, 0.2f});
  x[0] += 1e-4f;  // not exactly constant, still collapsed
  const EmbeddingHealth h = embedding_health({x.data(), 50, 4});
  EXPECT_NE(h.collapse.find("spread"), std::string::npos) << h.collapse;
  EXPECT_GT(h.mean_cosine, 0.999);
}

TEST(EmbeddingHealth, IsotropicCellsAreHealthy) {
  // Cells spread evenly over 8 orthogonal directions around the origin: the
  // covariance is a multiple of the identity, so the effective rank is 8.
  std::vector<float> x;
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 8; ++j) x.push_back(j == i % 8 ? (i < 8 ? 1.0f : -1.0f) : 0.0f);
  const EmbeddingHealth h = embedding_health({x.data(), 16, 8});
  EXPECT_NEAR(h.participation_ratio, 8.0, 1e-9);
  EXPECT_TRUE(h.collapse.empty()) << h.collapse;
  EXPECT_FALSE(health_summary(h).empty());
}

TEST(EmbeddingHealth, SubsamplesLargeInputsEvenly) {
  std::vector<float> x;
  for (int i = 0; i < 1000; ++i) x.insert(x.end(), {static_cast<float>(i % 7), static_cast<float>(i % 3)});
  const EmbeddingHealth h = embedding_health({x.data(), 1000, 2}, {}, 100);
  EXPECT_EQ(h.n_used, 100);
  EXPECT_GT(h.participation_ratio, 1.0);
}

TEST(EmbeddingHealth, RejectsNonFinite) {
  std::vector<float> x = {1.0f, NAN, 0.0f, 1.0f};
  EXPECT_THROW(embedding_health({x.data(), 2, 2}), std::invalid_argument);
}

}  // namespace

// Silhouette and scib's ASW scores against sklearn 1.2 silhouette_samples (on
// the float64 upcast of the float32 embeddings) and scib's silhouette_batch
// loop, computed by tests/eval/make_expected.py.
#include "bmfm/eval/silhouette.h"

#include <gtest/gtest.h>

#include <cmath>

#include "eval_test_util.h"

using namespace bmfm::eval;
namespace ex = bmfm::test::eval_expected;

TEST(Silhouette, SyntheticSamplesMatchSklearn) {
  const auto s = silhouette_samples(bmfm::test::synthetic_view(), ex::kSynLabels);
  ASSERT_EQ(s.size(), ex::kSynSilhouette.size());
  for (size_t i = 0; i < s.size(); ++i) EXPECT_NEAR(s[i], ex::kSynSilhouette[i], 1e-9) << "cell " << i;
  // The singleton label's cell has silhouette 0.
  for (size_t i = 0; i < s.size(); ++i) {
    if (ex::kSynLabels[i] == 4) {
      EXPECT_EQ(s[i], 0.0);
    }
  }
}

TEST(Silhouette, SyntheticAswMatchesScib) {
  EXPECT_NEAR(asw_label(bmfm::test::synthetic_view(), ex::kSynLabels), ex::kSynAswLabel, 1e-9);
  const AswBatch b = asw_batch(bmfm::test::synthetic_view(), ex::kSynLabels, ex::kSynBatches);
  EXPECT_NEAR(b.score, ex::kSynAswBatch, 1e-9);
  EXPECT_EQ(b.labels, (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(b.skipped, (std::vector<int32_t>{3, 4}));  // one batch; one cell
  ASSERT_EQ(b.per_label.size(), ex::kSynAswBatchPerLabel.size());
  for (size_t l = 0; l < b.per_label.size(); ++l) EXPECT_NEAR(b.per_label[l], ex::kSynAswBatchPerLabel[l], 1e-9);
}

TEST(Silhouette, RealEmbeddingMatchesSklearn) {
  const auto& r = bmfm::test::real_embedding();
  const auto s = silhouette_samples(r.view(), r.cell_type);
  for (size_t i = 0; i < ex::kRealSilhouetteFirst10.size(); ++i)
    EXPECT_NEAR(s[i], ex::kRealSilhouetteFirst10[i], 1e-9) << "cell " << i;
  EXPECT_NEAR(asw_label(r.view(), r.cell_type), ex::kRealAswLabel, 1e-6);
  // sklearn on the float32 array itself (what scib gets from a float32 obsm) agrees as well.
  EXPECT_NEAR(asw_label(r.view(), r.cell_type), ex::kRealAswLabelFromFloat32, 1e-6);
  const AswBatch b = asw_batch(r.view(), r.cell_type, r.batch);
  EXPECT_NEAR(b.score, ex::kRealAswBatch, 1e-6);
  EXPECT_EQ(static_cast<int>(b.labels.size()), ex::kRealAswBatchLabels);
}

TEST(Silhouette, HandComputedExample) {
  // Points 0, 1 (label A) and 4, 6 (label B) on a line:
  //   cell 0: a = 1, b = (4 + 6) / 2 = 5     -> s = 4/5
  //   cell 1: a = 1, b = (3 + 5) / 2 = 4     -> s = 3/4
  //   cell 4: a = 2, b = (4 + 3) / 2 = 3.5   -> s = 1.5/3.5
  //   cell 6: a = 2, b = (6 + 5) / 2 = 5.5   -> s = 3.5/5.5
  const std::vector<float> X = {0, 1, 4, 6};
  const auto s = silhouette_samples({X.data(), 4, 1}, {0, 0, 1, 1});
  EXPECT_NEAR(s[0], 0.8, 1e-15);
  EXPECT_NEAR(s[1], 0.75, 1e-15);
  EXPECT_NEAR(s[2], 1.5 / 3.5, 1e-15);
  EXPECT_NEAR(s[3], 3.5 / 5.5, 1e-15);
}

TEST(Silhouette, AswBatchIsNanWhenNoLabelQualifies) {
  const std::vector<float> X = {0, 1, 4, 6};
  const AswBatch b = asw_batch({X.data(), 4, 1}, {0, 0, 1, 1}, {0, 0, 1, 1});
  EXPECT_TRUE(std::isnan(b.score));
  EXPECT_EQ(b.skipped.size(), 2u);
}

TEST(Silhouette, RejectsOneLabelOrAllDistinct) {
  const std::vector<float> X = {0, 1, 4, 6};
  EXPECT_THROW(silhouette_samples({X.data(), 4, 1}, {0, 0, 0, 0}), std::invalid_argument);
  EXPECT_THROW(silhouette_samples({X.data(), 4, 1}, {0, 1, 2, 3}), std::invalid_argument);
  EXPECT_THROW(silhouette_samples({X.data(), 4, 1}, {0, 1}), std::invalid_argument);
}

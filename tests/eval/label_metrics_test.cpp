// Regression and multi-label metrics against sklearn 1.2.1 / scipy 1.10.1
// (Debian's python3-sklearn, python3-scipy), computed with:
//   y = [1.5, -0.2, 3.1, 0.0, 2.2, 4.8]; p = [1.2, 0.1, 2.9, 0.5, 2.0, 4.1]
//   mean_squared_error, mean_absolute_error, r2_score, scipy.stats.pearsonr
//   Y, P below; accuracy_score, hamming_loss, precision/recall/f1_score(average=
//   micro | macro | samples | None, zero_division=0)
#include <gtest/gtest.h>

#include <cmath>

#include "bmfm/eval/label_metrics.h"

namespace bmfm::eval {
namespace {

TEST(RegressionMetrics, MatchesSklearn) {
  const RegressionMetrics m =
      regression_metrics({1.5, -0.2, 3.1, 0.0, 2.2, 4.8}, {1.2, 0.1, 2.9, 0.5, 2.0, 4.1});
  EXPECT_EQ(m.n, 6);
  EXPECT_NEAR(m.mse, 0.166666666667, 1e-10);
  EXPECT_NEAR(m.rmse, std::sqrt(0.166666666667), 1e-10);
  EXPECT_NEAR(m.mae, 0.366666666667, 1e-10);
  EXPECT_NEAR(m.r2, 0.944812362031, 1e-10);
  EXPECT_NEAR(m.pearson, 0.993564691948, 1e-10);
}

TEST(RegressionMetrics, ConstantTargetsAndEmpty) {
  // sklearn r2_score([2, 2], [2, 2]) = 1.0, r2_score([2, 2], [1, 3]) = 0.0 (force_finite).
  EXPECT_EQ(regression_metrics({2, 2}, {2, 2}).r2, 1.0);
  EXPECT_EQ(regression_metrics({2, 2}, {1, 3}).r2, 0.0);
  EXPECT_EQ(regression_metrics({2, 2}, {1, 3}).pearson, 0.0);
  EXPECT_EQ(regression_metrics({}, {}).n, 0);
  EXPECT_THROW(regression_metrics({1}, {}), std::invalid_argument);
}

TEST(MultilabelMetrics, MatchesSklearn) {
  const std::vector<uint8_t> Y = {1, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1};
  const std::vector<uint8_t> P = {1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1};
  const MultilabelMetrics m = multilabel_metrics(Y, P, 5, 4);
  EXPECT_NEAR(m.subset_accuracy, 0.6, 1e-12);
  EXPECT_NEAR(m.hamming_loss, 0.15, 1e-12);
  EXPECT_NEAR(m.micro_precision, 0.833333333333, 1e-10);
  EXPECT_NEAR(m.micro_recall, 0.714285714286, 1e-10);
  EXPECT_NEAR(m.micro_f1, 0.769230769231, 1e-10);
  EXPECT_NEAR(m.macro_f1, 0.65, 1e-12);
  EXPECT_NEAR(m.samples_f1, 0.633333333333, 1e-10);
  ASSERT_EQ(m.per_label.size(), 4u);
  const double f1[] = {0.8, 0.8, 0.0, 1.0};
  for (int j = 0; j < 4; ++j) EXPECT_NEAR(m.per_label[static_cast<size_t>(j)].f1, f1[j], 1e-12) << j;
  EXPECT_EQ(m.per_label[0].support, 3);
  EXPECT_THROW(multilabel_metrics(Y, P, 4, 4), std::invalid_argument);
}

}  // namespace
}  // namespace bmfm::eval

// Annotation metrics against sklearn 1.2 (Debian's python3-sklearn), computed once with
//   yt=[0,0,0,1,1,2,2,2,2,3]; yp=[0,1,0,1,1,2,0,2,4,3]
//   accuracy_score, balanced_accuracy_score,
//   precision_recall_fscore_support(average='macro' / None, zero_division=0), confusion_matrix
// (class 4 is predicted but never true: it counts in the macro averages, as in sklearn).
#include "bmfm/eval/annotation_metrics.h"

#include <gtest/gtest.h>

namespace bmfm::eval {
namespace {

const std::vector<int32_t> kTrue{0, 0, 0, 1, 1, 2, 2, 2, 2, 3};
const std::vector<int32_t> kPred{0, 1, 0, 1, 1, 2, 0, 2, 4, 3};

TEST(AnnotationMetrics, MatchSklearn) {
  const AnnotationMetrics m = annotation_metrics(kTrue, kPred, 0);
  EXPECT_NEAR(m.accuracy, 0.7, 1e-12);
  EXPECT_NEAR(m.balanced_accuracy, 0.7916666666666666, 1e-12);
  EXPECT_NEAR(m.macro_precision, 0.6666666666666666, 1e-12);
  EXPECT_NEAR(m.macro_recall, 0.6333333333333333, 1e-12);
  EXPECT_NEAR(m.macro_f1, 0.6266666666666667, 1e-12);
  const std::vector<double> f1{0.6666666666666666, 0.8, 0.6666666666666666, 1.0, 0.0};
  const std::vector<int64_t> support{3, 2, 4, 1, 0};
  ASSERT_EQ(m.per_class.size(), 5u);
  for (size_t k = 0; k < 5; ++k) {
    EXPECT_NEAR(m.per_class[k].f1, f1[k], 1e-12) << k;
    EXPECT_EQ(m.per_class[k].support, support[k]) << k;
  }
  const std::vector<std::vector<int64_t>> cm{
      {2, 1, 0, 0, 0}, {0, 2, 0, 0, 0}, {1, 0, 2, 0, 1}, {0, 0, 0, 1, 0}, {0, 0, 0, 0, 0}};
  EXPECT_EQ(m.confusion, cm);
}

TEST(AnnotationMetrics, BootstrapIntervalsBracketTheEstimateAndAreSeeded) {
  std::vector<int32_t> yt, yp;
  for (int r = 0; r < 30; ++r) yt.insert(yt.end(), kTrue.begin(), kTrue.end()), yp.insert(yp.end(), kPred.begin(), kPred.end());
  const AnnotationMetrics a = annotation_metrics(yt, yp, 500, 7), b = annotation_metrics(yt, yp, 500, 7);
  EXPECT_LT(a.accuracy_lo, a.accuracy);
  EXPECT_GT(a.accuracy_hi, a.accuracy);
  EXPECT_LT(a.macro_f1_lo, a.macro_f1);
  EXPECT_GT(a.macro_f1_hi, a.macro_f1);
  // Normal approximation for accuracy: p +- 1.96 sqrt(p(1-p)/n) = 0.7 +- 0.052.
  EXPECT_NEAR(a.accuracy_hi - a.accuracy_lo, 2 * 0.052, 0.02);
  EXPECT_EQ(a.accuracy_lo, b.accuracy_lo);
  EXPECT_EQ(a.macro_f1_hi, b.macro_f1_hi);
}

TEST(AnnotationMetrics, RejectsBadInput) {
  EXPECT_THROW(annotation_metrics({0, 1}, {0}, 0), std::invalid_argument);
  EXPECT_THROW(annotation_metrics({}, {}, 0), std::invalid_argument);
}

}  // namespace
}  // namespace bmfm::eval

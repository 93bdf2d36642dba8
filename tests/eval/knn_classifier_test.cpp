// kNN classification worked by hand on points of a line.
#include "bmfm/eval/knn_classifier.h"

#include <gtest/gtest.h>

namespace bmfm::eval {
namespace {

TEST(KnnClassifier, MajorityOfNearestWithTieBreaks) {
  // Reference points on a line: 0, 1, 2 (label 0), 10, 11 (label 1), 5 (unlabelled).
  const std::vector<float> ref{0, 1, 2, 10, 11, 5};
  const std::vector<int32_t> labels{0, 0, 0, 1, 1, -1};
  const std::vector<float> query{1.5f, 9.f, 6.f};
  const EmbeddingView R{ref.data(), 6, 1}, Q{query.data(), 3, 1};
  // k=3: 1.5 -> {1, 2, 0} all label 0; 9 -> {10, 11, 2} two label 1; 6 -> {2, 10, 1}: 0,1,0 -> label 0.
  EXPECT_EQ(knn_classify(R, labels, Q, 3), (std::vector<int32_t>{0, 1, 0}));
  // k=2 at 6: {2 (d 16), 10 (d 16)}: one vote each, equal distance -> smaller label 0.
  // k=2 at 9: {10, 11}: label 1.
  EXPECT_EQ(knn_classify(R, labels, Q, 2), (std::vector<int32_t>{0, 1, 0}));
  // k larger than the labelled references: all five vote (three 0s).
  EXPECT_EQ(knn_classify(R, labels, Q, 50), (std::vector<int32_t>{0, 0, 0}));
  EXPECT_THROW(knn_classify(R, {0, 1}, Q, 3), std::invalid_argument);
}

}  // namespace
}  // namespace bmfm::eval

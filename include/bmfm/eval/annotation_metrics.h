// Cell-type annotation metrics with sklearn's definitions (classes = the
// union of those in y_true and y_pred, zero division -> 0), plus percentile
// bootstrap confidence intervals (the paper's Table 6 format).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bmfm::eval {

struct ClassScores {
  int32_t label = 0;
  double precision = 0, recall = 0, f1 = 0;
  int64_t support = 0;  // true cells of the class
};

struct AnnotationMetrics {
  int64_t n = 0;
  double accuracy = 0;
  double balanced_accuracy = 0;  // mean recall over classes present in y_true
  double macro_precision = 0, macro_recall = 0, macro_f1 = 0;
  std::vector<ClassScores> per_class;         // ascending label
  std::vector<int32_t> labels;                // the union, ascending: rows / columns of `confusion`
  std::vector<std::vector<int64_t>> confusion;  // [true][pred]
  // 95% percentile bootstrap intervals (cells resampled with replacement).
  double accuracy_lo = 0, accuracy_hi = 0, macro_f1_lo = 0, macro_f1_hi = 0;
};

// y_true / y_pred: class indices >= 0 (cells with a missing label are left
// out by the caller). n_bootstrap = 0 skips the intervals.
AnnotationMetrics annotation_metrics(const std::vector<int32_t>& y_true, const std::vector<int32_t>& y_pred,
                                     int n_bootstrap = 1000, uint64_t seed = 0);

}  // namespace bmfm::eval

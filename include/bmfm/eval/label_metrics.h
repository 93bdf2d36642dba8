// Metrics for the non-categorical label heads, with sklearn's definitions:
// regression (mean_squared_error, mean_absolute_error, r2_score, and Pearson's
// r as scipy.stats.pearsonr) and multi-label (accuracy_score = exact-match
// subset accuracy, hamming_loss, precision / recall / f1_score with average
// micro, macro over all K labels and samples, zero_division = 0).
#pragma once

#include <cstdint>
#include <vector>

#include "bmfm/eval/annotation_metrics.h"

namespace bmfm::eval {

struct RegressionMetrics {
  int64_t n = 0;
  double mse = 0, rmse = 0, mae = 0;
  double r2 = 0;       // 1 - SS_res / SS_tot; 0 when the targets are constant (sklearn's force_finite)
  double pearson = 0;  // 0 when either side is constant
};

// Pairs with a missing target are left out by the caller.
RegressionMetrics regression_metrics(const std::vector<double>& y_true, const std::vector<double>& y_pred);

struct MultilabelMetrics {
  int64_t n = 0, k = 0;
  double subset_accuracy = 0;  // all K labels right
  double hamming_loss = 0;     // wrong (cell, label) pairs / (n K)
  double micro_precision = 0, micro_recall = 0, micro_f1 = 0;
  double macro_f1 = 0;    // mean over all K labels
  double samples_f1 = 0;  // mean over cells
  std::vector<ClassScores> per_label;  // per label column of the multi-hot (annotation_metrics.h's scores)
};

// y_true / y_pred: (n, k) row-major 0/1.
MultilabelMetrics multilabel_metrics(const std::vector<uint8_t>& y_true, const std::vector<uint8_t>& y_pred, int64_t n,
                                     int64_t k);

}  // namespace bmfm::eval

#include "bmfm/eval/cluster_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace bmfm::eval {

namespace {

// Sorted distinct codes and each cell's index into them.
std::vector<int32_t> encode(const std::vector<int32_t>& codes, std::vector<int32_t>& index) {
  std::vector<int32_t> uniq(codes);
  std::sort(uniq.begin(), uniq.end());
  uniq.erase(std::unique(uniq.begin(), uniq.end()), uniq.end());
  index.resize(codes.size());
  for (size_t i = 0; i < codes.size(); ++i)
    index[i] = static_cast<int32_t>(std::lower_bound(uniq.begin(), uniq.end(), codes[i]) - uniq.begin());
  return uniq;
}

}  // namespace

Contingency contingency_table(const std::vector<int32_t>& labels_true, const std::vector<int32_t>& labels_pred) {
  if (labels_true.size() != labels_pred.size())
    throw std::invalid_argument("contingency_table: labelings differ in length (" +
                                std::to_string(labels_true.size()) + " vs " + std::to_string(labels_pred.size()) +
                                ")");
  Contingency c;
  c.n = static_cast<int64_t>(labels_true.size());
  std::vector<int32_t> row, col;
  c.classes = encode(labels_true, row);
  c.clusters = encode(labels_pred, col);
  c.class_sizes.assign(c.classes.size(), 0);
  c.cluster_sizes.assign(c.clusters.size(), 0);
  const int64_t n_cols = static_cast<int64_t>(c.clusters.size());
  std::vector<int64_t> keys(row.size());
  for (size_t i = 0; i < row.size(); ++i) {
    keys[i] = row[i] * n_cols + col[i];
    ++c.class_sizes[static_cast<size_t>(row[i])];
    ++c.cluster_sizes[static_cast<size_t>(col[i])];
  }
  std::sort(keys.begin(), keys.end());
  for (size_t i = 0; i < keys.size();) {
    size_t j = i;
    while (j < keys.size() && keys[j] == keys[i]) ++j;
    c.cells.push_back({static_cast<int32_t>(keys[i] / n_cols), static_cast<int32_t>(keys[i] % n_cols),
                       static_cast<int64_t>(j - i)});
    i = j;
  }
  return c;
}

double mutual_info(const Contingency& c) {
  if (c.classes.size() == 1 || c.clusters.size() == 1 || c.n == 0) return 0.0;
  // sklearn's expression term by term: p_ij (log n_ij - log n) + p_ij (log n - log a_i + log n - log b_j),
  // with terms below machine epsilon in magnitude set to 0 before summing.
  const double n = static_cast<double>(c.n);
  const double log_n = std::log(n);
  const double eps = std::numeric_limits<double>::epsilon();
  double mi = 0;
  for (const auto& cell : c.cells) {
    const double nij = static_cast<double>(cell.count);
    const double p = nij / n;
    const double outer = static_cast<double>(c.class_sizes[static_cast<size_t>(cell.row)] *
                                             c.cluster_sizes[static_cast<size_t>(cell.col)]);
    const double log_outer = -std::log(outer) + log_n + log_n;
    const double term = p * (std::log(nij) - log_n) + p * log_outer;
    if (std::fabs(term) >= eps) mi += term;
  }
  return std::max(mi, 0.0);
}

double entropy(const std::vector<int64_t>& sizes) {
  double total = 0;
  for (int64_t s : sizes) total += static_cast<double>(s);
  if (total == 0) return 1.0;  // sklearn: entropy of an empty labeling is 1
  const double log_total = std::log(total);
  double h = 0;
  for (int64_t s : sizes)
    if (s > 0) h -= (static_cast<double>(s) / total) * (std::log(static_cast<double>(s)) - log_total);
  return h;
}

double nmi(const std::vector<int32_t>& labels_true, const std::vector<int32_t>& labels_pred) {
  const Contingency c = contingency_table(labels_true, labels_pred);
  // Both labelings a single cluster (or empty): identical partitions.
  if (c.classes.size() == c.clusters.size() && c.classes.size() <= 1) return 1.0;
  const double mi = mutual_info(c);
  if (mi == 0.0) return 0.0;
  const double h_true = entropy(c.class_sizes), h_pred = entropy(c.cluster_sizes);
  return mi / ((h_true + h_pred) / 2.0);
}

double ari(const std::vector<int32_t>& labels_true, const std::vector<int32_t>& labels_pred) {
  const Contingency c = contingency_table(labels_true, labels_pred);
  // Pair confusion matrix (sklearn pair_confusion_matrix), in 128-bit
  // integers: with 1e5 cells the products below exceed 2^63.
  using i128 = __int128;
  const i128 n = c.n;
  i128 sum_squares = 0, row_dot = 0, col_dot = 0;
  for (const auto& cell : c.cells) {
    const i128 v = cell.count;
    sum_squares += v * v;
    row_dot += v * c.cluster_sizes[static_cast<size_t>(cell.col)];  // (C . n_k).sum()
    col_dot += v * c.class_sizes[static_cast<size_t>(cell.row)];    // (C^T . n_c).sum()
  }
  const i128 tp = sum_squares - n;
  const i128 fp = row_dot - sum_squares;
  const i128 fn = col_dot - sum_squares;
  const i128 tn = n * n - fp - fn - sum_squares;
  if (fn == 0 && fp == 0) return 1.0;
  const i128 num = tp * tn - fn * fp;
  const i128 den = (tp + fn) * (fn + tn) + (tp + fp) * (fp + tn);
  // sklearn: 2.0 * (python int) / (python int), i.e. both rounded to double first.
  return 2.0 * static_cast<double>(num) / static_cast<double>(den);
}

}  // namespace bmfm::eval

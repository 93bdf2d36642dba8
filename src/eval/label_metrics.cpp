#include "bmfm/eval/label_metrics.h"

#include <cmath>
#include <stdexcept>

namespace bmfm::eval {
namespace {

double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }
double f1_of(double tp, double fp, double fn) { return ratio(2 * tp, 2 * tp + fp + fn); }

}  // namespace

RegressionMetrics regression_metrics(const std::vector<double>& y, const std::vector<double>& p) {
  if (y.size() != p.size()) throw std::invalid_argument("regression_metrics: y_true and y_pred differ in length");
  RegressionMetrics m;
  m.n = static_cast<int64_t>(y.size());
  if (m.n == 0) return m;
  const double n = static_cast<double>(m.n);
  double my = 0, mp = 0;
  for (size_t i = 0; i < y.size(); ++i) my += y[i], mp += p[i];
  my /= n, mp /= n;
  double ss_res = 0, abs = 0, syy = 0, spp = 0, syp = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    const double e = y[i] - p[i], dy = y[i] - my, dp = p[i] - mp;
    ss_res += e * e, abs += std::fabs(e);
    syy += dy * dy, spp += dp * dp, syp += dy * dp;
  }
  m.mse = ss_res / n;
  m.rmse = std::sqrt(m.mse);
  m.mae = abs / n;
  // sklearn: constant targets give 1 for a perfect fit, else 0 (force_finite).
  m.r2 = syy > 0 ? 1 - ss_res / syy : (ss_res == 0 ? 1.0 : 0.0);
  m.pearson = syy > 0 && spp > 0 ? syp / std::sqrt(syy * spp) : 0.0;
  return m;
}

MultilabelMetrics multilabel_metrics(const std::vector<uint8_t>& y, const std::vector<uint8_t>& p, int64_t n,
                                     int64_t k) {
  if (static_cast<int64_t>(y.size()) != n * k || static_cast<int64_t>(p.size()) != n * k)
    throw std::invalid_argument("multilabel_metrics: arrays are not n x k");
  MultilabelMetrics m;
  m.n = n, m.k = k;
  if (n == 0 || k == 0) return m;
  std::vector<double> tp(static_cast<size_t>(k)), fp(static_cast<size_t>(k)), fn(static_cast<size_t>(k));
  double exact = 0, wrong = 0, samples_f1 = 0;
  for (int64_t i = 0; i < n; ++i) {
    double row_tp = 0, row_fp = 0, row_fn = 0;
    for (int64_t j = 0; j < k; ++j) {
      const bool t = y[static_cast<size_t>(i * k + j)] != 0, q = p[static_cast<size_t>(i * k + j)] != 0;
      row_tp += t && q, row_fp += !t && q, row_fn += t && !q;
      tp[static_cast<size_t>(j)] += t && q, fp[static_cast<size_t>(j)] += !t && q, fn[static_cast<size_t>(j)] += t && !q;
    }
    exact += row_fp + row_fn == 0;
    wrong += row_fp + row_fn;
    samples_f1 += f1_of(row_tp, row_fp, row_fn);
  }
  const double N = static_cast<double>(n), K = static_cast<double>(k);
  m.subset_accuracy = exact / N;
  m.hamming_loss = wrong / (N * K);
  m.samples_f1 = samples_f1 / N;
  double TP = 0, FP = 0, FN = 0, macro = 0;
  for (int64_t j = 0; j < k; ++j) {
    const size_t c = static_cast<size_t>(j);
    TP += tp[c], FP += fp[c], FN += fn[c];
    ClassScores s;
    s.label = static_cast<int32_t>(j);
    s.precision = ratio(tp[c], tp[c] + fp[c]);
    s.recall = ratio(tp[c], tp[c] + fn[c]);
    s.f1 = f1_of(tp[c], fp[c], fn[c]);
    s.support = static_cast<int64_t>(tp[c] + fn[c]);
    macro += s.f1;
    m.per_label.push_back(s);
  }
  m.micro_precision = ratio(TP, TP + FP);
  m.micro_recall = ratio(TP, TP + FN);
  m.micro_f1 = f1_of(TP, FP, FN);
  m.macro_f1 = macro / K;
  return m;
}

}  // namespace bmfm::eval

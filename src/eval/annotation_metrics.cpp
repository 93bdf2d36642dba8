#include "bmfm/eval/annotation_metrics.h"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "bmfm/data/random.h"

namespace bmfm::eval {
namespace {

struct Core {
  double accuracy = 0, balanced = 0, macro_p = 0, macro_r = 0, macro_f1 = 0;
};

// Scores from per-class counts (tp, predicted, true) over the label union.
Core scores(const std::vector<int64_t>& tp, const std::vector<int64_t>& pred, const std::vector<int64_t>& truth,
            int64_t n, std::vector<ClassScores>* per_class, const std::vector<int32_t>* labels) {
  Core c;
  int64_t correct = 0, n_present = 0;
  double recall_sum = 0;
  for (size_t k = 0; k < tp.size(); ++k) {
    correct += tp[k];
    const double p = pred[k] > 0 ? static_cast<double>(tp[k]) / static_cast<double>(pred[k]) : 0.0;
    const double r = truth[k] > 0 ? static_cast<double>(tp[k]) / static_cast<double>(truth[k]) : 0.0;
    const double f = p + r > 0 ? 2 * p * r / (p + r) : 0.0;
    c.macro_p += p;
    c.macro_r += r;
    c.macro_f1 += f;
    if (truth[k] > 0) recall_sum += r, ++n_present;
    if (per_class) per_class->push_back({(*labels)[k], p, r, f, truth[k]});
  }
  const double K = static_cast<double>(tp.size());
  c.macro_p /= K;
  c.macro_r /= K;
  c.macro_f1 /= K;
  c.accuracy = static_cast<double>(correct) / static_cast<double>(n);
  c.balanced = n_present > 0 ? recall_sum / static_cast<double>(n_present) : 0.0;
  return c;
}

double percentile(std::vector<double> v, double q) {  // linear interpolation, as numpy's default
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

}  // namespace

AnnotationMetrics annotation_metrics(const std::vector<int32_t>& y_true, const std::vector<int32_t>& y_pred,
                                     int n_bootstrap, uint64_t seed) {
  if (y_true.size() != y_pred.size()) throw std::invalid_argument("annotation metrics: y_true and y_pred differ in length");
  if (y_true.empty()) throw std::invalid_argument("annotation metrics: no cells");
  AnnotationMetrics m;
  m.n = static_cast<int64_t>(y_true.size());
  std::map<int32_t, size_t> slot;
  for (int32_t y : y_true) slot[y];
  for (int32_t y : y_pred) slot[y];
  for (auto& [label, s] : slot) s = m.labels.size(), m.labels.push_back(label);
  const size_t K = m.labels.size();
  std::vector<size_t> ti(y_true.size()), pi(y_true.size());
  for (size_t i = 0; i < y_true.size(); ++i) ti[i] = slot[y_true[i]], pi[i] = slot[y_pred[i]];
  m.confusion.assign(K, std::vector<int64_t>(K, 0));
  std::vector<int64_t> tp(K), pred(K), truth(K);
  for (size_t i = 0; i < ti.size(); ++i) {
    ++m.confusion[ti[i]][pi[i]];
    ++truth[ti[i]], ++pred[pi[i]];
    if (ti[i] == pi[i]) ++tp[ti[i]];
  }
  const Core c = scores(tp, pred, truth, m.n, &m.per_class, &m.labels);
  m.accuracy = c.accuracy;
  m.balanced_accuracy = c.balanced;
  m.macro_precision = c.macro_p;
  m.macro_recall = c.macro_r;
  m.macro_f1 = c.macro_f1;
  if (n_bootstrap > 0) {
    data::Rng rng(seed, 0x626f6f74);  // "boot"
    std::vector<double> acc, f1;
    for (int b = 0; b < n_bootstrap; ++b) {
      // Classes of a resample: those it contains (sklearn on the resample).
      std::fill(tp.begin(), tp.end(), 0), std::fill(pred.begin(), pred.end(), 0), std::fill(truth.begin(), truth.end(), 0);
      for (int64_t j = 0; j < m.n; ++j) {
        const size_t i = static_cast<size_t>(rng.uniform_int(m.n));
        ++truth[ti[i]], ++pred[pi[i]];
        if (ti[i] == pi[i]) ++tp[ti[i]];
      }
      std::vector<int64_t> t2, p2, r2;
      for (size_t k = 0; k < K; ++k)
        if (truth[k] > 0 || pred[k] > 0) t2.push_back(tp[k]), p2.push_back(pred[k]), r2.push_back(truth[k]);
      const Core cb = scores(t2, p2, r2, m.n, nullptr, nullptr);
      acc.push_back(cb.accuracy);
      f1.push_back(cb.macro_f1);
    }
    m.accuracy_lo = percentile(acc, 0.025);
    m.accuracy_hi = percentile(acc, 0.975);
    m.macro_f1_lo = percentile(f1, 0.025);
    m.macro_f1_hi = percentile(f1, 0.975);
  }
  return m;
}

}  // namespace bmfm::eval

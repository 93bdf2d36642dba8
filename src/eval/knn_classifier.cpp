#include "bmfm/eval/knn_classifier.h"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <utility>

namespace bmfm::eval {

std::vector<int32_t> knn_classify(const EmbeddingView& ref, const std::vector<int32_t>& ref_labels,
                                  const EmbeddingView& query, int k) {
  if (ref.n_dims != query.n_dims) throw std::invalid_argument("knn_classify: reference and query dimensions differ");
  if (static_cast<int64_t>(ref_labels.size()) != ref.n_obs) throw std::invalid_argument("knn_classify: one label per reference row");
  if (k < 1) throw std::invalid_argument("knn_classify: k must be >= 1");
  std::vector<int64_t> usable;
  for (int64_t i = 0; i < ref.n_obs; ++i)
    if (ref_labels[static_cast<size_t>(i)] >= 0) usable.push_back(i);
  if (usable.empty()) throw std::invalid_argument("knn_classify: no labelled reference row");
  const size_t kk = std::min<size_t>(static_cast<size_t>(k), usable.size());
  std::vector<int32_t> out(static_cast<size_t>(query.n_obs));
  std::vector<std::pair<double, int64_t>> d(usable.size());
  for (int64_t q = 0; q < query.n_obs; ++q) {
    const float* x = query.row(q);
    for (size_t j = 0; j < usable.size(); ++j) {
      const float* r = ref.row(usable[j]);
      double s = 0;
      for (int64_t c = 0; c < ref.n_dims; ++c) {
        const double t = static_cast<double>(x[c]) - r[c];
        s += t * t;
      }
      d[j] = {s, usable[j]};
    }
    std::partial_sort(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(kk), d.end());
    std::map<int32_t, std::pair<int, double>> votes;  // label -> (count, total distance)
    for (size_t j = 0; j < kk; ++j) {
      auto& v = votes[ref_labels[static_cast<size_t>(d[j].second)]];
      ++v.first;
      v.second += d[j].first;
    }
    auto best = votes.begin();
    for (auto it = votes.begin(); it != votes.end(); ++it)
      if (it->second.first > best->second.first ||
          (it->second.first == best->second.first && it->second.second < best->second.second))
        best = it;
    out[static_cast<size_t>(q)] = best->first;
  }
  return out;
}

}  // namespace bmfm::eval

#include "bmfm/eval/graph_connectivity.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>

namespace bmfm::eval {

namespace {

int64_t find_root(std::vector<int64_t>& parent, int64_t x) {
  while (parent[static_cast<size_t>(x)] != x) {
    parent[static_cast<size_t>(x)] = parent[static_cast<size_t>(parent[static_cast<size_t>(x)])];  // path halving
    x = parent[static_cast<size_t>(x)];
  }
  return x;
}

}  // namespace

GraphConnectivity graph_connectivity(const SparseGraph& graph, const std::vector<int32_t>& labels) {
  const int64_t n = graph.n_obs;
  if (static_cast<int64_t>(labels.size()) != n)
    throw std::invalid_argument("graph_connectivity: " + std::to_string(labels.size()) + " labels for a graph of " +
                                std::to_string(n) + " cells");
  // One union-find over the edges that join cells of the same label: its
  // components are exactly the components of every label's induced subgraph.
  std::vector<int64_t> parent(static_cast<size_t>(n));
  std::iota(parent.begin(), parent.end(), 0);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t e = graph.indptr[static_cast<size_t>(i)]; e < graph.indptr[static_cast<size_t>(i + 1)]; ++e) {
      const int64_t j = graph.indices[static_cast<size_t>(e)];
      if (graph.data[static_cast<size_t>(e)] == 0.0 || labels[static_cast<size_t>(i)] != labels[static_cast<size_t>(j)])
        continue;
      const int64_t a = find_root(parent, i), b = find_root(parent, j);
      if (a != b) parent[static_cast<size_t>(std::max(a, b))] = std::min(a, b);
    }
  }
  std::vector<int64_t> component_size(static_cast<size_t>(n), 0);
  std::map<int32_t, int64_t> label_size;
  for (int64_t i = 0; i < n; ++i) {
    ++component_size[static_cast<size_t>(find_root(parent, i))];
    ++label_size[labels[static_cast<size_t>(i)]];
  }
  std::map<int32_t, int64_t> largest;
  for (int64_t i = 0; i < n; ++i)
    if (find_root(parent, i) == i) {
      int64_t& best = largest[labels[static_cast<size_t>(i)]];
      best = std::max(best, component_size[static_cast<size_t>(i)]);
    }

  GraphConnectivity out;
  double sum = 0;
  for (const auto& [label, size] : label_size) {
    const double ratio = static_cast<double>(largest[label]) / static_cast<double>(size);
    out.labels.push_back(label);
    out.per_label.push_back(ratio);
    sum += ratio;
  }
  out.score = out.labels.empty() ? 0.0 : sum / static_cast<double>(out.labels.size());
  return out;
}

}  // namespace bmfm::eval

// scib's graph connectivity: for each label, the subgraph of the connectivity
// graph induced by the label's cells; its largest connected component's size
// divided by the number of the label's cells; the mean over labels. Only
// stored (nonzero) edges connect cells, as in scipy's connected_components.
#pragma once

#include <cstdint>
#include <vector>

#include "bmfm/eval/sparse_graph.h"

namespace bmfm::eval {

struct GraphConnectivity {
  double score = 0;                 // mean over labels
  std::vector<int32_t> labels;      // labels present, in increasing code order
  std::vector<double> per_label;    // largest component / label size
};

GraphConnectivity graph_connectivity(const SparseGraph& graph, const std::vector<int32_t>& labels);

}  // namespace bmfm::eval

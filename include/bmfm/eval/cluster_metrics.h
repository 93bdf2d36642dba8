// Agreement between two labelings of the same cells, with sklearn's
// definitions (sklearn 1.2 metrics.cluster): normalized_mutual_info_score with
// the arithmetic-mean normaliser, and adjusted_rand_score. Codes are any int32
// values; only equality matters.
#pragma once

#include <cstdint>
#include <vector>

namespace bmfm::eval {

// The nonzero cells of the contingency table of two labelings. Classes and
// clusters are renumbered 0.. in increasing code order.
struct Contingency {
  int64_t n = 0;                 // number of cells
  std::vector<int32_t> classes;  // distinct codes of the first labeling, sorted
  std::vector<int32_t> clusters; // distinct codes of the second labeling, sorted
  std::vector<int64_t> class_sizes, cluster_sizes;
  struct Cell {
    int32_t row, col;            // class index, cluster index
    int64_t count;
  };
  std::vector<Cell> cells;       // nonzero entries, sorted by (row, col)
};

// Throws std::invalid_argument when the sizes differ.
Contingency contingency_table(const std::vector<int32_t>& labels_true,
                              const std::vector<int32_t>& labels_pred);

// Natural-log mutual information (sklearn mutual_info_score).
double mutual_info(const Contingency& c);
// Natural-log entropy of a labeling given its class sizes.
double entropy(const std::vector<int64_t>& sizes);

// sklearn normalized_mutual_info_score(average_method="arithmetic"): 1 when
// both labelings are a single cluster, 0 when MI is 0.
double nmi(const std::vector<int32_t>& labels_true, const std::vector<int32_t>& labels_pred);
// sklearn adjusted_rand_score (pair-counting form; 1 when both labelings agree
// on every pair, including the single-cluster case).
double ari(const std::vector<int32_t>& labels_true, const std::vector<int32_t>& labels_pred);

}  // namespace bmfm::eval

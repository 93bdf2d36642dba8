// Silhouette widths with sklearn's definitions (metrics.silhouette_samples,
// Euclidean), and scib's two ASW scores built on them.
//
// For cell i in cluster C: a_i = mean distance to the other cells of C,
// b_i = smallest mean distance to the cells of another cluster,
// s_i = (b_i - a_i) / max(a_i, b_i), with s_i = 0 when |C| = 1 (and 0 for 0/0).
// Distances are computed in float64 (like sklearn, which upcasts float32), in
// row blocks with BLAS, O(n^2 d) time and O(block * n) memory, OpenMP-parallel.
#pragma once

#include <cstdint>
#include <vector>

#include "bmfm/eval/embedding.h"

namespace bmfm::eval {

// Throws std::invalid_argument unless 2 <= number of clusters <= n_obs - 1
// (sklearn's condition).
std::vector<double> silhouette_samples(const EmbeddingView& emb, const std::vector<int32_t>& labels);

// Mean of silhouette_samples (sklearn silhouette_score).
double silhouette_score(const EmbeddingView& emb, const std::vector<int32_t>& labels);

// scib silhouette(scale=True): (silhouette_score + 1) / 2.
double asw_label(const EmbeddingView& emb, const std::vector<int32_t>& labels);

struct AswBatch {
  double score = 0;                 // mean over the scored labels; NaN when none is scored
  std::vector<int32_t> labels;      // the scored labels, in increasing code order
  std::vector<double> per_label;    // mean(1 - |s|) of each scored label
  std::vector<int32_t> skipped;     // labels with one batch, or one cell per batch
};

// scib silhouette_batch(scale=True): for each label, the silhouette of its
// cells against their batches; the label's score is mean(1 - |s_i|). Labels
// whose cells all share one batch, or whose cells are all in different
// batches, are skipped (scib skips n_batches == 1 and n_batches == n_cells).
AswBatch asw_batch(const EmbeddingView& emb, const std::vector<int32_t>& labels,
                   const std::vector<int32_t>& batches);

}  // namespace bmfm::eval

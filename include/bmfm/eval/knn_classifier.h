// k-nearest-neighbour classification (Euclidean, majority vote): the simple
// annotation baseline on the PCA embedding (`bmfm finetune baseline=pca_knn`).
#pragma once

#include <cstdint>
#include <vector>

#include "bmfm/eval/embedding.h"

namespace bmfm::eval {

// Label of each query row: the most frequent label among its k nearest
// reference rows (labels < 0 are skipped as references); ties go to the label
// whose tied neighbours are closer in total, then to the smaller label.
std::vector<int32_t> knn_classify(const EmbeddingView& reference, const std::vector<int32_t>& reference_labels,
                                  const EmbeddingView& query, int k);

}  // namespace bmfm::eval

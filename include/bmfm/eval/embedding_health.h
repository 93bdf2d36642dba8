// Whether an embedding holds anything: the figures that tell a collapsed
// representation (every cell the same vector, or cells spread along one or
// two directions such as sequencing depth) from one that varies with the
// cells. Cheap enough to print after every embed and at every probe.
//
//   EmbeddingHealth h = embedding_health(view);
//   if (!h.collapse.empty()) spdlog::warn("embedding looks collapsed: {}", h.collapse);
#pragma once

#include <cstdint>
#include <string>

#include "bmfm/eval/embedding.h"

namespace bmfm::eval {

struct EmbeddingHealth {
  int64_t n_obs = 0, n_dims = 0;
  int64_t n_used = 0;              // cells the figures were computed on (an even subsample of large inputs)
  double mean_std = 0;             // mean over dimensions of the std across cells (ddof 0)
  double mean_abs = 0;             // mean |value|
  double spread = 0;               // sqrt(total variance) / norm of the mean vector: how much of a cell's
                                   // vector varies between cells (inf when the mean is 0)
  double participation_ratio = 0;  // (tr C)^2 / tr(C^2) of the covariance C: the effective number of
                                   // directions the cells vary along (1 .. n_dims)
  double mean_cosine = 0;          // mean cosine similarity over pairs of distinct cells (uncentred; reported,
                                   // not a collapse criterion: a shared offset raises it whatever the cells do)
  double mean_cosine_centred = 0;  // the same after subtracting the mean vector
  std::string collapse;            // "" when healthy; else the figure(s) that say collapsed
};

struct HealthThresholds {
  double min_participation_ratio = 2.0;  // below: the cells live on one or two directions
  double min_spread = 0.01;              // below: near-constant vector (the shared part dominates)
};

// At most `max_cells` evenly spaced rows are used (all when n_obs is smaller),
// so the cost is bounded for millions of cells. Throws std::invalid_argument
// on a non-finite value (check_embedding).
EmbeddingHealth embedding_health(const EmbeddingView& emb, const HealthThresholds& t = {},
                                 int64_t max_cells = 20000);

// One line for logs: "std 0.41, spread 0.52, effective rank 7.3 of 64, cosine 0.12 (centred -0.00)".
std::string health_summary(const EmbeddingHealth& h);

}  // namespace bmfm::eval

// The zero-shot benchmark of an embedding with scib's definitions (as used by
// scGPT and BMFM-RNA): kNN graph -> UMAP connectivities -> Leiden resolution
// sweep -> NMI, ARI; ASW_label, ASW_batch; graph connectivity; and
//   AvgBio   = mean(NMI, ARI, ASW_label)
//   AvgBatch = mean(ASW_batch, graph_conn)
//   overall  = 0.6 AvgBio + 0.4 AvgBatch.
// A NaN (ASW_batch when every label has a single batch) propagates to the
// averages that use it; JSON writes it as null.
//
//   bmfm::eval::EmbeddingView emb{X.data(), n_obs, n_dims};
//   bmfm::eval::ScibOptions opts;
//   opts.l2_normalize = true;                  // as scGPT
//   auto m = bmfm::eval::scib_metrics(emb, cell_type_codes, batch_codes, opts);
//   nlohmann::json j = m;                      // or m.overall, m.times.total_s ...
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "bmfm/eval/connectivity.h"
#include "bmfm/eval/embedding.h"
#include "bmfm/eval/knn.h"
#include "bmfm/eval/leiden.h"

namespace bmfm::eval {

struct ScibOptions {
  bool l2_normalize = false;         // divide each row by its norm first (scGPT)
  KnnOptions knn;                    // 15 neighbours incl. self; exact below 8192 cells
  ConnectivityOptions connectivity;  // umap defaults
  LeidenOptions leiden;              // seed 0; `resolution` is ignored (swept)
  std::vector<double> resolutions = default_resolutions();
};

// Wall-clock seconds per stage.
struct ScibTimes {
  double normalize_s = 0, knn_s = 0, connectivity_s = 0, leiden_s = 0, nmi_ari_s = 0,
         asw_label_s = 0, asw_batch_s = 0, graph_conn_s = 0, total_s = 0;
};

struct ScibMetrics {
  int64_t n_obs = 0, n_dims = 0;
  int32_t n_labels = 0, n_batches = 0;
  bool knn_exact = true;
  double nmi = 0, ari = 0, asw_label = 0, asw_batch = 0, graph_conn = 0;
  double avg_bio = 0, avg_batch = 0, overall = 0;
  double best_resolution = 0;
  int32_t n_clusters = 0;
  std::vector<double> resolutions, nmi_per_resolution;
  std::vector<int32_t> clusters;     // (n_obs) the kept Leiden clustering
  SparseGraph connectivities;        // the fuzzy kNN graph (reused for the report's UMAP)
  ScibTimes times;
};

// Throws std::invalid_argument on a bad embedding, mismatched code lengths,
// or fewer than 2 labels.
ScibMetrics scib_metrics(const EmbeddingView& emb, const std::vector<int32_t>& labels,
                         const std::vector<int32_t>& batches, const ScibOptions& opts = {});

// All fields except `clusters` and `connectivities`.
void to_json(nlohmann::json& j, const ScibTimes& t);
void to_json(nlohmann::json& j, const ScibMetrics& m);

}  // namespace bmfm::eval

#include "bmfm/eval/scib_metrics.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <set>
#include <stdexcept>
#include <string>

#include "bmfm/eval/cluster_metrics.h"
#include "bmfm/eval/graph_connectivity.h"
#include "bmfm/eval/silhouette.h"

namespace bmfm::eval {

namespace {

class Stopwatch {
 public:
  double lap() {
    const auto now = std::chrono::steady_clock::now();
    const double s = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    return s;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

int32_t n_distinct(const std::vector<int32_t>& codes) {
  return static_cast<int32_t>(std::set<int32_t>(codes.begin(), codes.end()).size());
}

}  // namespace

ScibMetrics scib_metrics(const EmbeddingView& emb_in, const std::vector<int32_t>& labels,
                         const std::vector<int32_t>& batches, const ScibOptions& opts) {
  check_embedding(emb_in, "scib_metrics");
  check_codes(labels, emb_in.n_obs, "scib_metrics (labels)");
  check_codes(batches, emb_in.n_obs, "scib_metrics (batches)");
  ScibMetrics m;
  m.n_obs = emb_in.n_obs;
  m.n_dims = emb_in.n_dims;
  m.n_labels = n_distinct(labels);
  m.n_batches = n_distinct(batches);
  if (m.n_labels < 2)
    throw std::invalid_argument("scib_metrics: the labels have " + std::to_string(m.n_labels) +
                                " distinct value(s); the bio-conservation metrics need at least 2");

  Stopwatch total, watch;
  std::vector<float> normalized;
  EmbeddingView emb = emb_in;
  if (opts.l2_normalize) {
    normalized = l2_normalized(emb_in);
    emb.X = normalized.data();
  }
  m.times.normalize_s = watch.lap();

  const KnnGraph knn = knn_graph(emb, opts.knn);
  m.knn_exact = knn.exact;
  m.times.knn_s = watch.lap();

  m.connectivities = umap_connectivities(knn, opts.connectivity);
  const SparseGraph& graph = m.connectivities;
  m.times.connectivity_s = watch.lap();

  ResolutionSweep sweep = leiden_optimal_resolution(graph, labels, opts.resolutions, opts.leiden);
  m.resolutions = sweep.resolutions;
  m.nmi_per_resolution = sweep.scores;
  m.best_resolution = sweep.resolutions[static_cast<size_t>(sweep.best_index)];
  m.n_clusters = sweep.best.n_clusters;
  m.clusters = std::move(sweep.best.membership);
  m.times.leiden_s = watch.lap();

  m.nmi = nmi(labels, m.clusters);
  m.ari = ari(labels, m.clusters);
  m.times.nmi_ari_s = watch.lap();

  m.asw_label = asw_label(emb, labels);
  m.times.asw_label_s = watch.lap();

  m.asw_batch = asw_batch(emb, labels, batches).score;
  m.times.asw_batch_s = watch.lap();

  m.graph_conn = graph_connectivity(graph, labels).score;
  m.times.graph_conn_s = watch.lap();

  m.avg_bio = (m.nmi + m.ari + m.asw_label) / 3.0;
  m.avg_batch = (m.asw_batch + m.graph_conn) / 2.0;
  m.overall = 0.6 * m.avg_bio + 0.4 * m.avg_batch;
  m.times.total_s = total.lap();
  return m;
}

void to_json(nlohmann::json& j, const ScibTimes& t) {
  j = nlohmann::json{{"normalize_s", t.normalize_s},       {"knn_s", t.knn_s},
                     {"connectivity_s", t.connectivity_s}, {"leiden_s", t.leiden_s},
                     {"nmi_ari_s", t.nmi_ari_s},           {"asw_label_s", t.asw_label_s},
                     {"asw_batch_s", t.asw_batch_s},       {"graph_conn_s", t.graph_conn_s},
                     {"total_s", t.total_s}};
}

void to_json(nlohmann::json& j, const ScibMetrics& m) {
  j = nlohmann::json{{"n_obs", m.n_obs},
                     {"n_dims", m.n_dims},
                     {"n_labels", m.n_labels},
                     {"n_batches", m.n_batches},
                     {"knn", m.knn_exact ? "exact" : "hnsw"},
                     {"NMI", m.nmi},
                     {"ARI", m.ari},
                     {"ASW_label", m.asw_label},
                     {"ASW_batch", m.asw_batch},
                     {"graph_conn", m.graph_conn},
                     {"AvgBio", m.avg_bio},
                     {"AvgBatch", m.avg_batch},
                     {"overall", m.overall},
                     {"best_resolution", m.best_resolution},
                     {"n_clusters", m.n_clusters},
                     {"resolutions", m.resolutions},
                     {"nmi_per_resolution", m.nmi_per_resolution},
                     {"times", m.times}};
}

}  // namespace bmfm::eval

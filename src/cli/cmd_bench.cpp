// `bmfm bench <what>`: benchmark commands for the hot paths (not timed tests).
// Each prints throughput in cells/s and the process's peak resident memory.
#include <sys/resource.h>

#include <chrono>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "bmfm/data/random.h"
#include "bmfm/eval/scib_metrics.h"
#include "bmfm/model/runtime.h"
#include "commands.h"
#include "common.h"

namespace bmfm::cli {

namespace {

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // Linux reports KiB
}

// Gaussian clusters with a per-batch shift: a stand-in embedding with real structure.
void synthetic_embedding(int64_t n, int64_t d, int n_labels, int n_batches, uint64_t seed, std::vector<float>& X,
                         std::vector<int32_t>& labels, std::vector<int32_t>& batches) {
  data::Rng rng(seed);
  std::vector<float> centres(static_cast<size_t>(n_labels * d)), shifts(static_cast<size_t>(n_batches * d));
  for (auto& c : centres) c = static_cast<float>(rng.normal(0.0, 4.0));
  for (auto& s : shifts) s = static_cast<float>(rng.normal(0.0, 0.5));
  X.resize(static_cast<size_t>(n * d));
  labels.resize(static_cast<size_t>(n));
  batches.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int32_t l = static_cast<int32_t>(rng.uniform_int(n_labels));
    const int32_t b = static_cast<int32_t>(rng.uniform_int(n_batches));
    labels[static_cast<size_t>(i)] = l;
    batches[static_cast<size_t>(i)] = b;
    for (int64_t j = 0; j < d; ++j)
      X[static_cast<size_t>(i * d + j)] = centres[static_cast<size_t>(l * d + j)] +
                                          shifts[static_cast<size_t>(b * d + j)] + static_cast<float>(rng.normal());
  }
}

}  // namespace

Run add_bench_command(CLI::App& app) {
  struct Opts {
    int64_t n_cells = 10000;
    int64_t n_dims = 50;
    int n_labels = 10;
    int n_batches = 3;
    int threads = 0;
    std::string knn = "auto";
    std::string log_level = "info";
  };
  auto opts = std::make_shared<Opts>();
  auto* bench = app.add_subcommand("bench", "Benchmark a hot path; prints cells/s and peak memory");
  bench->require_subcommand(1);
  auto* metrics = bench->add_subcommand("metrics", "Full scib metric suite on a synthetic embedding");
  metrics->add_option("--n-cells", opts->n_cells, "cells")->capture_default_str();
  metrics->add_option("--n-dims", opts->n_dims, "embedding dimensions")->capture_default_str();
  metrics->add_option("--n-labels", opts->n_labels, "cell types")->capture_default_str();
  metrics->add_option("--n-batches", opts->n_batches, "batches")->capture_default_str();
  metrics->add_option("--knn", opts->knn, "auto | exact | hnsw")->capture_default_str();
  metrics->add_option("--threads", opts->threads, "threads (0 = all cores)")->capture_default_str();
  metrics->add_option("--log-level", opts->log_level, "log level")->capture_default_str();
  return [opts, metrics] {
    setup_logging(opts->log_level);
    if (!metrics->parsed()) throw ConfigError("bench: choose what to benchmark (bmfm bench --help)");
    if (opts->n_cells < 3 || opts->n_dims < 1) throw ConfigError("bench metrics: need --n-cells >= 3, --n-dims >= 1");
    model::set_num_threads(opts->threads);
    std::vector<float> X;
    std::vector<int32_t> labels, batches;
    synthetic_embedding(opts->n_cells, opts->n_dims, opts->n_labels, opts->n_batches, 0, X, labels, batches);
    eval::ScibOptions o;
    o.knn.method = eval::parse_knn_method(opts->knn);
    auto t0 = std::chrono::steady_clock::now();
    auto m = eval::scib_metrics({X.data(), opts->n_cells, opts->n_dims}, labels, batches, o);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto& t = m.times;
    std::cout << fmt::format(
        "bench metrics: {} cells x {} dims, {} labels, {} batches, knn {}, {} threads\n"
        "  total {:.2f} s = {:.0f} cells/s, peak RSS {:.0f} MiB\n"
        "  knn {:.2f} s, connectivities {:.2f} s, leiden sweep {:.2f} s, NMI/ARI {:.3f} s, ASW_label {:.2f} s, "
        "ASW_batch {:.2f} s, graph_conn {:.3f} s\n"
        "  overall {:.4f} (NMI {:.4f}, ARI {:.4f}, ASW_label {:.4f}, ASW_batch {:.4f}, graph_conn {:.4f})\n",
        opts->n_cells, opts->n_dims, opts->n_labels, opts->n_batches, m.knn_exact ? "exact" : "hnsw",
        model::runtime_info(false).threads, s, static_cast<double>(opts->n_cells) / s, peak_rss_mib(), t.knn_s,
        t.connectivity_s, t.leiden_s, t.nmi_ari_s, t.asw_label_s, t.asw_batch_s, t.graph_conn_s, m.overall, m.nmi,
        m.ari, m.asw_label, m.asw_batch, m.graph_conn);
    return 0;
  };
}

}  // namespace bmfm::cli

// `bmfm bench <what>`: benchmark commands for the hot paths (not timed tests).
// Each prints throughput in cells/s and the process's peak resident memory.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "bmfm/data/corpus.h"
#include "bmfm/data/loader.h"
#include "bmfm/data/prepare.h"
#include "bmfm/data/random.h"
#include "bmfm/eval/scib_metrics.h"
#include "bmfm/io/cell_reader.h"
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


// Runs `phase` (returns cells processed) in a forked child so that its peak
// RSS is its own (wait4), not the high-water mark of an earlier phase.
struct PhaseResult {
  double cells = 0, seconds = 0, peak_rss_mib = 0, anon_rss_mib = 0;
};

// Private (anonymous) resident memory now, from /proc/self/status: unlike
// the peak RSS it leaves out the corpus pages mapped from the page cache,
// which the kernel drops under memory pressure.
double anon_rss_mib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("RssAnon:", 0) == 0) return std::stod(line.substr(8)) / 1024.0;  // kB
  return -1;
}
template <class F>
PhaseResult run_phase(F phase) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("bench data: pipe failed");
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("bench data: fork failed");
  if (pid == 0) {
    close(fds[0]);
    double out[3] = {-1, 0, 0};
    try {
      const auto t0 = std::chrono::steady_clock::now();
      const auto [cells, anon] = phase();
      out[0] = static_cast<double>(cells);
      out[1] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      out[2] = anon;
    } catch (const std::exception& e) {
      std::cerr << "bench data: " << e.what() << "\n";
    }
    const ssize_t ignored = write(fds[1], out, sizeof out);
    (void)ignored;
    _exit(out[0] < 0 ? 1 : 0);
  }
  close(fds[1]);
  double in[3] = {-1, 0, 0};
  const ssize_t got = read(fds[0], in, sizeof in);
  close(fds[0]);
  int status = 0;
  rusage u{};
  wait4(pid, &status, 0, &u);
  if (got != static_cast<ssize_t>(sizeof in) || in[0] < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("bench data: a phase failed (see above)");
  return {in[0], in[1], static_cast<double>(u.ru_maxrss) / 1024.0, in[2]};
}

// Streams `n_cells` cells of WCED-ready (wced) or MLM batches from a corpus.
// Returns (cells, anonymous RSS in MiB while the loader runs).
std::pair<int64_t, double> stream_corpus(const std::string& dir, bool wced, int64_t threads, int64_t batch_size,
                                         int64_t n_cells) {
  const data::Corpus corpus = data::Corpus::open(dir);
  data::TransformConfig tc;
  tc.max_length = 1024;
  data::CollatorConfig cc;
  cc.tokenizer.max_length = 1024;
  if (wced) {
    cc.tokenizer.fields = {{"genes", "token", 0, 0.0}, {"expressions", "continuous", 0, 0.15}};
    cc.wced.enabled = true;
  } else {
    tc.binning.method = "scgpt";
    tc.binning.n_bins = 51;
    cc.tokenizer.fields = {{"genes", "token", 0, 0.15}, {"expressions", "binned", 51, 0.15}};
  }
  const data::TransformPipeline pipeline(tc, corpus.vocab());
  const data::Collator collator(corpus.vocab(), cc, corpus.labels().layout(), 0);
  const data::CorpusCellSource source(corpus);
  data::LoaderConfig lc;
  lc.batch_size = batch_size;
  lc.threads = threads;
  lc.prefetch = 2 * threads;
  lc.rank = 0;
  lc.world_size = 1;
  data::Loader loader(source, pipeline, collator, corpus.labels().layout(), lc);
  data::Batch batch;
  int64_t seen = 0;
  while (seen < n_cells) {
    loader.next(batch);
    seen += batch.B;
  }
  return {seen, anon_rss_mib()};  // measured while the loader and its queue are alive
}

}  // namespace

// Streams a matrix of an h5ad or SOMA experiment in row chunks, as prepare and
// qc read it: cells/s, stored values/s and peak memory of each pass.
template <class Opts>
int run_bench_read(const Opts& o) {
  io::OpenOptions open;
  open.obs_filter = o.obs_filter;
  std::cout << fmt::format("bench read: {} {}, chunks of {} rows{}\n", o.read_input, o.matrix, o.chunk_rows,
                           o.obs_filter.empty() ? "" : ", obs filter \"" + o.obs_filter + "\"");
  for (int pass = 1; pass <= o.passes; ++pass) {
    const PhaseResult r = run_phase([&] {
      const auto reader = io::open_cells(o.read_input, open);
      const int64_t n = reader->n_obs();
      for (int64_t b = 0; b < n; b += o.chunk_rows) reader->read_matrix(o.matrix, b, std::min(n, b + o.chunk_rows));
      return std::make_pair(n, anon_rss_mib());
    });
    std::cout << fmt::format("  pass {}  {:>9.0f} cells in {:.2f} s  {:>9.0f} cells/s  peak RSS {:>6.0f} MiB\n", pass,
                             r.cells, r.seconds, r.cells / r.seconds, r.peak_rss_mib);
  }
  return 0;
}

template <class Opts>
int run_bench_data(const Opts& o) {
  namespace fs = std::filesystem;
  std::cout << fmt::format("bench data: input {}, batch {}, streaming {} cells per run, max_length 1024\n", o.input,
                           o.batch_size, o.stream_cells);
  for (int64_t repeat : o.repeats) {
    const std::string dir = fmt::format("{}/corpus-x{}", o.work_dir, repeat);
    fs::remove_all(dir);
    data::PrepareConfig pc;
    pc.inputs.assign(static_cast<size_t>(repeat), o.input);
    pc.output = dir;
    const PhaseResult prep = run_phase([&] { return std::make_pair(data::prepare_corpus(pc).n_written, anon_rss_mib()); });
    std::cout << fmt::format("  prepare x{:<3} {:>9.0f} cells  {:>9.0f} cells/s  peak RSS {:>6.0f} MiB\n", repeat,
                             prep.cells, prep.cells / prep.seconds, prep.peak_rss_mib);
    for (bool wced : {true, false})
      for (int64_t threads : {1, 2}) {
        const PhaseResult r =
            run_phase([&] { return stream_corpus(dir, wced, threads, o.batch_size, o.stream_cells); });
        std::cout << fmt::format(
            "  stream x{:<3} {} {} thread{}  {:>9.0f} cells/s  peak RSS {:>6.0f} MiB (private {:>5.0f} MiB, the rest "
            "is mapped corpus pages)\n",
            repeat, wced ? "WCED" : "MLM ", threads, threads == 1 ? " " : "s", r.cells / r.seconds, r.peak_rss_mib,
            r.anon_rss_mib);
      }
    fs::remove_all(dir);
  }
  return 0;
}

Run add_bench_command(CLI::App& app) {
  struct Opts {
    int64_t n_cells = 10000;
    int64_t n_dims = 50;
    int n_labels = 10;
    int n_batches = 3;
    int threads = 0;
    std::string knn = "auto";
    std::string log_level = "info";
    std::string input = std::string(BMFM_SOURCE_DIR) + "/../shared/data/scanpy_10x_mousebrain10k_1000genes.h5ad";
    std::vector<int64_t> repeats{1};
    std::string work_dir = "/tmp/bmfm-bench-data";
    int64_t stream_cells = 50000;
    int64_t batch_size = 32;
    std::string read_input;
    std::string matrix = "X";
    std::string obs_filter;
    int64_t chunk_rows = 4096;
    int passes = 2;
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
  auto* data_cmd = bench->add_subcommand(
      "data", "Prepare a corpus from an h5ad (repeated N times), then stream WCED and MLM batches from it");
  data_cmd->add_option("--input", opts->input, "h5ad to prepare")->capture_default_str();
  data_cmd->add_option("--repeat", opts->repeats, "corpus sizes: the input repeated N times (several: --repeat 1 50)")
      ->capture_default_str();
  data_cmd->add_option("--work-dir", opts->work_dir, "where the corpora are written (removed after)")
      ->capture_default_str();
  data_cmd->add_option("--stream-cells", opts->stream_cells, "cells streamed per measurement")->capture_default_str();
  data_cmd->add_option("--batch-size", opts->batch_size, "cells per batch")->capture_default_str();
  data_cmd->add_option("--log-level", opts->log_level, "log level")->capture_default_str();
  auto* read_cmd = bench->add_subcommand(
      "read", "Stream a matrix of an h5ad or TileDB-SOMA experiment in row chunks (as prepare / qc read it)");
  read_cmd->add_option("--input", opts->read_input, "h5ad file or SOMA experiment folder")->required();
  read_cmd->add_option("--matrix", opts->matrix, "X or layers/<name>")->capture_default_str();
  read_cmd->add_option("--chunk-rows", opts->chunk_rows, "rows per read")->capture_default_str();
  read_cmd->add_option("--obs-filter", opts->obs_filter, "Census-style obs value filter")->capture_default_str();
  read_cmd->add_option("--passes", opts->passes, "passes (the first one also warms the page cache)")->capture_default_str();
  read_cmd->add_option("--log-level", opts->log_level, "log level")->capture_default_str();
  auto [train_cmd, train_run] = add_bench_train_subcommand(bench);
  auto [embed_cmd, embed_run] = add_bench_embed_subcommand(bench);
  return [opts, metrics, data_cmd, read_cmd, train_cmd = train_cmd, train_run = train_run, embed_cmd = embed_cmd,
          embed_run = embed_run] {
    if (train_cmd->parsed()) return train_run();
    if (embed_cmd->parsed()) return embed_run();
    setup_logging(opts->log_level);
    if (data_cmd->parsed()) return run_bench_data(*opts);
    if (read_cmd->parsed()) {
      if (opts->chunk_rows < 1 || opts->passes < 1) throw ConfigError("bench read: --chunk-rows and --passes must be >= 1");
      return run_bench_read(*opts);
    }
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

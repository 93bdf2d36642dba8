// `bmfm benchmark`: zero-shot scib metrics of baselines / existing embeddings /
// a checkpoint, and fine-tuned cell-type annotation (train/annotation_benchmark.h),
// on registry datasets, written as results.json, results.md and report.html.
#include <algorithm>
#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "bmfm/config/schema.h"
#include "bmfm/eval/benchmark.h"
#include "bmfm/eval/report.h"
#include "bmfm/model/runtime.h"
#include "bmfm/train/annotation_benchmark.h"
#include "bmfm/train/embed.h"
#include "bmfm/train/progress.h"
#include "bmfm/train/trainer.h"
#include "commands.h"
#include "common.h"

namespace fs = std::filesystem;

namespace bmfm::cli {

namespace {

struct BenchmarkRun {
  int64_t seed = 0;
  int64_t threads = 0;
  std::string output_dir = "runs/benchmark";
  std::vector<std::string> datasets;  // registry names (configs/benchmark/datasets/<name>.yaml) or YAML paths
  std::string checkpoint;             // a trained model: adds the "checkpoint" method
  std::vector<std::string> pooling{"auto"};
  int64_t batch_size = 64;
  eval::ZeroShotOptions zero_shot;
  train::AnnotationBenchmarkConfig annotation;
};

const config::Schema<BenchmarkRun>& benchmark_run_schema() {
  static const auto schema =
      config::Schema<BenchmarkRun>("benchmark")
          .field("seed", &BenchmarkRun::seed, "seed for kNN (hnsw) and UMAP layouts")
          .field("threads", &BenchmarkRun::threads, "threads; 0 = all available cores")
          .field("output_dir", &BenchmarkRun::output_dir, "run folder: results.json, results.md, report.html")
          .field("datasets", &BenchmarkRun::datasets,
                 "dataset registry names (configs/benchmark/datasets/<name>.yaml) or paths to such YAML files")
          .field("checkpoint", &BenchmarkRun::checkpoint,
                 "checkpoint or run folder to embed each dataset with (adds method 'checkpoint')")
          .field("pooling", &BenchmarkRun::pooling, "checkpoint embedding pooling: auto (the checkpoint's model.cell_pooling) | cls | mean (several: concatenated)")
          .field("batch_size", &BenchmarkRun::batch_size, "checkpoint embedding: cells per forward pass")
          .section("zero_shot", &BenchmarkRun::zero_shot, eval::zero_shot_schema(), "zero-shot scoring")
          .section("annotation", &BenchmarkRun::annotation, train::annotation_benchmark_schema(),
                   "fine-tuned cell-type annotation per dataset (its split)")
          .check([](const BenchmarkRun& r, const config::Config& cfg, const std::string& prefix) {
            if (r.datasets.empty()) config::fail(cfg, prefix + "datasets", "needs at least one dataset");
            if (r.zero_shot.methods.empty() && r.annotation.methods.empty())
              config::fail(cfg, prefix + "zero_shot.methods",
                           "nothing to run: set zero_shot.methods and/or annotation.methods");
          });
  return schema;
}

// A registry entry is a config file of its own, composed like any other
// (so it may interpolate ${oc.env:BMFM_DATA_DIR,...}) and read strictly.
eval::DatasetSpec load_dataset_spec(const std::string& name, const std::vector<std::string>& extra_dirs) {
  fs::path file;
  if (name.size() > 5 && name.substr(name.size() - 5) == ".yaml") {
    file = name;
  } else {
    std::vector<std::string> dirs = extra_dirs;
    for (auto& d : config::default_config_dirs()) dirs.push_back(d);
    std::vector<std::string> tried;
    for (const auto& d : dirs) {
      fs::path p = fs::path(d) / "benchmark" / "datasets" / (name + ".yaml");
      tried.push_back(p.string());
      if (fs::exists(p)) {
        file = p;
        break;
      }
    }
    if (file.empty()) {
      std::string available;
      for (const auto& d : dirs) {
        fs::path folder = fs::path(d) / "benchmark" / "datasets";
        if (!fs::is_directory(folder)) continue;
        for (const auto& e : fs::directory_iterator(folder))
          if (e.path().extension() == ".yaml") available += " " + e.path().stem().string();
        break;
      }
      throw ConfigError("datasets: no registry entry '" + name + "' (looked for " + tried.front() +
                        (tried.size() > 1 ? ", ..." : "") + "); available:" + available);
    }
  }
  if (!fs::exists(file)) throw ConfigError("datasets: file not found: " + file.string());
  config::ComposeRequest req;
  req.config_file = file.string();
  req.config_dirs = extra_dirs;
  req.base = eval::dataset_spec_schema().defaults();
  auto spec = eval::dataset_spec_schema().read(config::compose(req), "");
  if (spec.path == "???" || spec.path.empty())
    throw ConfigError("dataset '" + spec.name + "' (" + file.string() + "): path is not set; download it (" +
                      (spec.source.empty() ? std::string("see the file") : spec.source) +
                      ") and pass ++path=... in the registry file or a copy of it");
  return spec;
}

}  // namespace

Run add_benchmark_command(CLI::App& app) {
  auto opts = std::make_shared<CommonOptions>();
  auto* sub = app.add_subcommand(
      "benchmark", "Zero-shot scib benchmark (NMI, ARI, ASW, graph connectivity) and fine-tuned annotation benchmark");
  add_common_options(sub, *opts);
  sub->footer("Datasets: configs/benchmark/datasets/*.yaml. Outputs: results.json, results.md, report.html\n"
              "Config keys:\n" + benchmark_run_schema().help(2));
  return [opts] {
    setup_logging(opts->log_level);
    std::vector<std::string> overrides, plain;
    split_positionals(opts->positionals, overrides, plain);
    if (!plain.empty()) throw ConfigError("benchmark takes no positional argument, got '" + plain.front() + "'");
    auto cfg = compose_for("benchmark", *opts, overrides, benchmark_run_schema().defaults());
    auto run = benchmark_run_schema().read(cfg, "");
    if (print_config_requested(*opts, cfg)) return 0;
    run.zero_shot.seed = static_cast<uint64_t>(run.seed);
    std::vector<eval::DatasetSpec> specs;
    for (const auto& name : run.datasets) specs.push_back(load_dataset_spec(name, opts->config_dirs));
    model::set_num_threads(static_cast<int>(run.threads));
    // checkpoint=DIR adds method "checkpoint" to each list that is in use.
    auto& methods = run.zero_shot.methods;
    auto& ann = run.annotation.methods;
    auto lists = [](const std::vector<std::string>& v) { return std::find(v.begin(), v.end(), "checkpoint") != v.end(); };
    if (lists(methods) && run.checkpoint.empty())
      throw ConfigError("zero_shot.methods lists 'checkpoint': set checkpoint=DIR (a checkpoint or run folder)");
    if (lists(ann) && run.checkpoint.empty())
      throw ConfigError("annotation.methods lists 'checkpoint': set checkpoint=DIR (a pretraining checkpoint or run folder)");
    if (!run.checkpoint.empty()) {
      if (!methods.empty() && !lists(methods)) methods.push_back("checkpoint");
      if (!ann.empty() && !lists(ann)) ann.push_back("checkpoint");
    }
    prepare_output_dir(run.output_dir, cfg);
    std::shared_ptr<train::LoadedModel> model;
    if (lists(methods)) {
      model = std::make_shared<train::LoadedModel>(train::load_checkpoint_model(run.checkpoint, train::resolve_device("auto")));
      spdlog::info("checkpoint {} (step {}): embedding with pooling [{}]", model->dir, model->step,
                   fmt::format("{}", fmt::join(run.pooling, ", ")));
      run.zero_shot.embed_checkpoint = [model, run](const eval::DatasetSpec& spec) {
        train::EmbedConfig e;
        e.checkpoint = model->dir;
        e.input = spec.path;
        e.gene_column = spec.gene_column;
        e.matrix = spec.counts;
        e.pooling = run.pooling;
        e.batch_size = run.batch_size;
        return train::embed_cells(*model, e).values;
      };
    }

    std::vector<eval::DatasetResult> results;
    int failures = 0;
    // One unit per (dataset, method, stage) where stages are embed, metrics,
    // umap; one per annotation run.
    const int64_t stages = run.zero_shot.umap ? 3 : 2;
    train::ProgressBar bar("benchmark", static_cast<int64_t>(specs.size()) *
                                            (static_cast<int64_t>(methods.size()) * stages + static_cast<int64_t>(ann.size())));
    for (size_t i = 0; i < specs.size(); ++i) {
      int64_t seen = 0;
      auto progress = [&](const std::string& dataset, const std::string& method, const std::string& stage) {
        const std::string status = dataset + (method.empty() ? "" : " / " + method) + ": " + stage;
        if (stage != "load" && seen++ > 0)
          bar.advance(1, status);  // the previous stage is done
        else
          bar.set_status(status);
      };
      eval::DatasetResult r;
      r.spec = specs[i];
      if (!methods.empty()) {
        r = eval::run_zero_shot(specs[i], run.zero_shot, progress);
        // Units of this dataset not yet counted (the last stage, or all of them after a failure).
        bar.advance(static_cast<int64_t>(methods.size()) * stages - std::max<int64_t>(seen - 1, 0));
      }
      // Zero-shot scores first: the annotation runs below take much longer.
      if (!r.error.empty()) {
        ++failures;
        spdlog::error("{}: {}", r.spec.name, r.error);
      }
      for (const auto& m : r.methods) {
        if (!m.error.empty()) {
          ++failures;
          spdlog::error("{} / {}: {}", r.spec.name, m.method, m.error);
        } else {
          spdlog::info("{} / {}: overall {:.4f} (AvgBio {:.4f}, AvgBatch {:.4f}) in {:.1f} s", r.spec.name, m.method,
                       m.metrics.overall, m.metrics.avg_bio, m.metrics.avg_batch,
                       m.embed_seconds + m.metrics.times.total_s);
        }
      }
      if (!r.error.empty()) bar.advance(static_cast<int64_t>(ann.size()));  // the dataset itself could not be read
      for (const auto& method : ann) {
        if (!r.error.empty()) break;
        bar.set_status(r.spec.name + " / annotation " + method + ": fine-tune");
        const std::string dir = (fs::path(run.output_dir) / "annotation" / r.spec.name / method).string();
        eval::AnnotationResult a = train::run_annotation(r.spec, run.annotation, method, run.checkpoint, run.seed,
                                                         run.threads, dir);
        if (!a.error.empty()) {
          ++failures;
          spdlog::error("{} / annotation {}: {}", r.spec.name, method, a.error);
        } else {
          spdlog::info("{} / annotation {}: test accuracy {:.4f}, macro F1 {:.4f} ({} test cells) in {:.1f} s",
                       r.spec.name, method, a.test.accuracy, a.test.macro_f1, a.n_test, a.seconds);
        }
        r.annotation.push_back(std::move(a));
        bar.advance(1);
      }
      results.push_back(std::move(r));
    }
    bar.finish();
    write_text_file(run.output_dir + "/results.json", eval::results_json(results, run.zero_shot));
    write_text_file(run.output_dir + "/results.md", eval::results_markdown(results));
    write_text_file(run.output_dir + "/report.html", eval::report_html(results, run.zero_shot));
    spdlog::info("wrote {}/results.json, results.md, report.html", run.output_dir);
    if (failures > 0) spdlog::error("{} dataset/method run(s) failed; see results.md", failures);
    return failures > 0 ? 1 : 0;
  };
}

}  // namespace bmfm::cli

#include "bmfm/train/annotation_benchmark.h"

#include <chrono>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include "bmfm/train/finetune.h"

namespace bmfm::train {
namespace fs = std::filesystem;

const config::Schema<AnnotationBenchmarkConfig>& annotation_benchmark_schema() {
  using A = AnnotationBenchmarkConfig;
  static const auto schema =
      config::Schema<A>("annotation")
          .field("methods", &A::methods, "fine-tuned annotation: pca_knn | scratch | checkpoint; [] = off")
          .field("architecture", &A::architecture, "scratch: pretrain preset of the untrained model")
          .field("architecture_overrides", &A::architecture_overrides, "overrides for it, e.g. [size=tiny]")
          .field("pooling", &A::pooling, "auto (the model's cell_pooling) | cls | mean | pooler")
          .field("head_layers", &A::head_layers, "1 (linear) | 2 (dense, GELU, dropout, linear)")
          .field("batch_size", &A::batch_size, "cells per batch")
          .field("bootstrap", &A::bootstrap, "bootstrap resamples for the 95% intervals; 0 = none")
          .field("knn_k", &A::knn_k, "pca_knn: neighbours that vote")
          .section("trainer", &A::trainer, trainer_schema(), "fine-tuning optimisation (as bmfm finetune's trainer)")
          .check([](const A& a, const config::Config& cfg, const std::string& p) {
            for (const auto& m : a.methods)
              if (m != "pca_knn" && m != "scratch" && m != "checkpoint")
                config::fail(cfg, p + "methods", "unknown method '" + m + "' (choose pca_knn, scratch or checkpoint)");
            config::require_one_of(cfg, p + "pooling", a.pooling, {"auto", "cls", "mean", "pooler"});
            if (a.head_layers != 1 && a.head_layers != 2) config::fail(cfg, p + "head_layers", "1 or 2");
            if (a.batch_size < 1) config::fail(cfg, p + "batch_size", "must be >= 1");
            if (a.bootstrap < 0) config::fail(cfg, p + "bootstrap", "must be >= 0");
            if (a.knn_k < 1) config::fail(cfg, p + "knn_k", "must be >= 1");
            check_finetune_trainer(a.trainer, cfg, p + "trainer.");
            config::require_one_of(cfg, p + "trainer.early_stopping.monitor", a.trainer.early_stopping.monitor,
                                   {"val/macro_f1", "val/accuracy", "val/loss"});
          });
  return schema;
}

eval::AnnotationResult run_annotation(const eval::DatasetSpec& spec, const AnnotationBenchmarkConfig& cfg,
                                      const std::string& method, const std::string& checkpoint, int64_t seed,
                                      int64_t threads, const std::string& output_dir) {
  eval::AnnotationResult r;
  r.method = method;
  r.output_dir = output_dir;
  const auto start = std::chrono::steady_clock::now();
  try {
    FinetuneConfig f;
    f.seed = seed;
    f.threads = threads;
    f.output_dir = output_dir;
    if (method == "pca_knn") {
      f.baseline = "pca_knn";
      f.knn_k = cfg.knn_k;
    } else if (method == "scratch") {
      f.architecture = cfg.architecture;
      f.architecture_overrides = cfg.architecture_overrides;
    } else if (method == "checkpoint") {
      if (checkpoint.empty()) throw std::runtime_error("method checkpoint: set checkpoint=DIR");
      f.checkpoint = checkpoint;
    } else {
      throw std::runtime_error("unknown annotation method " + method);
    }
    f.input = spec.path;
    f.gene_column = spec.gene_column;
    f.matrix = spec.counts;
    LabelHeadConfig label;
    label.name = spec.label_key;
    f.labels = {label};
    f.pooling = cfg.pooling;
    f.head_layers = cfg.head_layers;
    f.split = spec.split;
    f.batch_size = cfg.batch_size;
    f.bootstrap = cfg.bootstrap;
    f.trainer = cfg.trainer;
    fs::create_directories(output_dir);
    // The run's config, as `bmfm finetune` would have written it.
    YAML::Emitter y;
    y << finetune_schema().defaults(f);
    const std::string yaml = std::string(y.c_str()) + "\n";
    std::ofstream(fs::path(output_dir) / "config.yaml") << yaml;
    const FinetuneResult res = finetune(f, yaml);
    r.n_train = res.n_train;
    r.n_val = res.n_val;
    r.n_test = res.n_test;
    r.best_epoch = res.best_epoch;
    r.test = res.labels.at(0).test;
    r.intervals = cfg.bootstrap > 0;
  } catch (const std::exception& e) {
    r.error = e.what();
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace bmfm::train

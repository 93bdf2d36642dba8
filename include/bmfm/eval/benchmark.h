// Zero-shot benchmark runner: for each dataset and method, build the embedding
// (a baseline, or an existing obsm entry), score it with the scib metrics and
// lay out a UMAP for the report. A failure is recorded per (dataset, method)
// and the rest still run. The annotation benchmark's results (fine-tuning:
// train/annotation_benchmark.h) sit in the same DatasetResult for the reports.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bmfm/config/schema.h"
#include "bmfm/data/split.h"
#include "bmfm/eval/annotation_metrics.h"
#include "bmfm/eval/baseline.h"
#include "bmfm/eval/embedding_health.h"
#include "bmfm/eval/scib_metrics.h"

namespace bmfm::eval {

// One entry of configs/benchmark/datasets/<name>.yaml.
struct DatasetSpec {
  std::string name;
  std::string path;                 // h5ad; "???" in the registry until the user sets it
  std::string label_key;            // obs column with cell types
  std::string batch_key;            // obs column with batches
  std::string counts = "X";         // matrix with raw counts: X or layers/<name> (baselines need counts)
  data::SplitConfig split;          // annotation benchmark: train / validation / test split of the cells
  std::string gene_column;          // var column with gene ids for checkpoint embedding; '' = var index
  std::string description;
  std::string source;               // where the public file comes from
};
const config::Schema<DatasetSpec>& dataset_spec_schema();

// Embeds every obs row of a dataset (file order) with a trained model. The
// CLI supplies it (bmfm embed's machinery): eval does not depend on training.
using CheckpointEmbedder = std::function<io::DenseMatrix(const DatasetSpec&)>;

struct ZeroShotOptions {
  std::vector<std::string> methods{"pca"};  // pca | log1p_hvg | obsm:<key> | checkpoint
  bool l2_normalize = false;                // scGPT scores L2-normalised embeddings
  std::string knn = "auto";                 // auto | exact | hnsw
  int64_t exact_below = 8192;
  bool umap = true;                         // 2-D layouts for report.html
  int umap_epochs = 0;                      // 0 = umap's default for the size
  BaselineOptions baseline;
  uint64_t seed = 0;
  CheckpointEmbedder embed_checkpoint;      // method "checkpoint"; not a config key
};
const config::Schema<ZeroShotOptions>& zero_shot_schema();

struct MethodResult {
  std::string method;
  std::string error;                // non-empty when this (dataset, method) failed
  ScibMetrics metrics;
  double embed_seconds = 0;
  int64_t n_dims = 0;
  EmbeddingHealth health;           // is anything in the embedding (embedding_health.h)
  std::vector<float> umap;          // (n_obs, 2) when requested
};

// One fine-tuned annotation run (bmfm finetune machinery): test-cell scores.
struct AnnotationResult {
  std::string method;               // pca_knn | scratch | checkpoint
  std::string error;                // non-empty when the run failed
  int64_t n_train = 0, n_val = 0, n_test = 0;
  int64_t best_epoch = 0;
  AnnotationMetrics test;           // label_key on the test cells
  bool intervals = false;           // test.*_lo / *_hi hold 95% bootstrap intervals
  double seconds = 0;
  std::string output_dir;           // the run's own metrics / checkpoint folder
};

struct DatasetResult {
  DatasetSpec spec;
  std::string error;                // non-empty when the dataset could not be loaded
  int64_t n_obs = 0, n_vars = 0;
  int64_t n_dropped = 0;            // cells without a label or batch
  std::vector<std::string> label_names, batch_names;
  std::vector<int32_t> labels, batches;  // (n_obs) codes of the scored cells
  std::vector<MethodResult> methods;
  std::vector<AnnotationResult> annotation;  // fine-tuned annotation benchmark (may be empty)
};

// `progress(dataset, method, stage)` is called before each stage (may be empty).
using BenchmarkProgress = std::function<void(const std::string&, const std::string&, const std::string&)>;

DatasetResult run_zero_shot(const DatasetSpec& spec, const ZeroShotOptions& opts, const BenchmarkProgress& progress);

}  // namespace bmfm::eval

// The annotation half of `bmfm benchmark`: for each registry dataset, its
// label_key fine-tuned (bmfm finetune's machinery) with the dataset's split by
// each method, scored on the test cells:
//   pca_knn     kNN on the PCA baseline embedding (no network)
//   scratch     the `architecture` preset trained from random weights (no pretraining)
//   checkpoint  the benchmark's checkpoint fine-tuned
// Each run keeps its own folder (<output_dir>/annotation/<dataset>/<method>:
// metrics.json / .md, per-class and confusion CSVs, the fine-tuned checkpoint).
#pragma once

#include <string>
#include <vector>

#include "bmfm/config/schema.h"
#include "bmfm/eval/benchmark.h"
#include "bmfm/train/finetune.h"
#include "bmfm/train/train_config.h"

namespace bmfm::train {

struct AnnotationBenchmarkConfig {
  std::vector<std::string> methods;  // pca_knn | scratch | checkpoint; empty = no annotation benchmark
  std::string architecture = "configs/wced.yaml";        // scratch: a pretrain preset
  std::vector<std::string> architecture_overrides{"size=tiny"};
  std::string pooling = "auto";
  int64_t head_layers = 1;
  int64_t batch_size = 32;
  int64_t bootstrap = 1000;
  int64_t knn_k = 15;
  TrainerConfig trainer = FinetuneConfig::default_trainer();  // max_epochs 10, early stopping on val/macro_f1
};
const config::Schema<AnnotationBenchmarkConfig>& annotation_benchmark_schema();

// One (dataset, method) run; failures are returned in AnnotationResult::error,
// never thrown. `checkpoint` is the benchmark's checkpoint (method checkpoint).
eval::AnnotationResult run_annotation(const eval::DatasetSpec& spec, const AnnotationBenchmarkConfig& cfg,
                                      const std::string& method, const std::string& checkpoint, int64_t seed,
                                      int64_t threads, const std::string& output_dir);

}  // namespace bmfm::train

// Fine-tuning for cell-level labels (`bmfm finetune`): a pretrained encoder
// (or a fresh one: the "no pretraining" baseline) plus one head per label
// column (classification, multi-label or regression), trained on a seeded
// train / validation / test split, the best validation epoch kept, scored on
// the test cells: classification with accuracy, balanced accuracy, macro
// precision / recall / F1, per-class F1, the confusion matrix and 95% bootstrap
// intervals; multi-label with subset accuracy, Hamming loss, micro / macro /
// samples F1; regression with MSE, MAE, R2 and Pearson r (docs/finetune.md).
#pragma once

#include <string>
#include <vector>

#include "bmfm/config/schema.h"
#include "bmfm/data/schema_list.h"
#include "bmfm/data/split.h"
#include "bmfm/eval/annotation_metrics.h"
#include "bmfm/eval/label_metrics.h"
#include "bmfm/train/train_config.h"

namespace bmfm::train {

struct LabelHeadConfig {
  std::string name;                        // obs column
  std::string kind = "classification";     // classification | multilabel ("a|b" values) | regression (numeric)
  std::string separator = "|";             // multilabel: between the labels of one cell
  std::string loss = "auto";               // auto (ce | bce | mse by kind) | ce | focal (classification)
  double weight = 1.0;
  double label_smoothing = 0.0;            // ce
  double focal_gamma = 2.0;                // focal
  bool grl = false;                        // gradient reversal (unlearn this label)
  double grl_alpha = 1.0;
  std::vector<std::string> silent_values;  // values treated as missing, e.g. [unknown]
};
const config::Schema<LabelHeadConfig>& label_head_schema();

struct FinetuneConfig {
  int64_t seed = 0;
  int64_t threads = 0;
  std::string output_dir = "runs/finetune";
  std::string checkpoint;    // pretrained checkpoint / run folder; '' = from scratch (see architecture)
  std::string architecture;  // from scratch: a pretrain preset (its data path and model), e.g. configs/wced.yaml
  std::vector<std::string> architecture_overrides;  // applied to it, e.g. [size=tiny]
  // No network: pca_knn = the benchmark's PCA baseline embedding of all cells
  // (DESIGN.md), each test cell labelled by its knn_k nearest training cells.
  std::string baseline;
  int64_t knn_k = 15;
  std::string input;         // h5ad
  std::string gene_column;
  std::string matrix = "X";
  std::vector<LabelHeadConfig> labels;
  std::string pooling = "auto";  // auto (the architecture's model.cell_pooling) | cls | mean | pooler
  int64_t head_layers = 1;      // 1 linear | 2 (dense, GELU, dropout, linear)
  std::vector<std::string> freeze;  // parameter-name prefixes kept fixed, e.g. [bert.embeddings, bert.layers.0.]
  double head_lr_multiplier = 1.0;  // heads + pooler learn at lr * this
  data::SplitConfig split;
  int64_t batch_size = 32;
  int64_t loader_threads = 2;
  int64_t bootstrap = 1000;     // resamples for the confidence intervals; 0 = none
  TrainerConfig trainer = default_trainer();

  static TrainerConfig default_trainer();
};
const config::Schema<FinetuneConfig>& finetune_schema();

// Refuses trainer keys the fine-tuning loop does not implement (grad_accum,
// val_every, ...: "not supported yet"); `prefix` ends with "trainer.". Shared
// with the benchmark's annotation section.
void check_finetune_trainer(const TrainerConfig& t, const config::Config& cfg, const std::string& prefix);

struct LabelResult {
  std::string name;
  std::string kind;  // classification | multilabel | regression
  std::vector<std::string> classes;
  eval::AnnotationMetrics val, test;            // classification
  eval::MultilabelMetrics ml_val, ml_test;      // multilabel
  eval::RegressionMetrics reg_val, reg_test;    // regression
};

struct FinetuneResult {
  std::vector<LabelResult> labels;
  int64_t n_train = 0, n_val = 0, n_test = 0;
  int64_t best_epoch = 0, epochs = 0;
};

// Runs the whole fine-tuning and writes metrics.json, metrics.md,
// per_class_<label>.csv, confusion_<label>.csv and checkpoints/best to `output_dir`.
FinetuneResult finetune(const FinetuneConfig& cfg, const std::string& config_yaml);

}  // namespace bmfm::train

namespace bmfm::config::detail {
template <>
struct Converter<train::LabelHeadConfig> : data::SchemaItemConverter<train::LabelHeadConfig, train::label_head_schema> {};
}  // namespace bmfm::config::detail

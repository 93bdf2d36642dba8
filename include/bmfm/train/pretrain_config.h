// The whole `bmfm pretrain` config (configs/wced.yaml, mlm_rda.yaml, ...):
// data, transforms, tokenizer / masker / wced, model, trainer, losses.
// Torch-free, so `--cfg job` and config errors never load libtorch code.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bmfm/config/schema.h"
#include "bmfm/data/collator.h"
#include "bmfm/data/labels.h"
#include "bmfm/data/loader.h"
#include "bmfm/data/transforms.h"
#include "bmfm/model/model_config.h"
#include "bmfm/train/distributed.h"
#include "bmfm/train/train_config.h"

namespace bmfm::train {

struct DataConfig {
  // A prepared corpus (bmfm prepare), or h5ad inputs that pretrain prepares
  // into <output_dir>/corpus first (no QC / sampling: use bmfm prepare for that).
  std::string corpus;
  std::vector<std::string> inputs;
  std::string vocab;         // inputs: vocabulary JSON; '' = union of the inputs' genes
  std::string gene_column;   // inputs: var column with gene ids; '' = var index
  std::string matrix = "X";  // inputs: raw counts, X or layers/<name>
  std::vector<data::LabelColumnConfig> label_columns;  // inputs: obs columns kept with each cell
  double val_fraction = 0.05;  // cells held out for validation (a seeded hash of the cell index)
  int64_t batch_size = 32;     // cells per micro-batch
  int64_t loader_threads = 2;  // background threads building batches
  int64_t prefetch = 4;        // batches built ahead
};
const config::Schema<DataConfig>& data_schema();

struct PretrainConfig {
  int64_t seed = 0;
  int64_t threads = 0;  // torch intra-op threads; 0 = all available cores
  std::string output_dir = "runs/pretrain";
  DataConfig data;
  data::TransformConfig transforms;
  data::TokenizerConfig tokenizer;
  data::MaskerConfig masker;
  data::WcedConfig wced;
  model::ModelConfig model;
  TrainerConfig trainer;
  DistributedConfig distributed;
  std::vector<LossConfig> losses;

  data::CollatorConfig collator() const { return {tokenizer, masker, wced}; }
};
const config::Schema<PretrainConfig>& pretrain_schema();

}  // namespace bmfm::train

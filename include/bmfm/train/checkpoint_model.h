// A trained model back from a checkpoint folder, for inference (embed,
// predict) and as the start of fine-tuning: the run's resolved config, its
// vocabulary and the weights, checked against each other.
#pragma once

#include <string>

#include <ATen/ATen.h>

#include "bmfm/data/labels.h"
#include "bmfm/data/vocab.h"
#include "bmfm/model/pretrain_model.h"
#include "bmfm/train/pretrain_config.h"

namespace bmfm::train {

struct LoadedModel {
  std::string dir;        // the checkpoint folder
  PretrainConfig config;  // as the run resolved it (checkpoint's config.yaml)
  data::Vocab vocab;
  data::LabelDictionary labels;  // the corpus's label columns (multitask heads); empty when none
  model::PretrainModel model{nullptr};
  int64_t step = 0;
  // "pretrain", or "classifier" (a bmfm finetune checkpoint: only model->bert()
  // holds trained weights; config is its architecture.yaml, with
  // model.cell_pooling set to the pooling the fine-tuned head read).
  std::string kind = "pretrain";
};

// Accepts a checkpoint folder or a run folder of either command (its
// checkpoints/last, else checkpoints/best). Errors
// name the folder: not a checkpoint, missing config / vocabulary, a vocabulary
// whose hash differs from the one recorded, a missing or mis-shaped tensor.
LoadedModel load_checkpoint_model(const std::string& path, const at::Device& device);

// `path` itself when it holds index.json, else <path>/checkpoints/last, else
// <path>/checkpoints/best; throws otherwise.
std::string resolve_checkpoint_dir(const std::string& path);

}  // namespace bmfm::train

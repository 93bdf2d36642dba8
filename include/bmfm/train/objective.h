// The pretraining objective: the configured loss terms (train_config.h)
// evaluated on the model's outputs, and the model shape they imply.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "bmfm/data/collator.h"
#include "bmfm/data/vocab.h"
#include "bmfm/model/batch_tensors.h"
#include "bmfm/model/model_config.h"
#include "bmfm/model/pretrain_model.h"
#include "bmfm/train/train_config.h"

namespace bmfm::train {

// Which heads and input encoders the losses and the tokenizer fields need.
// Throws std::invalid_argument naming the loss (losses[i]) whose targets the
// collator does not produce (e.g. genes ce without genes change_ratio).
model::ModelShape model_shape(const data::Vocab& vocab, const data::CollatorConfig& collator,
                              const std::vector<LossConfig>& losses);

struct LossTerms {
  std::vector<std::pair<std::string, at::Tensor>> terms;  // loss_name -> scalar
  at::Tensor total;                                       // sum(w_i L_i) / sum(w_i)
};

LossTerms compute_objective(const std::vector<LossConfig>& losses, const model::ModelOutputs& out,
                            const model::BatchTensors& batch);

}  // namespace bmfm::train

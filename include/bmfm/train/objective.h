// The pretraining objective: the configured loss terms (train_config.h)
// evaluated on the model's outputs, and the model shape they imply.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "bmfm/data/collator.h"
#include "bmfm/data/labels.h"
#include "bmfm/data/vocab.h"
#include "bmfm/model/batch_tensors.h"
#include "bmfm/model/model_config.h"
#include "bmfm/model/pretrain_model.h"
#include "bmfm/train/train_config.h"

namespace bmfm::train {

// Which heads and input encoders the losses and the tokenizer fields need.
// Throws std::invalid_argument naming the loss (losses[i]) whose targets the
// collator does not produce (e.g. genes ce without genes change_ratio), or
// whose label column is not in `labels` or has another kind than the loss
// expects. labels == nullptr: the label losses are skipped (callers that need
// only the encoder, e.g. fine-tuning a multitask checkpoint).
model::ModelShape model_shape(const data::Vocab& vocab, const data::CollatorConfig& collator,
                              const std::vector<LossConfig>& losses, const data::LabelDictionary* labels);

// The head a label loss (field label) needs: the column's kind and width from
// the label dictionary and where its targets sit in the batch's label arrays.
// std::invalid_argument when the column is not in `labels` or the loss kind does
// not fit its kind (classification: ce | focal, multilabel: bce, regression: mse).
model::LabelHeadSpec label_head_spec(const data::LabelDictionary& labels, const LossConfig& loss);

struct LossTerms {
  std::vector<std::pair<std::string, at::Tensor>> terms;  // loss_name -> scalar
  at::Tensor total;                                       // sum(w_i L_i) / sum(w_i)
};

// Data-parallel runs: the contrastive projections of every rank's batch,
// (W B, D), rank order, this rank's rows the differentiable input itself
// (the others constants); `world` is set to W. Empty: one process.
using ViewGather = std::function<at::Tensor(const at::Tensor& local, int64_t& world)>;

// The contrastive term on a batch of two views (rows i and i + B/2 of
// `projection` are the two views of one cell), gathered over ranks when
// `gather` is set; its value is the loss over all ranks' cells and its
// gradient is scaled so that the trainer's gradient mean over ranks equals
// the gradient of that loss (a 1-rank run with the ranks' batches together).
at::Tensor contrastive_loss(const at::Tensor& projection, double temperature, const ViewGather& gather);

// `shape` is the one model_shape gave for `losses` (its label heads say where
// each label loss finds its targets).
LossTerms compute_objective(const std::vector<LossConfig>& losses, const model::ModelShape& shape,
                            const model::ModelOutputs& out, const model::BatchTensors& batch,
                            const ViewGather& gather = {});

}  // namespace bmfm::train

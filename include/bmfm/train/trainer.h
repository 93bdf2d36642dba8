// The pretraining loop, top to bottom (llm.c style): per step, gather
// grad_accum micro-batches (forward under autocast, backward), check the
// loss, clip, AdamW with the scheduled learning rate; then, once in a while,
// log, validate, checkpoint, early-stop.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "bmfm/model/pretrain_model.h"
#include "bmfm/train/objective.h"
#include "bmfm/train/pretrain_config.h"
#include "bmfm/train/pretrain_data.h"

namespace bmfm::train {

struct PretrainResult {
  int64_t steps = 0;
  int64_t epoch = 0;
  double first_val_loss = 0, last_val_loss = 0;  // NaN when there is no validation split
  double last_train_loss = 0;
  bool early_stopped = false;
  std::string last_checkpoint;
  std::vector<std::pair<std::string, double>> probe;  // the last probe's figures (probe/NMI, ...); empty without one
};

// Device from trainer.device ("auto": CUDA when available).
at::Device resolve_device(const std::string& name);
// Whether bf16 autocast is used for trainer.precision on `device`.
bool use_bf16(const std::string& precision, const at::Device& device);

// Builds the model for the data's vocabulary and fields (pretrained gene
// vectors loaded when model.gene_embedding.file is set), on `device`.
model::PretrainModel build_model(const PretrainConfig& cfg, const PretrainData& data, const at::Device& device);

// One micro-batch: forward (autocast when bf16), objective, backward of
// total * scale. Returns the loss terms, detached. `gather`: the contrastive
// term's negatives from every rank (objective.h; empty for one process).
LossTerms forward_backward(model::PretrainModel& model, const std::vector<LossConfig>& losses,
                           const model::BatchTensors& batch, bool bf16, double scale, const ViewGather& gather = {});

class ProcessGroup;

// `config_yaml` is the resolved config, stored in every checkpoint.
// `resume_dir`: a checkpoint folder to continue from ("" = fresh start).
// `pg`: the data-parallel group (nullptr = one process). With several ranks,
// the weights start from rank 0's, gradients are averaged over ranks every
// optimizer step (never on accumulation micro-steps), logged and validation
// metrics are reduced over ranks, and only rank 0 writes logs and checkpoints.
PretrainResult pretrain(const PretrainConfig& cfg, PretrainData& data, const std::string& output_dir,
                        const std::string& config_yaml, const std::string& resume_dir, ProcessGroup* pg = nullptr);

}  // namespace bmfm::train

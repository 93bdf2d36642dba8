// A data::Batch as tensors on the compute device, plus the flat positions of
// the MLM targets (computed on the host, so selecting masked positions never
// waits on the device).
#pragma once

#include <ATen/ATen.h>

#include "bmfm/data/batch.h"

namespace bmfm::model {

struct BatchTensors {
  int64_t B = 0, L = 0, V = 0;
  int64_t views = 1;  // data::Batch::views
  // ---- inputs ----
  at::Tensor gene_ids;          // (B, L) int64
  at::Tensor attn_mask;         // (B, 1, 1, L) float: 0 for real tokens, -inf for padding; undefined when nothing is padded
  at::Tensor gene_mask;         // (B, L) float: 1 at gene positions (not CLS, [S] [T], SEP, padding)
  at::Tensor expr_token_ids;    // (B, L) int64, binned expressions (else undefined)
  at::Tensor expr_values;       // (B, L) float, continuous expressions (else undefined)
  at::Tensor expr_special;      // (B, L) int64 data::field_token code, 0 = a value (continuous only)
  at::Tensor perturbation_ids;  // (B, L) int64 (else undefined)
  // ---- MLM targets: flat positions b * L + l and their labels ----
  at::Tensor gene_pos, gene_labels;   // (Ng) int64: original gene id
  at::Tensor expr_pos;                // (Ne) int64
  at::Tensor expr_bins;               // (Ne) int64: original bin index (binned)
  at::Tensor expr_values_target;      // (Ne) float: original value (continuous / label_expressions)
  // ---- WCED targets ----
  at::Tensor wced_values, wced_is_zero;  // (B, V) float
  at::Tensor wced_set;                   // (B, V) uint8 data::wced_set code
  // ---- sequence labels (fine-tuning, multitask) ----
  at::Tensor class_labels;     // (B, C) int64, -100 = missing
  at::Tensor multilabel;       // (B, M) float 0/1, -100 over a missing column's block
  at::Tensor regression;       // (B, R) float
  at::Tensor regression_mask;  // (B, R) bool: regression holds a target
};

// Copies `batch` to `device`. Binned expression targets become bin indices
// (token id - field_token::kFirstValue).
BatchTensors to_tensors(const data::Batch& batch, at::Device device);

}  // namespace bmfm::model

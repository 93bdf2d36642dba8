// Training throughput: cells/s, tokens/s, achieved FLOP/s and model-FLOP
// utilisation (MFU) against the measured GEMM peak, with the real loader or
// with one cached batch (the loader's cost taken out). `bmfm bench train`.
#pragma once

#include <cstdint>
#include <string>

#include <ATen/ATen.h>

#include "bmfm/model/model_config.h"
#include "bmfm/train/pretrain_config.h"
#include "bmfm/train/pretrain_data.h"

namespace bmfm::train {

// Measured GEMM throughput (GFLOP/s) for n x n x n products in `dtype`.
double gemm_peak_gflops(at::ScalarType dtype, const at::Device& device, int64_t n = 2048);

// Matmul FLOPs of one training step (forward + backward = 3 x forward) for
// B cells padded to L, with `n_gene_targets` / `n_expr_targets` masked
// positions through the MLM heads. Elementwise work is not counted (MFU convention).
double train_step_flops(const model::ModelConfig& m, const model::ModelShape& s, int64_t B, int64_t L,
                        int64_t n_gene_targets, int64_t n_expr_targets);

struct Throughput {
  std::string mode;          // "loader" or "cached batch"
  int64_t steps = 0;
  double seconds = 0;
  double cells_per_s = 0;
  double tokens_per_s = 0;   // real (non-padding) tokens
  double gflops = 0;         // achieved model GFLOP/s
  double mean_length = 0;    // mean padded L
  double peak_rss_mib = 0;
  double optimizer_seconds = 0;  // clipping + AdamW, included in `seconds`
  double loss_first = 0, loss_last = 0;
};

// Times `steps` optimizer steps (after `warmup` untimed ones) of the model
// `bmfm pretrain` would build from cfg.
Throughput measure_training(const PretrainConfig& cfg, PretrainData& data, int64_t steps, int64_t warmup,
                            bool cached_batch);

}  // namespace bmfm::train

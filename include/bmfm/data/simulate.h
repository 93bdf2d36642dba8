// Splatter-style count simulator (Zappia et al. 2017): the embedded default
// data, so every command can run end to end on a fresh machine.
//
// Per gene: base mean ~ Gamma(mean_shape, rate mean_rate); with probability
// outlier_prob the mean becomes median * LogNormal(outlier_loc, outlier_scale).
// Per cell type and batch: multiplicative gene factors ~ LogNormal (DE genes
// with probability de_prob, down-regulated with de_down_prob; every gene gets
// a batch factor). Per cell: library size ~ LogNormal(lib_loc, lib_scale);
// mean lambda_ij = proportions_i(type, batch) * library size; biological
// variation lambda'_ij ~ Gamma with BCV (bcv_common + 1/sqrt(lambda)) *
// sqrt(bcv_df / chi2(bcv_df)); counts ~ Poisson(lambda'); then dropout.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bmfm/config/schema.h"
#include "bmfm/io/anndata.h"

namespace bmfm::data {

struct SimulateConfig {
  int64_t n_cells = 2000;
  int64_t n_genes = 2000;
  int64_t n_cell_types = 5;
  std::vector<double> cell_type_probs;  // empty = equal
  int64_t n_batches = 2;
  std::vector<double> batch_probs;      // empty = equal
  double mean_shape = 0.6;
  double mean_rate = 0.3;
  double lib_loc = 8.3;                 // exp(8.3) ~ 4000 UMI per cell, like 10x PBMC
  double lib_scale = 0.3;
  double outlier_prob = 0.05;
  double outlier_loc = 4.0;
  double outlier_scale = 0.5;
  double de_prob = 0.1;
  double de_down_prob = 0.5;
  double de_loc = 0.5;
  double de_scale = 0.4;
  double batch_loc = 0.1;
  double batch_scale = 0.1;
  double bcv_common = 0.1;
  double bcv_df = 60.0;
  std::string dropout = "logistic";     // none | logistic | binomial
  double dropout_mid = 0.0;             // logistic: log-mean at which half the entries drop
  double dropout_shape = -1.0;          // logistic: slope (negative: low means drop more)
  double capture_prob = 0.5;            // binomial: probability each molecule is captured
  std::string gene_prefix = "GENE";
  std::string cell_type_prefix = "celltype_";
  std::string batch_prefix = "batch_";
};

const config::Schema<SimulateConfig>& simulate_schema();

// Cells x genes integer counts (float32) in X, obs `cell_type` and `batch`
// (categoricals), var index = gene symbols with `base_mean`, `is_outlier`,
// `de_factor_<type>` and `batch_factor_<batch>` (the simulated ground truth).
// Deterministic in (config, seed) and independent of the thread count.
io::AnnData simulate(const SimulateConfig& cfg, uint64_t seed);

}  // namespace bmfm::data

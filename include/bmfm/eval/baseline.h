// The baselines a foundation model must beat (scanpy's standard pipeline):
//   normalize_total(1e4) -> log1p -> 2000 highly variable genes (seurat flavour)
//   -> scale (zero mean, unit variance, values above 10 clipped) -> PCA 50,
// and "log1p HVG": the same without scaling and PCA.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bmfm/io/anndata.h"

namespace bmfm::eval {

struct BaselineOptions {
  double target_sum = 1e4;
  int64_t n_top_genes = 2000;
  int hvg_bins = 20;
  double scale_max = 10.0;  // scanpy's scale(max_value=10): only values above are clipped
  int n_comps = 50;
};

// log1p(x / total * target_sum) per cell; a cell with zero total stays zero.
io::CsrMatrix log1p_normalize(const io::CsrMatrix& counts, double target_sum);

struct BaselineEmbedding {
  std::vector<float> X;        // (n_obs, n_dims) row-major
  int64_t n_obs = 0, n_dims = 0;
  std::vector<int32_t> hvg;    // selected gene columns (ascending)
};

// "pca": the full pipeline; "log1p_hvg": log-normalised HVG expression, dense.
BaselineEmbedding baseline_embedding(const std::string& method, const io::CsrMatrix& counts,
                                     const BaselineOptions& opts = {});

}  // namespace bmfm::eval

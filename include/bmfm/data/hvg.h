// Highly variable genes, seurat flavour (scanpy's highly_variable_genes with
// flavor="seurat"): from each gene's mean and unbiased variance of the
// normalised (non-log) values,
//   dispersion = log(var / mean)          (mean 0 -> 1e-12, var/mean 0 -> NaN)
//   means      = log1p(mean)
// genes are put into n_bins equal-width bins of `means` (pandas.cut: the
// lowest edge is lowered by 0.1% of the range, intervals closed on the right),
// and the dispersion is z-scored within its bin (ddof 1; a bin holding one
// gene gives 1). With n_top, the genes whose normalised dispersion is >= the
// n_top-th largest (NaN counted as 0) are selected, as scanpy does.
#pragma once

#include <cstdint>
#include <vector>

#include "bmfm/io/anndata.h"

namespace bmfm::data {

struct GeneDispersion {
  std::vector<double> means;             // log1p(mean)
  std::vector<double> dispersions;       // log(var / mean), NaN when var == 0
  std::vector<double> dispersions_norm;  // z-score within the mean bin, NaN when undefined
};

// From per-gene mean and unbiased (ddof = 1) variance of the normalised values.
GeneDispersion seurat_dispersion(const std::vector<double>& mean, const std::vector<double>& var, int n_bins = 20);

// Per-gene mean and unbiased variance of expm1(X) for a log1p-normalised CSR matrix.
void expm1_mean_var(const io::CsrMatrix& log_X, std::vector<double>& mean, std::vector<double>& var);

// Column indices (ascending) of the selected genes: scanpy's n_top_genes rule.
std::vector<int32_t> top_dispersion_genes(const GeneDispersion& d, int64_t n_top);

}  // namespace bmfm::data

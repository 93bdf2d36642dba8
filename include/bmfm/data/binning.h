// Expression binning, step (7) of docs/transforms.md: continuous values ->
// bin ids in [0, n_bins), written to their own array (the values stay).
//
// Bin 0 is the zero bin (value <= 0) for every method but int_cast, where
// values in (0, 1) also land in 0 (scBERT's semantics).
//   int_cast   (scBERT): floor(v) (or ceil(v), as bmfm-targets' BinTransform),
//              clipped to n_bins - 1.
//   percentile (bmfm-targets' BinTransform "percentile"): edges =
//              numpy.percentile(nz, linspace(0, 100, n_bins)) of the cell's
//              non-zero values nz; bin = clip(digitize(v, edges), 1, n_bins-1).
//              (The reference's num_bins = k is our n_bins = k + 1: we count the
//              zero bin in n_bins.)
//   scgpt      (scGPT's `binning`): edges = numpy.quantile(nz, linspace(0, 1,
//              n_bins - 1)); bin = digitize(v, edges) in [1, n_bins - 1]; with
//              random_ties, a value equal to several edges picks one of the bins
//              they span uniformly (scGPT's _digitize side="both"), else the
//              highest (side="one").
//   log        fixed log-spaced bins between log_min and log_max:
//              bin = clip(1 + floor((n_bins-1) * (ln v - ln log_min) /
//              (ln log_max - ln log_min)), 1, n_bins - 1).
// "The cell's non-zero values" are those of the whole cell after
// normalisation, before ordering / truncation / dropout: the pipeline computes
// the edges right after step (1) and digitizes the kept positions at step (7),
// so a gene's bin does not depend on which other genes made it into the input.
// Quantiles follow numpy's default ("linear") method operation for operation,
// so bins match numpy exactly on the same float32 values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "bmfm/data/random.h"

namespace bmfm::data {

enum class BinningMethod { None, IntCast, Percentile, ScGpt, Log };

struct BinningParams {
  BinningMethod method = BinningMethod::None;
  int32_t n_bins = 51;  // bin ids 0 .. n_bins-1 (>= 2; >= 3 for scgpt)
  bool int_cast_ceil = false;
  bool random_ties = true;               // scgpt only
  double log_min = 0.1, log_max = 10.0;  // log only; suit log1p(x / total * 1e4) values
};

// Per-cell bin edges (percentile / scgpt), reusable across cells.
struct BinEdges {
  std::vector<double> edges;
  std::vector<double> sorted;                    // scratch
  std::vector<float> sorted_values, sorted_tmp;  // scratch
};

// numpy.quantile(x, q) with the default "linear" method, `sorted` ascending.
double quantile_linear(const double* sorted, size_t n, double q);

// Edges from the cell's values (zeros ignored). No-op for int_cast / log.
void compute_bin_edges(const float* values, size_t n, const BinningParams& params, BinEdges& edges);
// The same edges from values already in descending order (e.g. after
// expression ordering), without sorting them again.
void compute_bin_edges_descending(const float* values, size_t n, const BinningParams& params, BinEdges& edges);
// Bins of values[0..n) against edges from compute_bin_edges (of this cell).
// `rng` is drawn from only by scgpt with random_ties, once per value that
// equals two or more edges.
void digitize_values(const float* values, size_t n, const BinningParams& params, const BinEdges& edges, Rng& rng,
                     int32_t* bins);
// Both, on the same values.
void bin_values(const float* values, size_t n, const BinningParams& params, BinEdges& edges, Rng& rng, int32_t* bins);

}  // namespace bmfm::data

// Whole-cell expression decoder (WCED) targets: for each cell, a dense vector
// over the gene part of the vocabulary (column j = vocabulary id n_special + j)
// built from the untransformed record, normalised only:
//   value(g) = log1p(x_g / total * target_sum),  total = sum of the record's raw values
// (value 0 for every gene when total is 0).
//
// Which genes are targets, and of which set (bmfm-targets' WCEDMasker, whose
// label sets are "input", "non_input" and "all"):
//   input      genes of the record that are in the model input (the genes
//              field of the row after masking: a gene replaced by [MASK] or a
//              random gene is not in the input, as in the reference, which
//              looks genes up in the masked input ids);
//   non-input  genes of the record not in the input;
//   all        input or non-input.
// "Genes of the record" are its stored entries, so stored zeros count as
// measured zeros. Exposed zeros (zeros: all | sampled) add vocabulary genes
// the record does not hold, with value 0:
//   - input genes absent from the record (zero-padded genes) become input
//     targets with value 0 (with zeros: none they are not targets);
//   - all:     every other vocabulary gene becomes a non-input target;
//   - sampled: n_zeros of them, uniformly without replacement (all of them
//              when fewer remain), from the cell's WCED random stream.
// The reference exposes the zeros of the dataset's own genes (its var);
// here they are the vocabulary's genes.
// A record gene that is special or out of range, a repeated record gene, or a
// negative / non-finite raw value is an error naming the cell.
#pragma once

#include <cstdint>
#include <string>

#include "bmfm/config/schema.h"
#include "bmfm/data/cell.h"
#include "bmfm/data/random.h"
#include "bmfm/data/vocab.h"

namespace bmfm::data {

struct WcedConfig {
  bool enabled = false;
  std::string zeros = "none";  // none | all | sampled: vocabulary genes absent from the record exposed as zeros
  int64_t n_zeros = 0;         // sampled: exposed non-input zeros per cell
  double target_sum = 1e4;     // normalisation: log1p(x / total * target_sum)
  // Where the decoder's per-gene outputs start: zero (BERT's init), or data
  // (wced_gene_stats: each gene's mean expressed value and is-zero log-odds
  // over a sample of training cells), so the encoder never has to carry the
  // average cell and its gradient goes to what differs between cells.
  std::string bias_init = "data";
  int64_t bias_init_cells = 2000;  // cells sampled for bias_init: data
};

const config::Schema<WcedConfig>& wced_schema();

struct WcedCounts {
  int64_t n_input = 0;      // input targets (record genes in the input + exposed input zeros)
  int64_t n_non_input = 0;  // non-input targets (record genes not in the input + exposed zeros)
  int64_t n_exposed_zeros = 0;
};

// Per-gene statistics of the WCED targets over a sample of cells, the
// decoder's starting point (WcedConfig::bias_init = data).
struct WcedGeneStats {
  int64_t n_cells = 0;              // cells read
  std::vector<float> value_mean;    // (V) mean log1p target over the cells that express the gene (global mean if none)
  std::vector<float> zero_logit;    // (V) log-odds that the gene is zero when it is a target, clamped to [-8, 8]
  std::vector<float> expressed;     // (V) fraction of the cells that express the gene
};

class CellSource;
// Reads up to `max_cells` evenly spaced cells of `source` (raw counts).
// With zeros: sampled, an absent gene is a target with probability
// n_zeros / (absent genes of the cell), which the is-zero log-odds include.
WcedGeneStats wced_gene_stats(const CellSource& source, const Vocab& vocab, const WcedConfig& config,
                              int64_t max_cells);

class WcedTargets {
 public:
  // Throws std::invalid_argument for a bad config.
  WcedTargets(const Vocab& vocab, WcedConfig config);

  const WcedConfig& config() const { return config_; }
  int64_t width() const { return n_genes_; }  // V

  // Writes V entries of values / is_zero / set (batch.h wced_* arrays) for one
  // cell. `input_genes` are the genes-field ids at the row's gene positions
  // after masking (specials such as [MASK] and [UNK] are skipped).
  WcedCounts build(const CellRecord& raw, const int32_t* input_genes, int64_t n_input, Rng& rng, float* values,
                   float* is_zero, uint8_t* set) const;

 private:
  WcedConfig config_;
  int32_t n_special_ = 0;
  int32_t n_genes_ = 0;
};

}  // namespace bmfm::data

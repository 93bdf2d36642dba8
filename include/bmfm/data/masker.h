// Masked-language-model masking of one encoded row (bmfm-targets' Masker).
//
// Per field with change_ratio p > 0 (tokenizer.fields), each gene position
// draws u ~ U[0, 1) from the cell's stream and is
//   changed   if u < p                         (its label = the original),
//   - masked    if u < p * mask_ratio            ([MASK] / kMask, value 0),
//   - switched  if u < p * (mask_ratio + switch_ratio)  (a random token),
//   - kept      otherwise (the "unmasked as value calibration" share),
// so of the changed positions mask_ratio are masked, switch_ratio switched
// and 1 - mask_ratio - switch_ratio kept unchanged but still predicted.
// Never changed: [CLS], [S] [T], [SEP], padding, and [UNK] genes.
// Switching draws: genes: a uniform vocabulary gene id (specials excluded);
// binned expressions: a uniform bin; continuous expressions: the value of a
// uniformly chosen gene position of the same cell (its input value, possibly
// itself), so switched values stay on the cell's own scale.
// Fields are masked in config order, genes first. Without co-masking each
// field draws its own u per position, and a position whose gene became [MASK]
// is not changed in expressions (as the reference: a value with no gene to
// attach it to carries no signal). With co-masking one u per position drives
// both fields, so the same positions are changed and masked in both; it needs
// equal change ratios and switch_ratio 0 (the reference forbids switching there).
// Labels: genes -> gene_labels (original id); binned expressions ->
// expr_label_ids (original bin token); expression values -> expr_label_values
// + expr_label_mask: the original value, or label_expressions when that field
// is configured (RDA targets). With label_expressions and an unmasked
// expressions field every gene position is a target (sequence labelling).
// -100 (mask 0) everywhere else.
#pragma once

#include <cstdint>

#include "bmfm/config/schema.h"
#include "bmfm/data/random.h"
#include "bmfm/data/tokenizer.h"

namespace bmfm::data {

struct MaskerConfig {
  // Defaults as bmfm-targets' DataModule: every changed position is masked.
  double mask_ratio = 1.0;    // of the changed positions: share replaced by [MASK]
  double switch_ratio = 0.0;  // of the changed positions: share replaced by a random token / value
  bool comask = false;        // change the same positions in genes and expressions
};

const config::Schema<MaskerConfig>& masker_schema();

// Row b of the label arrays (nullptr when unused).
struct LabelRowView {
  int32_t* gene_labels = nullptr;
  int32_t* expr_label_ids = nullptr;
  float* expr_label_values = nullptr;
  uint8_t* expr_label_mask = nullptr;
};

struct MaskCounts {
  int64_t genes_changed = 0, genes_masked = 0, genes_switched = 0;
  int64_t expr_changed = 0, expr_masked = 0, expr_switched = 0;
};

class Masker {
 public:
  // Throws std::invalid_argument when the ratios are out of range or
  // co-masking is asked of fields with different change ratios / switching.
  Masker(const Tokenizer& tokenizer, MaskerConfig config);

  const MaskerConfig& config() const { return config_; }
  bool masks_genes() const { return p_genes_ > 0; }
  bool masks_expressions() const { return p_expr_ > 0; }
  bool gene_labels() const { return masks_genes(); }
  bool expr_label_ids() const { return masks_expressions() && tokenizer_->expr_binned(); }
  bool expr_label_values() const;

  // Masks the gene positions of an encoded row in place and writes row
  // positions [0, L) of every non-null label array. `cell` is the cell the
  // row was encoded from (original values for labels and switching).
  MaskCounts apply(const TransformedCell& cell, const RowLayout& layout, int64_t L, const RowView& row,
                   const LabelRowView& labels, Rng& rng) const;

 private:
  const Tokenizer* tokenizer_;
  MaskerConfig config_;
  double p_genes_ = 0, p_expr_ = 0;
};

}  // namespace bmfm::data

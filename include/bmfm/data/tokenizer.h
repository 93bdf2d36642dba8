// Multifield tokenizer: one transformed cell -> one row of a Batch.
//
// Row layout (length n_real, then padding up to L):
//   [CLS] ([S] [T]) g_1 ... g_n [SEP] [PAD] ... [PAD]
// Per field, at each position:
//   position     gene_ids   expr_token_ids    expr_values  expr_special  perturbation_ids
//   CLS          [CLS]      kCls              0            kCls          kCls
//   [S] / [T]    [S] / [T]  (binned: error)   log1p depth  0 (a value)   kPad
//   gene i       g_i        kFirstValue+bin   value        0             kFirstValue+p_i
//   SEP          [SEP]      kSep              0            kSep          kSep
//   padding      [PAD]      kPad              0            kPad          kPad
// (field_token codes: batch.h). pad_mask is 1 on the first n_real positions.
// Cells longer than max_length lose their last genes (truncation: true,
// counted in Batch::n_truncated) or are an error (truncation: false).
// Padding: "max_length" pads every row to max_length; "longest" pads to the
// longest row of the batch rounded up to pad_to_multiple_of (which must
// divide max_length, so L never exceeds max_length).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bmfm/config/schema.h"
#include "bmfm/data/cell.h"
#include "bmfm/data/schema_list.h"
#include "bmfm/data/vocab.h"

namespace bmfm::data {

// One cell after the per-cell transforms, ready to tokenize. The loader fills
// the arrays the configured fields need; all per-gene arrays have genes.size()
// entries.
struct TransformedCell {
  int64_t cell_index = -1;               // row in the source: the masking / WCED random stream
  std::vector<int32_t> genes;            // vocabulary gene ids, model input order ([UNK] allowed, other specials not)
  std::vector<float> expr_values;        // continuous expressions (finite)
  std::vector<int32_t> expr_bins;        // binned expressions, in [0, n_values)
  std::vector<int32_t> perturbations;    // perturbation values, in [0, n_values)
  std::vector<float> label_expressions;  // targets only (RDA: log1p of the raw, un-thinned values)
  bool has_depth = false;                // RDA: prepend [S] [T] with these continuous values
  float depth_s = 0, depth_t = 0;
  const CellRecord* raw = nullptr;       // untransformed record for WCED targets; must outlive collate()
  // Sequence-level labels (labels.h): one entry per classification column
  // (-100 = missing), the multi-hot block of every multi-label column (-100 =
  // missing), one value per regression column (NaN = missing).
  std::vector<int32_t> class_labels;
  std::vector<float> multilabel;
  std::vector<float> regression;
};

enum class FieldKind { Genes, Expressions, Perturbations, LabelExpressions };

struct FieldConfig {
  std::string name;          // genes | expressions | perturbations | label_expressions
  // expressions: binned | continuous; genes, perturbations: token (or ""); label_expressions: continuous (or "")
  std::string tokenize;
  int32_t n_values = 0;      // binned expressions: number of bins; perturbations: number of values
  double change_ratio = 0;   // masker: probability that a gene position of this field is changed (genes, expressions)
};

struct TokenizerConfig {
  std::vector<FieldConfig> fields{{"genes", "token", 0, 0.0}, {"expressions", "continuous", 0, 0.0}};
  int32_t max_length = 1024;            // total row length including [CLS], [S] [T] and [SEP]
  std::string padding = "max_length";   // max_length (the reference's default) | longest
  int32_t pad_to_multiple_of = 16;      // longest: round L up to a multiple of this (1 = no rounding)
  bool truncation = true;               // cut the last genes of too-long cells (false: an error)
};

const config::Schema<FieldConfig>& field_schema();
const config::Schema<TokenizerConfig>& tokenizer_schema();

// Pointers to row b of each Batch array (nullptr when that array is unused).
struct RowView {
  int32_t* gene_ids = nullptr;
  uint8_t* pad_mask = nullptr;
  int32_t* expr_token_ids = nullptr;
  float* expr_values = nullptr;
  uint8_t* expr_special = nullptr;
  int32_t* perturbation_ids = nullptr;
};

// Where a cell's genes sit in its row.
struct RowLayout {
  int64_t n_real = 0;      // CLS + depth + genes + SEP
  int64_t first_gene = 0;  // position of g_1 (1, or 3 with [S] [T])
  int64_t n_genes = 0;     // genes kept (after truncation)
  bool truncated = false;
};

class Tokenizer {
 public:
  // Throws std::invalid_argument when the config does not fit the vocabulary
  // (e.g. depth tokens requested from a vocabulary without [S] [T]).
  Tokenizer(const Vocab& vocab, TokenizerConfig config);

  const TokenizerConfig& config() const { return config_; }
  const Vocab& vocab() const { return *vocab_; }
  // The configured field of this kind, or nullptr.
  const FieldConfig* field(FieldKind kind) const;
  bool expr_binned() const { return expr_binned_; }
  bool expr_continuous() const { return expr_continuous_; }

  // Untruncated row length of a cell (CLS + depth + genes + SEP).
  int64_t row_length(const TransformedCell& cell) const;
  // Padded length L for a batch whose longest (untruncated) row is `longest`.
  int64_t padded_length(int64_t longest) const;
  // Checks the cell against the fields (array sizes, id and value ranges);
  // std::invalid_argument naming the cell_index, array, position and value.
  void validate(const TransformedCell& cell) const;
  // Writes row positions [0, L) of every non-null RowView array.
  RowLayout encode(const TransformedCell& cell, int64_t L, const RowView& row) const;

 private:
  const Vocab* vocab_;
  TokenizerConfig config_;
  bool expr_binned_ = false, expr_continuous_ = false;
  bool has_perturbations_ = false, has_label_expressions_ = false;
  int32_t n_bins_ = 0, n_perturbation_values_ = 0;
};

}  // namespace bmfm::data

namespace bmfm::config::detail {
template <>
struct Converter<data::FieldConfig> : data::SchemaItemConverter<data::FieldConfig, data::field_schema> {};
}  // namespace bmfm::config::detail

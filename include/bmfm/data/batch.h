// A collated batch: plain contiguous arrays, row-major, that the model layer
// wraps with torch::from_blob. The data area stays torch-free.
//
// Legend: B = cells in the batch, L = padded sequence length (CLS, optional
// [S] [T], genes, SEP, then padding), V = genes in the vocabulary
// (vocab.n_genes(); WCED column j is vocabulary id n_special + j).
// C = classification label columns, M = total multi-label classes over the
// multi-label columns, R = regression label columns.
//
// Token ids and continuous values never share an array (the reference mixes
// them in one tensor). An array that the configuration does not use is empty;
// the has_* flags say which are filled. "Not a target" is -100 in int32 label
// arrays and in float target arrays, and float targets also come with a
// uint8 mask, so nothing ever holds NaN.
#pragma once

#include <cstdint>
#include <vector>

namespace bmfm::data {

// Token ids of the small per-field vocabularies of binned expressions and
// perturbations: five specials (in the gene vocabulary's order), then the
// values, so value v has token id kFirstValue + v and a field with n values
// has kFirstValue + n embedding rows. The same codes mark special positions
// in Batch::expr_special, where 0 (kUnk, never used there) means "a value".
namespace field_token {
inline constexpr int32_t kUnk = 0;
inline constexpr int32_t kSep = 1;
inline constexpr int32_t kPad = 2;
inline constexpr int32_t kCls = 3;
inline constexpr int32_t kMask = 4;
inline constexpr int32_t kFirstValue = 5;
}  // namespace field_token

// Batch::wced_set codes.
namespace wced_set {
inline constexpr uint8_t kNone = 0;      // not a target of this cell
inline constexpr uint8_t kInput = 1;     // gene present in the model input (genes field, after masking)
inline constexpr uint8_t kNonInput = 2;  // gene of the cell (or an exposed zero) absent from the input
}  // namespace wced_set

struct Batch {
  int64_t B = 0;
  int64_t L = 0;
  int64_t V = 0;  // WCED target width; 0 when WCED is off
  int64_t C = 0, M = 0, R = 0;
  int64_t views = 1;  // 2: rows [0, B/2) and [B/2, B) are two views of the same cells (LoaderConfig::views)

  bool has_expr_tokens = false;     // expressions field is binned
  bool has_expr_values = false;     // expressions field is continuous
  bool has_perturbations = false;
  bool has_gene_labels = false;     // genes field is masked
  bool has_expr_label_ids = false;  // binned expressions are masked
  bool has_expr_label_values = false;  // continuous expression targets (masked values or label_expressions)
  bool has_wced = false;

  std::vector<int64_t> cell_index;  // (B) CellRecord::cell_index of each row

  // ---- inputs ----------------------------------------------------------------
  // (B, L) vocabulary ids: [CLS] ([S] [T]) genes [SEP] [PAD]...; masked genes are [MASK]
  std::vector<int32_t> gene_ids;
  std::vector<uint8_t> pad_mask;          // (B, L) 1 = real token (CLS, depth tokens, genes, SEP), 0 = padding
  std::vector<uint8_t> gene_mask;         // (B, L) 1 = a gene position (masked or not): what mean pooling averages
  std::vector<int32_t> expr_token_ids;    // (B, L) binned: kFirstValue + bin; field_token specials elsewhere
  std::vector<float> expr_values;         // (B, L) continuous: the value; 0 where expr_special != 0
  std::vector<uint8_t> expr_special;      // (B, L) 0 = a value (genes, [S] [T]), else kCls/kSep/kPad/kMask
  std::vector<int32_t> perturbation_ids;  // (B, L) field_token ids (kFirstValue + value), specials as expr_special

  // ---- MLM labels (positions changed by the masker: masked, switched or kept) ----
  std::vector<int32_t> gene_labels;       // (B, L) original gene id, -100 where not predicted
  std::vector<int32_t> expr_label_ids;    // (B, L) original bin token id, -100 where not predicted
  std::vector<float> expr_label_values;   // (B, L) original value (or label_expressions), -100 where not predicted
  std::vector<uint8_t> expr_label_mask;   // (B, L) 1 = expr_label_values holds a target

  // ---- WCED targets (whole-cell expression decoder) ------------------------------
  // (B, V) log1p(x / total * target_sum) of the raw record, 0 for exposed zeros; -100 where wced_set == kNone
  std::vector<float> wced_values;
  std::vector<float> wced_is_zero;        // (B, V) 1 if the target value is 0, else 0; -100 where wced_set == kNone
  std::vector<uint8_t> wced_set;          // (B, V) wced_set::kNone / kInput / kNonInput ("all" = kInput or kNonInput)

  // ---- sequence-level labels (obs columns) ----------------------------------------
  std::vector<int32_t> class_labels;      // (B, C) class index, -100 = missing / silenced / unseen
  std::vector<float> multilabel;          // (B, M) multi-hot 0/1 per column block; -100 over a missing block
  std::vector<float> regression;          // (B, R) value, -100 where missing
  std::vector<uint8_t> regression_mask;   // (B, R) 1 = regression holds a target

  // ---- diagnostics ----------------------------------------------------------------
  int64_t n_truncated = 0;  // cells whose genes were cut to fit max_length
};

}  // namespace bmfm::data

#include "bmfm/data/collator.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace bmfm::data {

namespace {

uint64_t mix64(uint64_t z) {  // splitmix64's finaliser
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Resizes to n (keeping capacity, so a reused Batch does not reallocate) or
// to 0 when the array is unused.
template <class T>
T* sized(std::vector<T>& v, bool used, int64_t n) {
  v.resize(used ? static_cast<size_t>(n) : 0);
  return used ? v.data() : nullptr;
}

}  // namespace

uint64_t cell_stream(int64_t cell_index, uint64_t epoch, uint64_t purpose) {
  return mix64(mix64(mix64(purpose) ^ static_cast<uint64_t>(cell_index)) ^ epoch);
}

const config::Schema<CollatorConfig>& collator_schema() {
  using C = CollatorConfig;
  static const auto schema =
      config::Schema<C>("collator")
          .section("tokenizer", &C::tokenizer, tokenizer_schema(), "fields, length and padding")
          .section("masker", &C::masker, masker_schema(), "masked-language-model masking")
          .section("wced", &C::wced, wced_schema(), "whole-cell expression decoder targets")
          .check([](const C& c, const config::Config& cfg, const std::string& prefix) {
            double pg = 0, pe = 0;
            for (const auto& f : c.tokenizer.fields) {
              if (f.name == "genes") pg = f.change_ratio;
              if (f.name == "expressions") pe = f.change_ratio;
            }
            if (c.masker.comask && pg > 0 && pe > 0 && pg != pe)
              config::fail(cfg, prefix + "masker.comask",
                           fmt::format("co-masked fields need the same change_ratio, got genes {} and expressions {}",
                                       pg, pe));
          });
  return schema;
}

Collator::Collator(const Vocab& vocab, CollatorConfig config, LabelLayout labels, uint64_t seed)
    : tokenizer_(vocab, std::move(config.tokenizer)), masker_(tokenizer_, config.masker), labels_(labels), seed_(seed) {
  if (config.wced.enabled) wced_.emplace(vocab, config.wced);
  if (labels_.n_class_columns < 0 || labels_.multilabel_width < 0 || labels_.n_regression < 0)
    throw std::invalid_argument("collator: negative label layout");
}

void Collator::check_cell(const TransformedCell& cell) const {
  tokenizer_.validate(cell);
  auto width = [&](const char* what, size_t got, int64_t want) {
    if (static_cast<int64_t>(got) != want)
      throw std::invalid_argument(fmt::format(
          "collator: cell {}: {} has {} entries but the label dictionary needs {}", cell.cell_index, what, got, want));
  };
  width("class_labels", cell.class_labels.size(), labels_.n_class_columns);
  width("multilabel", cell.multilabel.size(), labels_.multilabel_width);
  width("regression", cell.regression.size(), labels_.n_regression);
  if (wced_ && cell.raw == nullptr)
    throw std::invalid_argument(fmt::format(
        "collator: cell {}: WCED targets are on but the cell has no raw record (TransformedCell::raw)",
        cell.cell_index));
  const bool random =
      masker_.masks_genes() || masker_.masks_expressions() || (wced_ && wced_->config().zeros == "sampled");
  if (random && cell.cell_index < 0)
    throw std::invalid_argument(fmt::format(
        "collator: cell_index {} is unset; it seeds the cell's masking / WCED stream", cell.cell_index));
}

void Collator::collate(const std::vector<TransformedCell>& cells, uint64_t epoch, Batch& out) const {
  std::vector<const TransformedCell*> ptrs(cells.size());
  for (size_t i = 0; i < cells.size(); ++i) ptrs[i] = &cells[i];
  collate(ptrs.data(), ptrs.size(), epoch, out);
}

void Collator::collate(const TransformedCell* const* cells, size_t n, uint64_t epoch, Batch& out) const {
  int64_t longest = 0;
  for (size_t b = 0; b < n; ++b) {
    check_cell(*cells[b]);
    longest = std::max(longest, tokenizer_.row_length(*cells[b]));
  }
  const int64_t B = static_cast<int64_t>(n), L = tokenizer_.padded_length(longest);
  const int64_t V = wced_ ? wced_->width() : 0;
  out.B = B;
  out.L = L;
  out.V = V;
  out.C = labels_.n_class_columns;
  out.M = labels_.multilabel_width;
  out.R = labels_.n_regression;
  out.has_expr_tokens = tokenizer_.expr_binned();
  out.has_expr_values = tokenizer_.expr_continuous();
  out.has_perturbations = tokenizer_.field(FieldKind::Perturbations) != nullptr;
  out.has_gene_labels = masker_.gene_labels();
  out.has_expr_label_ids = masker_.expr_label_ids();
  out.has_expr_label_values = masker_.expr_label_values();
  out.has_wced = wced_.has_value();
  out.n_truncated = 0;

  const bool has_expr = tokenizer_.field(FieldKind::Expressions) != nullptr;
  out.cell_index.resize(n);
  int32_t* gene_ids = sized(out.gene_ids, true, B * L);
  uint8_t* pad_mask = sized(out.pad_mask, true, B * L);
  uint8_t* gene_mask = sized(out.gene_mask, true, B * L);
  int32_t* expr_tokens = sized(out.expr_token_ids, out.has_expr_tokens, B * L);
  float* expr_values = sized(out.expr_values, out.has_expr_values, B * L);
  uint8_t* expr_special = sized(out.expr_special, has_expr, B * L);
  int32_t* perturb = sized(out.perturbation_ids, out.has_perturbations, B * L);
  int32_t* gene_labels = sized(out.gene_labels, out.has_gene_labels, B * L);
  int32_t* expr_label_ids = sized(out.expr_label_ids, out.has_expr_label_ids, B * L);
  float* expr_label_values = sized(out.expr_label_values, out.has_expr_label_values, B * L);
  uint8_t* expr_label_mask = sized(out.expr_label_mask, out.has_expr_label_values, B * L);
  float* wced_values = sized(out.wced_values, out.has_wced, B * V);
  float* wced_is_zero = sized(out.wced_is_zero, out.has_wced, B * V);
  uint8_t* wced_set_ = sized(out.wced_set, out.has_wced, B * V);
  int32_t* class_labels = sized(out.class_labels, out.C > 0, B * out.C);
  float* multilabel = sized(out.multilabel, out.M > 0, B * out.M);
  float* regression = sized(out.regression, out.R > 0, B * out.R);
  uint8_t* regression_mask = sized(out.regression_mask, out.R > 0, B * out.R);
  const bool any_labels = gene_labels || expr_label_ids || expr_label_values;

  auto at = [](auto* p, int64_t offset) { return p ? p + offset : nullptr; };
  for (size_t b = 0; b < n; ++b) {
    const TransformedCell& cell = *cells[b];
    const int64_t o = static_cast<int64_t>(b) * L;
    out.cell_index[b] = cell.cell_index;
    RowView row{gene_ids + o, pad_mask + o, at(expr_tokens, o), at(expr_values, o), at(expr_special, o),
                at(perturb, o)};
    const RowLayout lay = tokenizer_.encode(cell, L, row);
    std::fill_n(gene_mask + o, L, uint8_t{0});
    std::fill_n(gene_mask + o + lay.first_gene, lay.n_genes, uint8_t{1});
    out.n_truncated += lay.truncated ? 1 : 0;
    if (any_labels) {
      Rng rng(seed_, cell_stream(cell.cell_index, epoch, stream_purpose::kMask));
      masker_.apply(cell, lay, L, row,
                    LabelRowView{at(gene_labels, o), at(expr_label_ids, o), at(expr_label_values, o),
                                 at(expr_label_mask, o)},
                    rng);
    }
    if (wced_) {
      Rng rng(seed_, cell_stream(cell.cell_index, epoch, stream_purpose::kWced));
      const int64_t w = static_cast<int64_t>(b) * V;
      wced_->build(*cell.raw, row.gene_ids + lay.first_gene, lay.n_genes, rng, wced_values + w, wced_is_zero + w,
                   wced_set_ + w);
    }
    if (class_labels) std::copy(cell.class_labels.begin(), cell.class_labels.end(), class_labels + b * out.C);
    if (multilabel) std::copy(cell.multilabel.begin(), cell.multilabel.end(), multilabel + b * out.M);
    if (regression) {
      for (int64_t r = 0; r < out.R; ++r) {
        const float v = cell.regression[static_cast<size_t>(r)];
        const bool present = !std::isnan(v);  // NaN = missing
        regression[b * out.R + r] = present ? v : -100.0f;
        regression_mask[b * out.R + r] = present ? 1 : 0;
      }
    }
  }
}

}  // namespace bmfm::data

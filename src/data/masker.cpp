#include "bmfm/data/masker.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "bmfm/data/batch.h"

namespace bmfm::data {

namespace {

std::string ratio_problem(const MaskerConfig& c, std::string& key) {
  if (!(c.mask_ratio >= 0 && c.mask_ratio <= 1)) {
    key = "mask_ratio";
    return fmt::format("must be in [0, 1], got {}", c.mask_ratio);
  }
  if (!(c.switch_ratio >= 0 && c.switch_ratio <= 1)) {
    key = "switch_ratio";
    return fmt::format("must be in [0, 1], got {}", c.switch_ratio);
  }
  if (c.mask_ratio + c.switch_ratio > 1 + 1e-12) {
    key = "switch_ratio";
    return fmt::format("mask_ratio + switch_ratio must be <= 1 (the rest is kept), got {} + {}", c.mask_ratio,
                       c.switch_ratio);
  }
  if (c.comask && c.switch_ratio > 0) {
    key = "switch_ratio";
    return fmt::format("co-masking needs switch_ratio 0 (a switched gene and a switched value would disagree), got {}",
                       c.switch_ratio);
  }
  return "";
}

}  // namespace

const config::Schema<MaskerConfig>& masker_schema() {
  using M = MaskerConfig;
  static const auto schema =
      config::Schema<M>("masker")
          .field("mask_ratio", &M::mask_ratio, "of the changed positions: share replaced by [MASK]")
          .field("switch_ratio", &M::switch_ratio, "of the changed positions: share replaced by a random token/value")
          .field("comask", &M::comask, "change the same positions in genes and expressions")
          .check([](const M& m, const config::Config& cfg, const std::string& prefix) {
            std::string key;
            const std::string why = ratio_problem(m, key);
            if (!why.empty()) config::fail(cfg, prefix + key, why);
          });
  return schema;
}

Masker::Masker(const Tokenizer& tokenizer, MaskerConfig config) : tokenizer_(&tokenizer), config_(config) {
  std::string key;
  const std::string why = ratio_problem(config_, key);
  if (!why.empty()) throw std::invalid_argument("masker." + key + ": " + why);
  if (const FieldConfig* g = tokenizer.field(FieldKind::Genes)) p_genes_ = g->change_ratio;
  if (const FieldConfig* e = tokenizer.field(FieldKind::Expressions)) p_expr_ = e->change_ratio;
  if (config_.comask && p_genes_ > 0 && p_expr_ > 0 && p_genes_ != p_expr_)
    throw std::invalid_argument(fmt::format(
        "masker.comask: co-masked fields need the same change_ratio, got genes {} and expressions {}", p_genes_,
        p_expr_));
}

bool Masker::expr_label_values() const {
  return (masks_expressions() && tokenizer_->expr_continuous()) ||
         tokenizer_->field(FieldKind::LabelExpressions) != nullptr;
}

MaskCounts Masker::apply(const TransformedCell& cell, const RowLayout& lay, int64_t L, const RowView& row,
                         const LabelRowView& labels, Rng& rng) const {
  MaskCounts counts;
  const auto Lz = static_cast<size_t>(L);
  if (labels.gene_labels) std::fill_n(labels.gene_labels, Lz, -100);
  if (labels.expr_label_ids) std::fill_n(labels.expr_label_ids, Lz, -100);
  if (labels.expr_label_values) std::fill_n(labels.expr_label_values, Lz, -100.0f);
  if (labels.expr_label_mask) std::fill_n(labels.expr_label_mask, Lz, uint8_t{0});

  const Vocab& vocab = tokenizer_->vocab();
  const int32_t unk = vocab.unk_id(), mask_id = vocab.mask_id();
  const int32_t n_special = vocab.n_special(), n_genes_vocab = vocab.n_genes();
  const int32_t n_bins = tokenizer_->expr_binned() ? tokenizer_->field(FieldKind::Expressions)->n_values : 0;
  const bool binned = tokenizer_->expr_binned(), continuous = tokenizer_->expr_continuous();
  const bool has_label_expr = !cell.label_expressions.empty();
  const int64_t first = lay.first_gene, n = lay.n_genes;
  int32_t* gene_ids = row.gene_ids;
  const double pg = p_genes_, pe = p_expr_, mr = config_.mask_ratio, sr = config_.switch_ratio;

  auto expr_label = [&](int64_t i, size_t pos) {
    const auto k = static_cast<size_t>(i);
    if (labels.expr_label_ids) labels.expr_label_ids[pos] = field_token::kFirstValue + cell.expr_bins[k];
    if (labels.expr_label_values) {
      labels.expr_label_values[pos] = has_label_expr ? cell.label_expressions[k] : cell.expr_values[k];
      labels.expr_label_mask[pos] = 1;
    }
  };
  auto mask_expr = [&](size_t pos) {
    row.expr_special[pos] = static_cast<uint8_t>(field_token::kMask);
    if (binned)
      row.expr_token_ids[pos] = field_token::kMask;
    else
      row.expr_values[pos] = 0.0f;
  };
  auto switch_expr = [&](size_t pos) {
    if (binned)
      row.expr_token_ids[pos] = field_token::kFirstValue + static_cast<int32_t>(rng.uniform_int(n_bins));
    else if (continuous)
      row.expr_values[pos] = cell.expr_values[static_cast<size_t>(rng.uniform_int(n))];
  };

  if (config_.comask && pg > 0 && pe > 0) {
    // One draw per position drives both fields (pg == pe, switch_ratio == 0).
    for (int64_t i = 0; i < n; ++i) {
      const auto pos = static_cast<size_t>(first + i);
      const double u = rng.uniform();
      if (cell.genes[static_cast<size_t>(i)] == unk || u >= pg) continue;
      ++counts.genes_changed;
      ++counts.expr_changed;
      labels.gene_labels[pos] = cell.genes[static_cast<size_t>(i)];
      expr_label(i, pos);
      if (u < pg * mr) {
        gene_ids[pos] = mask_id;
        mask_expr(pos);
        ++counts.genes_masked;
        ++counts.expr_masked;
      }
    }
  } else {
    if (pg > 0) {
      for (int64_t i = 0; i < n; ++i) {
        const auto pos = static_cast<size_t>(first + i);
        const double u = rng.uniform();
        if (cell.genes[static_cast<size_t>(i)] == unk || u >= pg) continue;
        ++counts.genes_changed;
        labels.gene_labels[pos] = cell.genes[static_cast<size_t>(i)];
        if (u < pg * mr) {
          gene_ids[pos] = mask_id;
          ++counts.genes_masked;
        } else if (u < pg * (mr + sr)) {
          gene_ids[pos] = n_special + static_cast<int32_t>(rng.uniform_int(n_genes_vocab));
          ++counts.genes_switched;
        }
      }
    }
    if (pe > 0) {
      for (int64_t i = 0; i < n; ++i) {
        const auto pos = static_cast<size_t>(first + i);
        const double u = rng.uniform();
        if (cell.genes[static_cast<size_t>(i)] == unk || gene_ids[pos] == mask_id || u >= pe) continue;
        ++counts.expr_changed;
        expr_label(i, pos);
        if (u < pe * mr) {
          mask_expr(pos);
          ++counts.expr_masked;
        } else if (u < pe * (mr + sr)) {
          switch_expr(pos);
          ++counts.expr_switched;
        }
      }
    }
  }
  // label_expressions with an unmasked expressions field: every gene is a target.
  if (has_label_expr && pe == 0 && labels.expr_label_values) {
    for (int64_t i = 0; i < n; ++i) {
      const auto pos = static_cast<size_t>(first + i);
      labels.expr_label_values[pos] = cell.label_expressions[static_cast<size_t>(i)];
      labels.expr_label_mask[pos] = 1;
    }
  }
  return counts;
}

}  // namespace bmfm::data

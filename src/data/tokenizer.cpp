#include "bmfm/data/tokenizer.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

#include "bmfm/data/batch.h"

namespace bmfm::data {

namespace {

// (key relative to the item, message) of the first problem, if any. Shared by
// the schema checks (which add the config source) and the Tokenizer
// constructor (which serves configs built in code).
using Problem = std::optional<std::pair<std::string, std::string>>;

Problem field_problem(const FieldConfig& f) {
  const std::string& n = f.name;
  if (n != "genes" && n != "expressions" && n != "perturbations" && n != "label_expressions")
    return std::pair{"name",
                     fmt::format("'{}' is not one of: genes, expressions, perturbations, label_expressions", n)};
  if (n == "expressions") {
    if (f.tokenize != "binned" && f.tokenize != "continuous")
      return std::pair{"tokenize", fmt::format("the expressions field needs tokenize: binned or continuous, got '{}'",
                                               f.tokenize)};
  } else if (n == "label_expressions") {
    if (!f.tokenize.empty() && f.tokenize != "continuous")
      return std::pair{"tokenize",
                       fmt::format("label_expressions are continuous targets; tokenize must be continuous (or unset), "
                                   "got '{}'",
                                   f.tokenize)};
  } else if (!f.tokenize.empty() && f.tokenize != "token") {
    return std::pair{"tokenize", fmt::format("the {} field is tokenized as ids; tokenize must be token (or unset), got "
                                             "'{}'",
                                             n, f.tokenize)};
  }
  const bool needs_values = (n == "expressions" && f.tokenize == "binned") || n == "perturbations";
  if (needs_values && f.n_values <= 0)
    return std::pair{"n_values", fmt::format("the {} field needs n_values > 0 (number of {}), got {}", n,
                                             n == "perturbations" ? "perturbation values" : "bins", f.n_values)};
  if (!needs_values && f.n_values != 0)
    return std::pair{"n_values", fmt::format("n_values applies to binned expressions and perturbations only, got {} "
                                             "for {}",
                                             f.n_values, n)};
  if (!(f.change_ratio >= 0 && f.change_ratio <= 1))
    return std::pair{"change_ratio", fmt::format("must be in [0, 1], got {}", f.change_ratio)};
  if (f.change_ratio > 0 && n != "genes" && n != "expressions")
    return std::pair{"change_ratio", fmt::format("only the genes and expressions fields can be masked, not {}", n)};
  return std::nullopt;
}

Problem tokenizer_problem(const TokenizerConfig& c) {
  if (c.fields.empty()) return std::pair{"fields", std::string("needs at least the genes field")};
  bool has_genes = false;
  for (size_t i = 0; i < c.fields.size(); ++i) {
    const std::string key = fmt::format("fields[{}]", i);
    if (auto p = field_problem(c.fields[i])) return std::pair{key + "." + p->first, p->second};
    for (size_t j = 0; j < i; ++j)
      if (c.fields[j].name == c.fields[i].name)
        return std::pair{key + ".name", fmt::format("field '{}' is listed twice (fields[{}] and fields[{}])",
                                                    c.fields[i].name, j, i)};
    has_genes = has_genes || c.fields[i].name == "genes";
  }
  if (!has_genes) return std::pair{"fields", std::string("the genes field is required")};
  if (c.max_length < 3)
    return std::pair{"max_length", fmt::format("must be >= 3 ([CLS], one gene, [SEP]), got {}", c.max_length)};
  if (c.padding != "longest" && c.padding != "max_length")
    return std::pair{"padding", fmt::format("'{}' is not one of: longest, max_length", c.padding)};
  if (c.pad_to_multiple_of < 1)
    return std::pair{"pad_to_multiple_of", fmt::format("must be >= 1, got {}", c.pad_to_multiple_of)};
  if (c.max_length % c.pad_to_multiple_of != 0)
    return std::pair{"pad_to_multiple_of",
                     fmt::format("must divide max_length ({}) so a padded batch never exceeds it, got {}", c.max_length,
                                 c.pad_to_multiple_of)};
  return std::nullopt;
}

[[noreturn]] void cell_error(const TransformedCell& cell, const std::string& what) {
  throw std::invalid_argument(fmt::format("tokenizer: cell {}: {}", cell.cell_index, what));
}

void require_size(const TransformedCell& cell, const char* array, size_t size, size_t n) {
  if (size != n)
    cell_error(cell, fmt::format("{} has {} entries but genes has {}; every per-gene array must match genes", array,
                                 size, n));
}

void require_empty(const TransformedCell& cell, const char* array, size_t size, const char* why) {
  if (size != 0) cell_error(cell, fmt::format("{} has {} entries but {}", array, size, why));
}

}  // namespace

const config::Schema<FieldConfig>& field_schema() {
  using F = FieldConfig;
  static const auto schema =
      config::Schema<F>("field")
          .field("name", &F::name, "genes | expressions | perturbations | label_expressions")
          .field("tokenize", &F::tokenize,
                 "expressions: binned | continuous (required); genes, perturbations: token; "
                 "label_expressions: continuous (targets only)")
          .field("n_values", &F::n_values, "binned expressions: number of bins; perturbations: number of values")
          .field("change_ratio", &F::change_ratio,
                 "masking: probability that a gene position of this field is changed (genes, expressions)")
          .check([](const F& f, const config::Config& cfg, const std::string& prefix) {
            if (auto p = field_problem(f)) config::fail(cfg, prefix + p->first, p->second);
          });
  return schema;
}

const config::Schema<TokenizerConfig>& tokenizer_schema() {
  using T = TokenizerConfig;
  static const auto schema =
      config::Schema<T>("tokenizer")
          .field("fields", &T::fields, "model fields, each {name, tokenize, n_values, change_ratio}")
          .field("max_length", &T::max_length, "row length including [CLS], [S] [T] and [SEP]")
          .field("padding", &T::padding, "longest (to the batch's longest row) | max_length")
          .field("pad_to_multiple_of", &T::pad_to_multiple_of, "longest: round the length up to a multiple of this")
          .field("truncation", &T::truncation, "cut the last genes of cells longer than max_length (false: error)")
          .check([](const T& t, const config::Config& cfg, const std::string& prefix) {
            if (auto p = tokenizer_problem(t)) config::fail(cfg, prefix + p->first, p->second);
          });
  return schema;
}

Tokenizer::Tokenizer(const Vocab& vocab, TokenizerConfig config) : vocab_(&vocab), config_(std::move(config)) {
  if (auto p = tokenizer_problem(config_)) throw std::invalid_argument("tokenizer." + p->first + ": " + p->second);
  for (auto& f : config_.fields) {
    if (f.tokenize.empty()) f.tokenize = f.name == "label_expressions" ? "continuous" : "token";
    if (f.name == "expressions") {
      expr_binned_ = f.tokenize == "binned";
      expr_continuous_ = f.tokenize == "continuous";
      n_bins_ = f.n_values;
    } else if (f.name == "perturbations") {
      has_perturbations_ = true;
      n_perturbation_values_ = f.n_values;
    } else if (f.name == "label_expressions") {
      has_label_expressions_ = true;
    }
  }
  if (vocab.size() <= vocab.n_special() || vocab.cls_id() < 0 || vocab.sep_id() < 0 || vocab.pad_id() < 0 ||
      vocab.mask_id() < 0)
    throw std::invalid_argument(fmt::format(
        "tokenizer: the vocabulary needs [CLS] [SEP] [PAD] [MASK] and at least one gene (has {} tokens, {} special)",
        vocab.size(), vocab.n_special()));
}

const FieldConfig* Tokenizer::field(FieldKind kind) const {
  static const char* names[] = {"genes", "expressions", "perturbations", "label_expressions"};
  for (const auto& f : config_.fields)
    if (f.name == names[static_cast<int>(kind)]) return &f;
  return nullptr;
}

int64_t Tokenizer::row_length(const TransformedCell& cell) const {
  return static_cast<int64_t>(cell.genes.size()) + (cell.has_depth ? 4 : 2);
}

int64_t Tokenizer::padded_length(int64_t longest) const {
  const int64_t max_len = config_.max_length;
  if (config_.padding == "max_length") return max_len;
  const int64_t m = config_.pad_to_multiple_of;
  const int64_t L = (std::min(longest, max_len) + m - 1) / m * m;
  return std::min(L, max_len);  // m divides max_len, so this only guards longest <= 0
}

void Tokenizer::validate(const TransformedCell& cell) const {
  const size_t n = cell.genes.size();
  const int32_t n_special = vocab_->n_special(), vocab_size = vocab_->size(), unk = vocab_->unk_id();
  for (size_t i = 0; i < n; ++i) {
    const int32_t g = cell.genes[i];
    if (g < 0 || g >= vocab_size || (g < n_special && g != unk))
      cell_error(cell, fmt::format("genes[{}] = {} is not a gene id of the vocabulary ([{}, {}) or [UNK] = {})", i, g,
                                   n_special, vocab_size, unk));
  }
  if (expr_continuous_) {
    require_size(cell, "expr_values", cell.expr_values.size(), n);
    for (size_t i = 0; i < n; ++i)
      if (!std::isfinite(cell.expr_values[i]))
        cell_error(cell, fmt::format("expr_values[{}] = {} is not finite", i, cell.expr_values[i]));
  } else if (expr_binned_) {
    require_size(cell, "expr_bins", cell.expr_bins.size(), n);
    for (size_t i = 0; i < n; ++i)
      if (cell.expr_bins[i] < 0 || cell.expr_bins[i] >= n_bins_)
        cell_error(cell,
                   fmt::format("expr_bins[{}] = {} is outside [0, n_values = {})", i, cell.expr_bins[i], n_bins_));
  }
  if (!expr_continuous_)
    require_empty(cell, "expr_values", cell.expr_values.size(),
                  "the expressions field is not configured as tokenize: continuous (leave the array empty)");
  if (!expr_binned_)
    require_empty(cell, "expr_bins", cell.expr_bins.size(),
                  "the expressions field is not configured as tokenize: binned (leave the array empty)");
  if (has_perturbations_) {
    require_size(cell, "perturbations", cell.perturbations.size(), n);
    for (size_t i = 0; i < n; ++i)
      if (cell.perturbations[i] < 0 || cell.perturbations[i] >= n_perturbation_values_)
        cell_error(cell, fmt::format("perturbations[{}] = {} is outside [0, n_values = {})", i, cell.perturbations[i],
                                     n_perturbation_values_));
  } else {
    require_empty(cell, "perturbations", cell.perturbations.size(), "no perturbations field is configured");
  }
  if (has_label_expressions_) {
    require_size(cell, "label_expressions", cell.label_expressions.size(), n);
    for (size_t i = 0; i < n; ++i)
      if (!std::isfinite(cell.label_expressions[i]))
        cell_error(cell, fmt::format("label_expressions[{}] = {} is not finite", i, cell.label_expressions[i]));
  } else {
    require_empty(cell, "label_expressions", cell.label_expressions.size(),
                  "no label_expressions field is configured (add {name: label_expressions} to tokenizer.fields)");
  }
  if (cell.has_depth) {
    if (!vocab_->depth_s_id() || !vocab_->depth_t_id())
      cell_error(cell, "has [S]/[T] depth tokens but the vocabulary has none (build it with depth tokens)");
    if (!expr_continuous_)
      cell_error(cell, "has [S]/[T] depth tokens, which carry continuous values: the expressions field must be "
                       "tokenize: continuous");
    if (!std::isfinite(cell.depth_s) || !std::isfinite(cell.depth_t))
      cell_error(cell, fmt::format("depth tokens [S] = {}, [T] = {} must be finite", cell.depth_s, cell.depth_t));
  }
  if (static_cast<int64_t>(n) + (cell.has_depth ? 4 : 2) > config_.max_length && !config_.truncation)
    cell_error(cell, fmt::format("{} genes need a row of {} > max_length {} and truncation is off", n,
                                 row_length(cell), config_.max_length));
}

RowLayout Tokenizer::encode(const TransformedCell& cell, int64_t L, const RowView& row) const {
  RowLayout lay;
  const int64_t depth = cell.has_depth ? 2 : 0;
  const int64_t n_all = static_cast<int64_t>(cell.genes.size());
  const int64_t room = std::min<int64_t>(L, config_.max_length) - 2 - depth;
  if (room < 0) throw std::invalid_argument(fmt::format("tokenizer: row length {} leaves no room for cell {}", L,
                                                        cell.cell_index));
  lay.n_genes = std::min(n_all, room);
  lay.truncated = lay.n_genes < n_all;
  lay.first_gene = 1 + depth;
  lay.n_real = lay.n_genes + 2 + depth;
  const int64_t sep = lay.first_gene + lay.n_genes;
  const auto n = static_cast<size_t>(lay.n_genes);
  const auto first = static_cast<size_t>(lay.first_gene);
  const auto tail = static_cast<size_t>(L - lay.n_real);  // padding positions after SEP

  if (int32_t* g = row.gene_ids) {
    g[0] = vocab_->cls_id();
    if (depth) {
      g[1] = *vocab_->depth_s_id();
      g[2] = *vocab_->depth_t_id();
    }
    std::copy_n(cell.genes.data(), n, g + first);
    g[sep] = vocab_->sep_id();
    std::fill_n(g + sep + 1, tail, vocab_->pad_id());
  }
  if (uint8_t* m = row.pad_mask) {
    std::fill_n(m, static_cast<size_t>(lay.n_real), uint8_t{1});
    std::fill_n(m + lay.n_real, tail, uint8_t{0});
  }
  // Specials of the small field vocabularies; depth positions carry values.
  auto write_specials = [&](auto* a, auto value_code) {
    using V = std::remove_pointer_t<decltype(a)>;
    a[0] = static_cast<V>(field_token::kCls);
    if (depth) a[1] = a[2] = static_cast<V>(value_code);
    a[sep] = static_cast<V>(field_token::kSep);
    std::fill_n(a + sep + 1, tail, static_cast<V>(field_token::kPad));
  };
  if (uint8_t* s = row.expr_special) {
    write_specials(s, 0);
    std::fill_n(s + first, n, uint8_t{0});
  }
  if (int32_t* t = row.expr_token_ids) {
    write_specials(t, field_token::kPad);  // depth + binned is rejected by validate()
    const int32_t* bins = cell.expr_bins.data();
    for (size_t i = 0; i < n; ++i) t[first + i] = field_token::kFirstValue + bins[i];
  }
  if (float* v = row.expr_values) {
    v[0] = 0.0f;
    if (depth) {
      v[1] = cell.depth_s;
      v[2] = cell.depth_t;
    }
    std::copy_n(cell.expr_values.data(), n, v + first);
    v[sep] = 0.0f;
    std::fill_n(v + sep + 1, tail, 0.0f);
  }
  if (int32_t* p = row.perturbation_ids) {
    write_specials(p, field_token::kPad);
    const int32_t* vals = cell.perturbations.data();
    for (size_t i = 0; i < n; ++i) p[first + i] = field_token::kFirstValue + vals[i];
  }
  return lay;
}

}  // namespace bmfm::data

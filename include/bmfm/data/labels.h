// Sequence-level labels from obs columns, with a saved label dictionary.
//
// Column kinds:
//   classification  value -> class index; the dictionary lists the classes
//   multilabel      "a|b|c" -> multi-hot over the classes (the distinct parts)
//   regression      numeric value (float)
// Missing values: NaN, a missing categorical code / nullable entry, an empty
// string, the text "nan" / "NaN" (what the reference's str(value) gives for a
// missing value), and any of the column's silent_values. They become -100
// (classification; multi-label: the column's whole block; regression: mask 0).
//
// Building the dictionary (deterministic, from the observed, non-missing values):
//   categorical columns -> their categories' order, keeping only observed
//                          categories (when several datasets are combined, only
//                          if all of them store the same category list);
//   numeric / integer / bool columns -> ascending numeric order (false < true);
//   anything else (strings, mixed kinds) -> byte-wise sorted text;
//   multi-label parts -> byte-wise sorted.
// A class's name is the value's text as io::Column::text writes it ("3",
// "0.5", "true", the category or string itself).
// Applying a saved dictionary maps known names and sends unseen names to
// -100, counting them per column (EncodedLabels::report, and one warning per
// column through spdlog).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "bmfm/config/schema.h"
#include "bmfm/data/schema_list.h"
#include "bmfm/io/anndata.h"

namespace bmfm::data {

struct LabelColumnConfig {
  std::string name;                        // obs column
  std::string kind = "classification";     // classification | multilabel | regression
  std::vector<std::string> silent_values;  // values treated as missing (-100), e.g. "unknown"
  std::string separator = "|";             // multilabel: separator between labels
};

const config::Schema<LabelColumnConfig>& label_column_schema();

enum class LabelKind { Classification, MultiLabel, Regression };
const char* to_string(LabelKind kind);
LabelKind parse_label_kind(const std::string& kind);  // std::invalid_argument listing the kinds

// Widths of the label arrays of a Batch (batch.h): C, M, R.
struct LabelLayout {
  int64_t n_class_columns = 0;   // C
  int64_t multilabel_width = 0;  // M: sum of the multi-label columns' class counts
  int64_t n_regression = 0;      // R
};

struct LabelColumn {
  std::string name;
  LabelKind kind = LabelKind::Classification;
  std::string separator = "|";
  std::vector<std::string> classes;  // empty for regression
  // Class index of a name, -1 when unseen.
  int32_t index_of(const std::string& name) const;

 private:
  friend class LabelDictionary;
  std::unordered_map<std::string, int32_t> index_;
};

class LabelDictionary {
 public:
  // From the columns of one or more obs tables (a corpus of several files).
  // A configured column missing from a table is an error naming it and `what`.
  static LabelDictionary build(const std::vector<const io::DataFrame*>& obs,
                               const std::vector<LabelColumnConfig>& columns, const std::string& what);
  static LabelDictionary build(const io::DataFrame& obs, const std::vector<LabelColumnConfig>& columns,
                               const std::string& what) {
    return build(std::vector<const io::DataFrame*>{&obs}, columns, what);
  }
  // JSON: {"format": "bmfm-label-dictionary", "version": 1,
  //        "columns": {"cell_type": {"kind": "classification", "classes": [...]}, ...}}
  // (multilabel columns also store "separator"; column order is kept).
  static LabelDictionary load(const std::string& path);
  static LabelDictionary from_json(const std::string& text, const std::string& what);
  void save(const std::string& path) const;
  std::string to_json() const;

  const std::vector<LabelColumn>& columns() const { return columns_; }
  const LabelColumn& column(const std::string& name) const;  // throws listing the columns
  LabelLayout layout() const;
  // Throws std::invalid_argument when `columns` (the run's config) names other
  // columns or kinds than the dictionary (e.g. a checkpoint's).
  void require_matches(const std::vector<LabelColumnConfig>& columns, const std::string& what) const;

 private:
  void add(LabelColumn column);
  std::vector<LabelColumn> columns_;
};

// Per-cell label rows of one obs table, in the Batch layout.
struct EncodedLabels {
  struct ColumnReport {
    std::string column;
    int64_t n_missing = 0;   // NaN / empty / "nan" / missing code
    int64_t n_silenced = 0;  // one of silent_values
    int64_t n_unseen = 0;    // a value (or multi-label part) not in the dictionary
    std::vector<std::string> unseen_examples;  // up to 5 distinct
  };
  int64_t n_obs = 0;
  LabelLayout layout;
  std::vector<int32_t> class_labels;  // (n_obs, C) -100 = missing / silenced / unseen
  std::vector<float> multilabel;      // (n_obs, M) 0/1, -100 over a missing column's block
  std::vector<float> regression;      // (n_obs, R) NaN = missing
  std::vector<ColumnReport> report;   // one per dictionary column

  // Copies row `i` into the TransformedCell label vectors (tokenizer.h).
  void row(int64_t i, std::vector<int32_t>& class_labels_out, std::vector<float>& multilabel_out,
           std::vector<float>& regression_out) const;
};

// Encodes every row of `obs` with `dict`; silent values come from `columns`,
// which must match the dictionary. `what` names the table in messages.
EncodedLabels encode_labels(const io::DataFrame& obs, const LabelDictionary& dict,
                            const std::vector<LabelColumnConfig>& columns, const std::string& what);

}  // namespace bmfm::data

namespace bmfm::config::detail {
template <>
struct Converter<data::LabelColumnConfig>
    : data::SchemaItemConverter<data::LabelColumnConfig, data::label_column_schema> {};
}  // namespace bmfm::config::detail

// Value filters on obs, in the syntax of the CELLxGENE Census API
// (`obs_value_filter`): comparisons of a column with a literal joined by
// `and`, `or`, `not` and parentheses.
//
//   tissue_general == 'blood' and is_primary_data == True
//   cell_type in ['B cell', 'T cell'] and not (donor_id == 'D1')
//   n_genes >= 500 and sex != "unknown"
//
// Operators: == != < <= > >=, in [...], not in [...]. Literals: 'text' or
// "text", numbers, True / False. Column names may contain dots
// (RNA_snn_res.0.8); other names go in backticks. String and categorical
// columns compare as text (`<`, `>` lexicographic); numeric, integer and
// boolean columns as numbers (True = 1). A missing value fails every
// comparison, `!=` and `not in` included, as in TileDB query conditions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bmfm/io/anndata.h"

namespace bmfm::io {

class ObsFilter {
 public:
  // Throws FormatError quoting the expression and the position at fault.
  static ObsFilter parse(const std::string& expression);
  ~ObsFilter();
  ObsFilter(ObsFilter&&) noexcept;
  ObsFilter& operator=(ObsFilter&&) noexcept;

  // 1 for each row of `obs` that passes. Throws FormatError naming a column
  // that obs lacks (listing the ones it has) or a literal of the wrong kind.
  std::vector<uint8_t> evaluate(const DataFrame& obs, const std::string& what) const;
  std::vector<std::string> columns() const;  // columns the expression reads
  const std::string& text() const;

  struct Node;

 private:
  ObsFilter() = default;
  std::string text_;
  std::unique_ptr<Node> root_;
};

}  // namespace bmfm::io

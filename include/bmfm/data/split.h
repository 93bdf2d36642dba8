// Train / validation / test splits for fine-tuning, seeded:
//   random      cells shuffled, val_fraction and test_fraction of them held out
//   stratified  the same within each class of the label (classes keep their
//               proportions; cells without a label go to train, unused)
//   column      by an obs column's values (e.g. batches A, B -> train, C -> test:
//               cross-batch); validation is carved from train when val_values is empty
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bmfm/config/schema.h"

namespace bmfm::data {

struct SplitConfig {
  std::string mode = "stratified";  // random | stratified | column
  double val_fraction = 0.1;
  double test_fraction = 0.2;
  std::string column;               // column mode: obs column
  std::vector<std::string> train_values, val_values, test_values;
};
const config::Schema<SplitConfig>& split_schema();

struct Split {
  std::vector<int64_t> train, val, test;  // ascending cell indices
};

// `labels`: class per cell (-1 or -100 = none) for stratified; `column_values`:
// the column's value per cell for column mode (others may be empty). Throws
// std::invalid_argument naming the column value / fraction at fault (e.g. a
// test value that no cell has, or an empty split).
Split make_split(int64_t n, const SplitConfig& cfg, uint64_t seed, const std::vector<int32_t>& labels,
                 const std::vector<std::string>& column_values);

}  // namespace bmfm::data

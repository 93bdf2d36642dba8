#include "bmfm/data/split.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "bmfm/data/random.h"

namespace bmfm::data {

const config::Schema<SplitConfig>& split_schema() {
  using S = SplitConfig;
  static const auto schema =
      config::Schema<S>("split")
          .field("mode", &S::mode, "random | stratified (by the first label) | column (by obs values)")
          .field("val_fraction", &S::val_fraction, "validation share (of train, in column mode without val_values)")
          .field("test_fraction", &S::test_fraction, "test share (random / stratified)")
          .field("column", &S::column, "column mode: obs column")
          .field("train_values", &S::train_values, "column mode: values that go to train ([] = all not listed elsewhere)")
          .field("val_values", &S::val_values, "column mode: values that go to validation")
          .field("test_values", &S::test_values, "column mode: values that go to test")
          .check([](const S& s, const config::Config& cfg, const std::string& p) {
            config::require_one_of(cfg, p + "mode", s.mode, {"random", "stratified", "column"});
            if (s.val_fraction < 0 || s.test_fraction < 0 || s.val_fraction + s.test_fraction >= 1)
              config::fail(cfg, p + "val_fraction", "val_fraction and test_fraction must be >= 0 with a sum below 1");
            if (s.mode == "column" && s.column.empty()) config::fail(cfg, p + "column", "column mode needs an obs column");
            if (s.mode == "column" && s.test_values.empty())
              config::fail(cfg, p + "test_values", "column mode needs the values that form the test set");
          });
  return schema;
}

namespace {

// Moves round(frac * n) of `cells` (shuffled with rng) to `out`, from the front.
void take(std::vector<int64_t>& cells, double frac, std::vector<int64_t>& out) {
  const size_t k = static_cast<size_t>(std::llround(frac * static_cast<double>(cells.size())));
  out.insert(out.end(), cells.begin(), cells.begin() + static_cast<std::ptrdiff_t>(std::min(k, cells.size())));
  cells.erase(cells.begin(), cells.begin() + static_cast<std::ptrdiff_t>(std::min(k, cells.size())));
}

void shuffle(std::vector<int64_t>& v, Rng& rng) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[static_cast<size_t>(rng.uniform_int(static_cast<int64_t>(i)))]);
}

}  // namespace

Split make_split(int64_t n, const SplitConfig& cfg, uint64_t seed, const std::vector<int32_t>& labels,
                 const std::vector<std::string>& column_values) {
  Split s;
  Rng rng(seed, 0x73706c74);  // "splt"
  if (cfg.mode == "column") {
    if (static_cast<int64_t>(column_values.size()) != n) throw std::invalid_argument("split: column values missing");
    const std::set<std::string> tr(cfg.train_values.begin(), cfg.train_values.end()),
        va(cfg.val_values.begin(), cfg.val_values.end()), te(cfg.test_values.begin(), cfg.test_values.end());
    std::map<std::string, int64_t> seen;
    std::vector<int64_t> train;
    for (int64_t i = 0; i < n; ++i) {
      const std::string& v = column_values[static_cast<size_t>(i)];
      ++seen[v];
      if (te.count(v)) s.test.push_back(i);
      else if (va.count(v)) s.val.push_back(i);
      else if (tr.empty() || tr.count(v)) train.push_back(i);
    }
    for (const auto* list : {&cfg.train_values, &cfg.val_values, &cfg.test_values})
      for (const auto& v : *list)
        if (!seen.count(v)) {
          std::string have;
          for (const auto& [k, c] : seen) have += (have.empty() ? "" : ", ") + k;
          throw std::invalid_argument(fmt::format("split: no cell has {} = '{}' (values: {})", cfg.column, v, have));
        }
    if (cfg.val_values.empty()) {
      shuffle(train, rng);
      take(train, cfg.val_fraction, s.val);
    }
    s.train = std::move(train);
  } else {
    std::map<int32_t, std::vector<int64_t>> groups;
    for (int64_t i = 0; i < n; ++i) {
      const int32_t g = cfg.mode == "stratified" ? labels.at(static_cast<size_t>(i)) : 0;
      if (g < 0) {
        s.train.push_back(i);  // no label: never scored
        continue;
      }
      groups[g].push_back(i);
    }
    for (auto& [g, cells] : groups) {
      shuffle(cells, rng);
      take(cells, cfg.test_fraction, s.test);
      take(cells, cfg.val_fraction / (1 - cfg.test_fraction), s.val);
      s.train.insert(s.train.end(), cells.begin(), cells.end());
    }
  }
  for (auto* v : {&s.train, &s.val, &s.test}) std::sort(v->begin(), v->end());
  if (s.train.empty() || s.test.empty())
    throw std::invalid_argument(fmt::format("split ({}): {} train and {} test cells; both need cells", cfg.mode,
                                            s.train.size(), s.test.size()));
  return s;
}

}  // namespace bmfm::data

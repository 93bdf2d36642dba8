// Cell samplers: which rows of a dataset to keep. Every sampler is seeded
// with bmfm::data::Rng, is a pure function of (inputs, seed), and returns
// sorted row indices (with repeats only for sampling with replacement).
//
// - uniform:  exactly target rows drawn without replacement, every subset of
//             that size equally likely.
// - equal:    "equal downsampling" (the paper's 1% / 10% CELLxGENE corpora):
//             strata are the distinct value combinations of one or more obs
//             columns (e.g. cell_type x tissue x disease); cells are taken
//             round-robin, one per stratum per round, until exactly `target`
//             cells are taken. Strata smaller than the per-stratum share are
//             kept whole and their unused share goes to the larger ones
//             (water filling). Ties -- the last, partial round, where fewer
//             cells remain to take than strata are still open -- go to the
//             strata that come first in a seeded random order of the strata.
//             Within a stratum the cells are a seeded random permutation.
// - balanced: class-balanced sampling for fine-tuning: n cells per class
//             (stratum). Without replacement a class smaller than n is kept
//             whole; with replacement every class gets exactly n draws.
//             Cells whose label is missing are never drawn.
//
// Target sizes from a fraction are round(fraction * N), rounding halves away
// from zero (std::llround), e.g. 0.01 * 1050 = 10.5 -> 11.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bmfm/config/schema.h"
#include "bmfm/io/anndata.h"

namespace bmfm::data {

// round(fraction * n), halves away from zero; fraction must be in [0, 1].
int64_t target_size(int64_t n, double fraction);

// Strata of a set of candidate rows: the distinct value combinations of the
// given obs columns. A missing value (NaN, missing category, masked) is its
// own value, shown as "<NA>". Strata are numbered in ascending order of their
// value tuples (compared column by column, as text), so the numbering does not
// depend on the row order.
struct Strata {
  std::vector<std::string> columns;
  std::vector<int64_t> rows;           // the candidate rows (file row numbers), ascending
  std::vector<int32_t> group;          // stratum of rows[i]
  std::vector<std::string> names;      // per stratum: values joined by " | "
  std::vector<uint8_t> has_missing;    // per stratum: 1 if any of its values is missing
  std::vector<int64_t> sizes;          // per stratum: number of candidate rows

  int64_t n_groups() const { return static_cast<int64_t>(names.size()); }
  // Rows (file row numbers) of each stratum, ascending.
  std::vector<std::vector<int64_t>> members() const;
};

// `rows` empty = every row of obs. Throws io::FormatError for a column obs
// does not have (listing the ones it has) and std::invalid_argument for no columns.
Strata make_strata(const io::DataFrame& obs, const std::vector<std::string>& columns,
                   const std::vector<int64_t>& rows = {});

// `target` rows of `rows` (all of them when target >= rows.size()).
std::vector<int64_t> sample_uniform(const std::vector<int64_t>& rows, int64_t target, uint64_t seed);
std::vector<int64_t> sample_uniform(int64_t n_rows, int64_t target, uint64_t seed);

// Exactly min(target, strata.rows.size()) rows, round-robin over the strata (see above).
std::vector<int64_t> sample_equal(const Strata& strata, int64_t target, uint64_t seed);
// How many cells `sample_equal` takes from each stratum (same order as strata.names).
std::vector<int64_t> equal_allocation(const std::vector<int64_t>& sizes, int64_t target, uint64_t seed);

// n_per_class rows per stratum; strata flagged has_missing are skipped.
std::vector<int64_t> sample_balanced(const Strata& strata, int64_t n_per_class, bool replace, uint64_t seed);

// The `sample:` config section (bmfm qc, bmfm prepare).
struct SampleConfig {
  std::string method = "none";        // none | uniform | equal | balanced
  double fraction = 0;                // uniform / equal: target = round(fraction * N)
  int64_t n = 0;                      // uniform / equal: absolute target (instead of fraction)
  std::vector<std::string> columns;   // equal / balanced: obs columns defining the strata / classes
  int64_t n_per_class = 0;            // balanced
  bool replace = false;               // balanced: draw with replacement
};

const config::Schema<SampleConfig>& sample_schema();

// What a sampler did, for reports.
struct SampleOutcome {
  std::string method;
  int64_t n_before = 0;
  int64_t n_after = 0;
  int64_t target = 0;
  std::vector<std::string> strata_names;   // equal / balanced
  std::vector<int64_t> strata_before;
  std::vector<int64_t> strata_after;
};

// Applies cfg to the candidate rows (file row numbers, ascending) of obs.
// method "none" returns `rows` unchanged.
std::vector<int64_t> sample_rows(const SampleConfig& cfg, const io::DataFrame& obs, const std::vector<int64_t>& rows,
                                 uint64_t seed, SampleOutcome* outcome = nullptr);

}  // namespace bmfm::data

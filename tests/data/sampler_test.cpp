// Samplers. Stratum sizes and the water-filling numbers (cap = full
// round-robin rounds, the number of strata that get one more cell in the last
// partial round) were computed independently by tests/data/qc_expected.py
// (pandas value_counts over the obs columns read with h5py, then the smallest
// cap whose allocation sum(min(size, cap + 1)) would exceed the target).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "bmfm/data/sampler.h"
#include "bmfm/io/error.h"
#include "bmfm/io/h5ad.h"
#include "test_util.h"

using namespace bmfm::data;
using bmfm::io::Column;
using bmfm::io::DataFrame;

namespace {

DataFrame read_obs(const std::string& name) { return bmfm::io::H5adReader(bmfm::test::data_path(name)).read_obs(); }

bool sorted_unique(const std::vector<int64_t>& v) {
  return std::is_sorted(v.begin(), v.end()) && std::adjacent_find(v.begin(), v.end()) == v.end();
}

DataFrame toy_obs() {
  DataFrame df;
  for (int i = 0; i < 12; ++i) df.index.push_back("c" + std::to_string(i));
  Column label;
  label.name = "label";
  label.kind = Column::Kind::Categorical;
  label.categories = {"b", "a"};
  label.codes = {0, 1, 0, 1, 0, -1, 0, 1, 0, -1, 0, 0};  // b x7, a x3, missing x2
  Column score;
  score.name = "score";
  score.kind = Column::Kind::Numeric;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  score.numeric = {1, 2, 1, 2, 1, 2, nan, 1, 2, 1, 2, 1};
  df.columns = {label, score};
  return df;
}

// Checks sample_equal's per-stratum counts against the water-filling numbers.
void expect_water_filled(const SampleOutcome& o, int64_t cap, int64_t n_extra) {
  int64_t extra = 0;
  for (size_t g = 0; g < o.strata_before.size(); ++g) {
    const int64_t base = std::min(o.strata_before[g], cap);
    if (o.strata_after[g] == base + 1 && o.strata_before[g] > cap)
      ++extra;
    else
      EXPECT_EQ(o.strata_after[g], base) << o.strata_names[g];
  }
  EXPECT_EQ(extra, n_extra);
}

}  // namespace

TEST(Sampler, TargetSizeRoundsHalfAway) {
  EXPECT_EQ(target_size(1050, 0.01), 11);  // 10.5 -> 11
  EXPECT_EQ(target_size(1408, 0.1), 141);  // 140.8
  EXPECT_EQ(target_size(220, 0.5), 110);
  EXPECT_EQ(target_size(220, 0.0), 0);
  EXPECT_EQ(target_size(220, 1.0), 220);
  EXPECT_THROW(target_size(10, 1.5), std::invalid_argument);
  EXPECT_THROW(target_size(10, -0.1), std::invalid_argument);
}

TEST(Sampler, UniformExactDeterministicAndUnbiased) {
  const auto a = sample_uniform(1000, 137, 7);
  EXPECT_EQ(a.size(), 137u);
  EXPECT_TRUE(sorted_unique(a));
  EXPECT_GE(a.front(), 0);
  EXPECT_LT(a.back(), 1000);
  EXPECT_EQ(a, sample_uniform(1000, 137, 7));
  EXPECT_NE(a, sample_uniform(1000, 137, 8));
  EXPECT_EQ(sample_uniform(10, 50, 1).size(), 10u);
  EXPECT_TRUE(sample_uniform(10, 0, 1).empty());
  // Each of 50 rows is drawn with probability 10/50 = 0.2; over 2000 seeds the
  // frequency has sd sqrt(0.2 * 0.8 / 2000) = 0.009: allow 5 sd.
  std::vector<int> hits(50, 0);
  for (uint64_t seed = 0; seed < 2000; ++seed)
    for (int64_t r : sample_uniform(50, 10, seed)) ++hits[static_cast<size_t>(r)];
  for (int h : hits) EXPECT_NEAR(h / 2000.0, 0.2, 0.045);
  // Sampling a subset of rows returns rows of that subset.
  const std::vector<int64_t> rows = {3, 9, 27, 81, 243};
  for (int64_t r : sample_uniform(rows, 3, 1)) EXPECT_NE(std::find(rows.begin(), rows.end(), r), rows.end());
}

TEST(Sampler, EqualAllocationWaterFills) {
  // sizes 1, 5, 10 and target 8: three full rounds take 1 + 3 + 3 = 7, the
  // fourth round has one cell for the two open strata.
  const auto alloc = equal_allocation({1, 5, 10}, 8, 3);
  ASSERT_EQ(alloc.size(), 3u);
  EXPECT_EQ(alloc[0], 1);
  EXPECT_EQ(alloc[1] + alloc[2], 7);
  EXPECT_TRUE((alloc[1] == 3 && alloc[2] == 4) || (alloc[1] == 4 && alloc[2] == 3));
  EXPECT_EQ(equal_allocation({1, 5, 10}, 100, 3), (std::vector<int64_t>{1, 5, 10}));
  EXPECT_EQ(equal_allocation({4, 4, 4}, 6, 3), (std::vector<int64_t>{2, 2, 2}));
  EXPECT_EQ(equal_allocation({4, 4, 4}, 0, 3), (std::vector<int64_t>{0, 0, 0}));
  // Which strata get the extra cell depends on the seed, the totals never do.
  std::set<std::vector<int64_t>> seen;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    auto a = equal_allocation({10, 10, 10, 10}, 6, seed);
    EXPECT_EQ(a[0] + a[1] + a[2] + a[3], 6);
    seen.insert(a);
  }
  EXPECT_GT(seen.size(), 1u);
}

TEST(Sampler, StrataOfCellxgeneCellTypeByTissue) {
  BMFM_REQUIRE_DATA("bmfm_cellxgene_pretrain.h5ad");
  const DataFrame obs = read_obs("bmfm_cellxgene_pretrain.h5ad");
  const Strata s = make_strata(obs, {"cell_type", "tissue"});
  ASSERT_EQ(s.n_groups(), 73);
  // Sizes in ascending order of "cell_type | tissue" (qc_expected.py: value_counts().sort_index()).
  const std::vector<int64_t> expected = {5, 2, 3, 5, 5, 2, 5, 3, 6, 1, 3, 1, 2, 2, 5, 1, 4, 2, 3, 2, 2, 3, 3, 1, 4,
                                         1, 4, 1, 3, 4, 2, 2, 3, 5, 1, 7, 1, 1, 1, 3, 2, 4, 8, 2, 2, 2, 6, 1, 3, 2,
                                         4, 5, 1, 4, 9, 1, 1, 3, 1, 5, 3, 4, 3, 1, 3, 1, 5, 5, 1, 4, 3, 4, 3};
  EXPECT_EQ(s.sizes, expected);
  EXPECT_TRUE(std::is_sorted(s.names.begin(), s.names.end()));
  // Every member of a stratum carries its values.
  const auto members = s.members();
  const Column& ct = obs.at("cell_type");
  for (size_t g = 0; g < members.size(); ++g)
    for (int64_t r : members[g]) EXPECT_EQ(s.names[g].substr(0, s.names[g].find(" | ")), ct.text(r));
}

TEST(Sampler, EqualDownsampleExactGroupSizesCellxgene) {
  BMFM_REQUIRE_DATA("bmfm_cellxgene_pretrain.h5ad");
  const DataFrame obs = read_obs("bmfm_cellxgene_pretrain.h5ad");
  std::vector<int64_t> all(220);
  for (int64_t i = 0; i < 220; ++i) all[static_cast<size_t>(i)] = i;
  SampleConfig cfg;
  cfg.method = "equal";
  cfg.columns = {"cell_type", "tissue"};
  // fraction -> (target, cap, strata at cap + 1), from qc_expected.py.
  struct Case {
    double fraction;
    int64_t target, cap, extra;
  };
  for (const Case& c : {Case{0.1, 22, 0, 22}, Case{0.25, 55, 0, 55}, Case{0.5, 110, 1, 37}, Case{0.75, 165, 2, 37},
                        Case{0.9, 198, 4, 4}}) {
    cfg.fraction = c.fraction;
    SampleOutcome o;
    const auto rows = sample_rows(cfg, obs, all, 11, &o);
    EXPECT_EQ(static_cast<int64_t>(rows.size()), c.target) << c.fraction;
    EXPECT_EQ(o.target, c.target);
    EXPECT_TRUE(sorted_unique(rows));
    expect_water_filled(o, c.cap, c.extra);
    EXPECT_EQ(rows, sample_rows(cfg, obs, all, 11));  // reproducible
  }
  // 0.5: the 18 single-cell strata are kept whole.
  cfg.fraction = 0.5;
  SampleOutcome o;
  sample_rows(cfg, obs, all, 11, &o);
  int64_t whole = 0;
  for (size_t g = 0; g < o.strata_before.size(); ++g) whole += o.strata_before[g] == 1 && o.strata_after[g] == 1;
  EXPECT_EQ(whole, 18);
  EXPECT_NE(sample_rows(cfg, obs, all, 11), sample_rows(cfg, obs, all, 12));
}

TEST(Sampler, EqualDownsampleCellbenchCellLineByBatch) {
  BMFM_REQUIRE_DATA("cellbench_lung_celllines_5batch.h5ad");
  const DataFrame obs = read_obs("cellbench_lung_celllines_5batch.h5ad");
  const Strata s = make_strata(obs, {"cell_line", "batch"});
  ASSERT_EQ(s.n_groups(), 21);
  EXPECT_EQ(s.names[0], "A549 | sc_celseq2_5cl_p1");
  EXPECT_EQ(s.sizes, (std::vector<int64_t>{103, 107, 118, 112, 50, 44, 35, 86, 81, 50, 44, 41, 69, 51, 71, 75, 81, 43,
                                           41, 36, 70}));
  // fraction 0.8: target 1126, cap 62, 9 strata get a 63rd cell; the others
  // hold min(size, 62) (qc_expected.py).
  const std::vector<int64_t> base = {62, 62, 62, 62, 50, 44, 35, 62, 62, 50, 44, 41, 62, 51, 62, 62, 62, 43, 41, 36, 62};
  for (uint64_t seed : {0u, 1u, 2u}) {
    const auto rows = sample_equal(s, target_size(1408, 0.8), seed);
    EXPECT_EQ(rows.size(), 1126u);
    std::vector<int64_t> got(21, 0);
    for (int64_t r : rows)
      ++got[static_cast<size_t>(s.group[static_cast<size_t>(std::lower_bound(s.rows.begin(), s.rows.end(), r) - s.rows.begin())])];
    int64_t extra = 0;
    for (size_t g = 0; g < 21; ++g) {
      if (got[g] == base[g] + 1 && s.sizes[g] > 62)
        ++extra;
      else
        EXPECT_EQ(got[g], base[g]) << s.names[g];
    }
    EXPECT_EQ(extra, 9);
  }
  // fraction 0.1: target 141 = 21 x 6 + 15; 0.5: 704 = 21 x 33 + 11.
  auto a = equal_allocation(s.sizes, 141, 5);
  EXPECT_EQ(std::count(a.begin(), a.end(), 7), 15);
  EXPECT_EQ(std::count(a.begin(), a.end(), 6), 6);
  a = equal_allocation(s.sizes, 704, 5);
  EXPECT_EQ(std::count(a.begin(), a.end(), 34), 11);
  EXPECT_EQ(std::count(a.begin(), a.end(), 33), 10);
}

TEST(Sampler, MissingValuesFormTheirOwnStratum) {
  const DataFrame obs = toy_obs();
  const Strata s = make_strata(obs, {"label"});
  ASSERT_EQ(s.n_groups(), 3);
  EXPECT_EQ(s.names, (std::vector<std::string>{"a", "b", "<NA>"}));  // text order, missing last
  EXPECT_EQ(s.sizes, (std::vector<int64_t>{3, 7, 2}));
  EXPECT_EQ(s.has_missing, (std::vector<uint8_t>{0, 0, 1}));
  const Strata s2 = make_strata(obs, {"label", "score"});
  EXPECT_EQ(s2.names.front(), "a | 1");
  EXPECT_EQ(s2.n_groups(), 7);  // a|1 a|2 b|1 b|2 b|<NA> <NA>|1 <NA>|2
  // A subset of rows: strata only over those rows.
  const Strata sub = make_strata(obs, {"label"}, {0, 1, 2});
  EXPECT_EQ(sub.names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(sub.sizes, (std::vector<int64_t>{1, 2}));
}

TEST(Sampler, BalancedPerClassCounts) {
  const DataFrame obs = toy_obs();
  const Strata s = make_strata(obs, {"label"});
  // Without replacement: min(n, class size); missing labels are never drawn.
  auto rows = sample_balanced(s, 5, false, 1);
  EXPECT_EQ(rows.size(), 8u);  // a: 3 (whole), b: 5
  EXPECT_TRUE(sorted_unique(rows));
  for (int64_t r : rows) EXPECT_FALSE(obs.at("label").is_missing(r));
  // With replacement: exactly n per class, repeats allowed.
  rows = sample_balanced(s, 20, true, 1);
  EXPECT_EQ(rows.size(), 40u);
  EXPECT_TRUE(std::is_sorted(rows.begin(), rows.end()));
  int64_t a = 0;
  for (int64_t r : rows) a += obs.at("label").text(r) == "a";
  EXPECT_EQ(a, 20);
  EXPECT_EQ(rows, sample_balanced(s, 20, true, 1));
  EXPECT_NE(rows, sample_balanced(s, 20, true, 2));
}

TEST(Sampler, BalancedScp1884Celltypes) {
  BMFM_REQUIRE_DATA("bmfm_scp1884.h5ad");
  const DataFrame obs = read_obs("bmfm_scp1884.h5ad");
  const Strata s = make_strata(obs, {"Celltype"});
  ASSERT_EQ(s.n_groups(), 68);
  // qc_expected.py: n=5 -> 340 cells (no class smaller than 5); n=20 -> 1020 (all 68 classes smaller).
  EXPECT_EQ(sample_balanced(s, 5, false, 0).size(), 340u);
  EXPECT_EQ(sample_balanced(s, 20, false, 0).size(), 1020u);
  EXPECT_EQ(sample_balanced(s, 20, true, 0).size(), 68u * 20u);
  SampleConfig cfg;
  cfg.method = "balanced";
  cfg.columns = {"Celltype"};
  cfg.n_per_class = 5;
  SampleOutcome o;
  sample_rows(cfg, obs, s.rows, 3, &o);
  for (int64_t n : o.strata_after) EXPECT_EQ(n, 5);
}

TEST(Sampler, UnknownColumnIsAClearError) {
  const DataFrame obs = toy_obs();
  try {
    make_strata(obs, {"label", "tissue"});
    FAIL() << "expected an error";
  } catch (const bmfm::io::FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("'tissue'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("obs has no column 'tissue'; its columns are: label, score"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(make_strata(obs, {}), std::invalid_argument);
}

TEST(Sampler, SampleRowsNoneAndUniform) {
  const DataFrame obs = toy_obs();
  const std::vector<int64_t> rows = {0, 2, 4, 6, 8, 10};
  SampleConfig cfg;
  EXPECT_EQ(sample_rows(cfg, obs, rows, 0), rows);
  cfg.method = "uniform";
  cfg.fraction = 0.5;
  SampleOutcome o;
  auto got = sample_rows(cfg, obs, rows, 0, &o);
  EXPECT_EQ(got.size(), 3u);
  EXPECT_EQ(o.n_before, 6);
  EXPECT_EQ(o.n_after, 3);
  cfg.fraction = 0;
  cfg.n = 4;
  EXPECT_EQ(sample_rows(cfg, obs, rows, 0).size(), 4u);
}

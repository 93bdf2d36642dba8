// Binning: each method against hand-computed bins, scGPT's random tie
// spreading against its distribution, and all methods on real cells against
// numpy (tests/data/transforms_expected.py).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "bmfm/data/binning.h"
#include "bmfm/data/gene_mapping.h"
#include "bmfm/data/transforms.h"
#include "bmfm/io/h5ad.h"
#include "test_util.h"

using namespace bmfm::data;

namespace {

std::vector<int32_t> bins_of(const std::vector<float>& v, const BinningParams& p, uint64_t seed = 1) {
  BinEdges e;
  Rng rng(seed);
  std::vector<int32_t> out(v.size(), -1);
  bin_values(v.data(), v.size(), p, e, rng, out.data());
  return out;
}

BinningParams params(BinningMethod m, int32_t n_bins) {
  BinningParams p;
  p.method = m;
  p.n_bins = n_bins;
  p.random_ties = false;
  return p;
}

}  // namespace

TEST(Binning, QuantileLinearMatchesNumpy) {
  // numpy.quantile([1, 2, 3, 4], q): index (n-1)*q, linear between neighbours:
  //   q=0.5 -> 1.5 -> 2.5; q=1/3 -> 1.0 -> 2; q=0.1 -> 0.3 -> 1.3; q=0 -> 1; q=1 -> 4
  const double x[] = {1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(quantile_linear(x, 4, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(quantile_linear(x, 4, 1.0 / 3), 2.0);
  EXPECT_DOUBLE_EQ(quantile_linear(x, 4, 0.1), 1.3);
  EXPECT_DOUBLE_EQ(quantile_linear(x, 4, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(quantile_linear(x, 4, 1.0), 4.0);
  const double one[] = {7};
  EXPECT_DOUBLE_EQ(quantile_linear(one, 1, 0.5), 7.0);
}

TEST(Binning, IntCastFloorOrCeilClipped) {
  // n_bins 10: floor {0, 0.5, 1, 2.7, 9.9, 100} = {0, 0, 1, 2, 9, 100 -> 9}
  const std::vector<float> v = {0, 0.5f, 1, 2.7f, 9.9f, 100};
  auto p = params(BinningMethod::IntCast, 10);
  EXPECT_EQ(bins_of(v, p), (std::vector<int32_t>{0, 0, 1, 2, 9, 9}));
  // ceil: {0, 1, 1, 3, 10 -> 9, 9}: no non-zero value lands in bin 0
  p.int_cast_ceil = true;
  EXPECT_EQ(bins_of(v, p), (std::vector<int32_t>{0, 1, 1, 3, 9, 9}));
}

TEST(Binning, PercentileOfNonZeroValues) {
  // n_bins 3: edges = percentile({1,2,3,4,5}, {0, 50, 100}) = {1, 3, 5};
  // digitize (edges <= v): 1->1, 2->1, 3->2, 4->2, 5->3 clipped to 2; zero -> 0
  const std::vector<float> v = {0, 1, 2, 3, 4, 5};
  EXPECT_EQ(bins_of(v, params(BinningMethod::Percentile, 3)), (std::vector<int32_t>{0, 1, 1, 2, 2, 2}));
  EXPECT_EQ(bins_of({0, 0}, params(BinningMethod::Percentile, 3)), (std::vector<int32_t>{0, 0}));
}

TEST(Binning, ScGptValueBinning) {
  // n_bins 4: edges = quantile({1..5}, linspace(0, 1, 3)) = {1, 3, 5}; digitize:
  // 1->1, 2->1, 3->2, 4->2, 5->3 (the maximum gets the top bin, n_bins-1); zero -> 0
  const std::vector<float> v = {0, 1, 2, 3, 4, 5};
  EXPECT_EQ(bins_of(v, params(BinningMethod::ScGpt, 4)), (std::vector<int32_t>{0, 1, 1, 2, 2, 3}));
}

TEST(Binning, ScGptRandomTiesSpreadUniformly) {
  // {1, 1, 1, 1, 2}, n_bins 5: edges = quantile at {0, 1/3, 2/3, 1} = {1, 1, 1, 2}.
  // v = 1 equals three edges: left digit 3, right digit 0 -> uniform over {1, 2, 3};
  // v = 2: left 4, right 3 -> always 4. Deterministic (side "one"): 3 and 4.
  const std::vector<float> v = {1, 1, 1, 1, 2};
  auto p = params(BinningMethod::ScGpt, 5);
  EXPECT_EQ(bins_of(v, p), (std::vector<int32_t>{3, 3, 3, 3, 4}));
  p.random_ties = true;
  std::vector<int> count(5, 0);
  const int trials = 20000;
  BinEdges e;
  Rng rng(29);
  std::vector<int32_t> b(v.size());
  for (int t = 0; t < trials; ++t) {
    bin_values(v.data(), v.size(), p, e, rng, b.data());
    ASSERT_EQ(b[4], 4);
    for (int i = 0; i < 4; ++i) ++count[static_cast<size_t>(b[static_cast<size_t>(i)])];
  }
  const double n = 4.0 * trials, pr = 1.0 / 3,
               se = std::sqrt(pr * (1 - pr) / n) * 2;  // 4 per cell: correlated draws ok
  EXPECT_EQ(count[0], 0);
  for (int k = 1; k <= 3; ++k) EXPECT_NEAR(count[static_cast<size_t>(k)] / n, pr, 5 * se) << "bin " << k;
}

TEST(Binning, LogSpacedBins) {
  // n_bins 5, [1, 100]: 1 + floor(4 * ln(v) / ln(100)), clipped to [1, 4]:
  // 1 -> 1, 20 -> 1 + floor(2.60) = 3, 0.5 -> 0 -> 1, 99 -> 1 + 3 = 4, 100 -> 5 -> 4, 0 -> 0
  auto p = params(BinningMethod::Log, 5);
  p.log_min = 1;
  p.log_max = 100;
  EXPECT_EQ(bins_of({1, 20, 0.5f, 99, 100, 0}, p), (std::vector<int32_t>{1, 3, 1, 4, 4, 0}));
  p.log_min = 0;
  EXPECT_THROW(bins_of({1}, p), std::invalid_argument);
}

// Expected values: /usr/bin/python3 tests/data/transforms_expected.py (numpy 1.24) on the
// first 20 cells of bmfm_zheng68k.h5ad, binning w = float32(log1p(x / sum(x) * 1e4)).
struct BinExpected {
  std::vector<int> histogram;  // genes per bin id
  long long weighted;          // sum((i+1) * bin_i) in stored order
};
// int_cast: {histogram of bin ids, sum((i+1)*bin_i)} per cell
const BinExpected kIntCast[] = {
    {{0, 0, 403, 59, 41, 2, 1, 0, 0, 0}, 294776}, {{0, 0, 405, 74, 30, 7, 1, 0, 0, 0}, 308589},
    {{0, 0, 416, 83, 27, 6, 0, 0, 0, 0}, 326037}, {{0, 0, 394, 67, 32, 6, 0, 0, 0, 0}, 287857},
    {{0, 0, 421, 66, 32, 7, 0, 0, 0, 0}, 318087}, {{0, 0, 435, 73, 31, 7, 0, 0, 0, 0}, 344577},
    {{0, 0, 402, 62, 39, 6, 0, 0, 0, 0}, 303521}, {{0, 0, 414, 73, 28, 7, 1, 0, 0, 0}, 315900},
    {{0, 0, 395, 64, 36, 7, 0, 0, 0, 0}, 295570}, {{0, 0, 412, 76, 35, 5, 0, 0, 0, 0}, 321425},
    {{0, 0, 393, 63, 30, 8, 0, 0, 0, 0}, 283477}, {{0, 0, 402, 66, 35, 7, 0, 0, 0, 0}, 301585},
    {{0, 0, 411, 59, 30, 6, 1, 0, 0, 0}, 292890}, {{0, 0, 396, 58, 34, 6, 0, 0, 0, 0}, 282706},
    {{0, 0, 405, 64, 38, 8, 0, 0, 0, 0}, 312045}, {{0, 370, 82, 41, 33, 11, 0, 0, 0, 0}, 234315},
    {{0, 0, 418, 68, 45, 5, 0, 0, 0, 0}, 335408}, {{0, 0, 416, 77, 32, 8, 0, 0, 0, 0}, 328189},
    {{0, 0, 409, 82, 34, 7, 0, 0, 0, 0}, 331333}, {{0, 0, 420, 73, 39, 5, 0, 0, 0, 0}, 336770},
};
// percentile: {histogram of bin ids, sum((i+1)*bin_i)} per cell
const BinExpected kPercentile[] = {
    {{0, 0, 0, 0, 0, 0, 0, 344, 59, 46, 57}, 981393},  {{0, 0, 0, 0, 0, 0, 0, 347, 58, 50, 62}, 1025533},
    {{0, 0, 0, 0, 0, 0, 0, 357, 59, 50, 66}, 1089171}, {{0, 0, 0, 0, 0, 0, 0, 333, 61, 53, 52}, 956702},
    {{0, 0, 0, 0, 0, 0, 0, 355, 0, 118, 53}, 1080375}, {{0, 0, 0, 0, 0, 0, 0, 365, 70, 43, 68}, 1150777},
    {{0, 0, 0, 0, 0, 0, 0, 331, 71, 55, 52}, 1001899}, {{0, 0, 0, 0, 0, 0, 0, 357, 57, 55, 54}, 1048460},
    {{0, 0, 0, 0, 0, 0, 0, 328, 67, 54, 53}, 974021},  {{0, 0, 0, 0, 0, 0, 0, 353, 59, 56, 60}, 1070861},
    {{0, 0, 0, 0, 0, 0, 0, 330, 63, 41, 60}, 942037},  {{0, 0, 0, 0, 0, 0, 0, 337, 65, 56, 52}, 997954},
    {{0, 0, 0, 0, 0, 0, 0, 343, 0, 113, 51}, 995950},  {{0, 0, 0, 0, 0, 0, 0, 330, 0, 114, 50}, 953411},
    {{0, 0, 0, 0, 0, 0, 0, 342, 63, 47, 63}, 1022796}, {{0, 0, 0, 0, 0, 0, 0, 370, 0, 106, 61}, 1124638},
    {{0, 0, 0, 0, 0, 0, 0, 353, 65, 62, 56}, 1104464}, {{0, 0, 0, 0, 0, 0, 0, 347, 69, 59, 58}, 1091939},
    {{0, 0, 0, 0, 0, 0, 0, 338, 71, 68, 55}, 1096291}, {{0, 0, 0, 0, 0, 0, 0, 350, 70, 60, 57}, 1111751},
};
// scgpt: {histogram of bin ids, sum((i+1)*bin_i)} per cell
const BinExpected kScgpt[] = {
    {{0, 0, 0, 0, 0, 0, 0, 0, 0,   0, 0, 0, 0, 0, 0,  0,  0, 0,  0,  0,  0,  0, 0,  0,  0, 0,
      0, 0, 0, 0, 0, 0, 0, 0, 344, 0, 0, 0, 0, 0, 59, 19, 0, 14, 13, 13, 13, 9, 11, 10, 1},
     4740842},
    {{0, 0, 0, 0, 0, 0, 0, 0,   0, 0, 0, 0, 0, 0,  0, 0, 0,  0, 0,  0,  0, 0,  0,  0,  0, 0,
      0, 0, 0, 0, 0, 0, 0, 347, 0, 0, 0, 0, 0, 58, 0, 0, 38, 0, 12, 19, 5, 16, 11, 10, 1},
     4853284},
    {{0, 0, 0, 0, 0, 0, 0, 0,   0, 0, 0, 0, 0, 0,  0, 0, 0,  0,  0, 0,  0,  0,  0,  0,  0, 0,
      0, 0, 0, 0, 0, 0, 0, 357, 0, 0, 0, 0, 0, 59, 0, 0, 32, 18, 0, 14, 19, 10, 12, 10, 1},
     5146062},
    {{0, 0, 0, 0, 0, 0, 0, 0,   0, 0, 0, 0, 0, 0,  0, 0, 0,  0, 0,  0, 0,  0, 0,  0,  0, 0,
      0, 0, 0, 0, 0, 0, 0, 333, 0, 0, 0, 0, 0, 61, 0, 0, 28, 0, 25, 8, 12, 8, 13, 10, 1},
     4541125},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0,   0, 0, 0, 0, 0, 0,  0, 0,  0, 0,  0,  0,  0,  0,  0,  0, 0,
      0, 0, 0, 0, 0, 0, 0, 0, 355, 0, 0, 0, 0, 0, 66, 0, 25, 0, 17, 15, 15, 11, 11, 10, 1},
     5148516},
    {{0, 0, 0, 0, 0, 0, 0, 0,   0, 0, 0, 0, 0, 0, 0,  0, 0,  0,  0, 0,  0, 0,  0,  0,  0, 0,
      0, 0, 0, 0, 0, 0, 0, 365, 0, 0, 0, 0, 0, 0, 70, 0, 24, 19, 0, 21, 9, 14, 11, 12, 1},
     5466833},
    {{0, 0, 0, 0, 0, 0, 0,   0, 0, 0, 0, 0, 0, 0,  0, 0, 0,  0, 0,  0, 0, 0,  0,  0,  0, 0,
      0, 0, 0, 0, 0, 0, 331, 0, 0, 0, 0, 0, 0, 71, 0, 0, 30, 0, 25, 7, 9, 14, 10, 11, 1},
     4674708},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0,   0, 0, 0, 0, 0,  0, 0, 0,  0, 0,  0, 0,  0,  0,  0,  0, 0,
      0, 0, 0, 0, 0, 0, 0, 0, 357, 0, 0, 0, 0, 57, 0, 0, 33, 0, 22, 8, 10, 13, 12, 10, 1},
     5060530},
    {{0, 0, 0, 0, 0, 0, 0,   0, 0, 0, 0, 0, 0, 0,  0, 0, 0,  0,  0,  0,  0,  0, 0,  0,  0, 0,
      0, 0, 0, 0, 0, 0, 328, 0, 0, 0, 0, 0, 0, 67, 0, 0, 29, 14, 11, 10, 11, 9, 12, 10, 1},
     4534272},
    {{0, 0, 0, 0, 0, 0, 0, 0,   0, 0, 0, 0, 0, 0,  0, 0, 0,  0,  0, 0, 0,  0,  0,  0,  0, 0,
      0, 0, 0, 0, 0, 0, 0, 353, 0, 0, 0, 0, 0, 59, 0, 0, 32, 17, 7, 8, 15, 13, 11, 12, 1},
     5069941},
    {{0, 0, 0, 0, 0, 0, 0, 0,   0, 0, 0, 0, 0, 0,  0, 0, 0,  0, 0,  0,  0,  0, 0,  0,  0, 0,
      0, 0, 0, 0, 0, 0, 0, 330, 0, 0, 0, 0, 0, 63, 0, 0, 22, 0, 19, 13, 16, 6, 14, 10, 1},
     4462282},
    {{0, 0, 0, 0, 0, 0, 0, 0,   0, 0, 0, 0, 0, 0,  0, 0, 0,  0,  0,  0,  0, 0,  0,  0,  0, 0,
      0, 0, 0, 0, 0, 0, 0, 337, 0, 0, 0, 0, 0, 65, 0, 0, 32, 13, 11, 10, 6, 15, 10, 10, 1},
     4728407},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0,   0, 0, 0, 0, 0, 0,  0, 0,  0,  0, 0,  0, 0,  0,  0,  0, 0,
      0, 0, 0, 0, 0, 0, 0, 0, 343, 0, 0, 0, 0, 0, 68, 0, 18, 13, 0, 20, 8, 12, 14, 10, 1},
     4752715},
    {{0, 0, 0, 0, 0, 0, 0, 0,   0, 0, 0, 0, 0, 0, 0,  0, 0,  0,  0, 0,  0,  0, 0,  0,  0, 0,
      0, 0, 0, 0, 0, 0, 0, 330, 0, 0, 0, 0, 0, 0, 66, 0, 24, 13, 0, 11, 19, 7, 13, 10, 1},
     4463039},
    {{0, 0, 0, 0, 0, 0, 0, 0,   0, 0, 0, 0, 0, 0,  0, 0, 0,  0,  0, 0,  0, 0,  0,  0,  0, 0,
      0, 0, 0, 0, 0, 0, 0, 342, 0, 0, 0, 0, 0, 63, 0, 0, 28, 19, 0, 17, 8, 17, 10, 10, 1},
     4841061},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0,   0, 0, 0, 0, 0, 0,  0, 0,  0,  0,  0,  0, 0,  0,  0,  0, 0,
      0, 0, 0, 0, 0, 0, 0, 0, 370, 0, 0, 0, 0, 0, 60, 0, 22, 13, 11, 17, 9, 11, 13, 10, 1},
     5358079},
    {{0, 0, 0, 0, 0, 0, 0, 0,   0, 0, 0, 0, 0, 0,  0, 0, 0,  0,  0,  0,  0, 0,  0,  0,  0, 0,
      0, 0, 0, 0, 0, 0, 0, 353, 0, 0, 0, 0, 0, 65, 0, 0, 32, 13, 17, 12, 9, 13, 10, 11, 1},
     5238187},
    {{0, 0, 0, 0, 0, 0, 0,   0, 0, 0, 0, 0, 0, 0,  0, 0,  0, 0,  0,  0, 0,  0,  0,  0,  0, 0,
      0, 0, 0, 0, 0, 0, 347, 0, 0, 0, 0, 0, 0, 69, 0, 27, 0, 19, 13, 9, 12, 13, 13, 10, 1},
     5075438},
    {{0, 0, 0, 0, 0, 0, 0,   0, 0, 0, 0, 0, 0,  0, 0, 0,  0, 0,  0,  0, 0,  0,  0,  0,  0, 0,
      0, 0, 0, 0, 0, 0, 338, 0, 0, 0, 0, 0, 71, 0, 0, 32, 0, 18, 18, 6, 12, 13, 12, 11, 1},
     5087316},
    {{0, 0, 0, 0, 0, 0, 0,   0, 0, 0, 0, 0, 0, 0,  0, 0, 0,  0, 0,  0,  0,  0, 0,  0,  0, 0,
      0, 0, 0, 0, 0, 0, 350, 0, 0, 0, 0, 0, 0, 70, 0, 0, 31, 0, 29, 13, 10, 7, 15, 11, 1},
     5182672},
};
// scgpt_right: {histogram of bin ids, sum((i+1)*bin_i)} per cell
const BinExpected kScgptRight[] = {
    {{344, 0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0,  0,  0, 0,  0,  0, 0, 0,  0, 0,  0, 0,
      0,   0, 0, 0, 0, 0, 0, 0, 59, 0, 0, 0, 0, 0, 19, 14, 0, 13, 13, 9, 4, 13, 7, 11, 0},
     1692493},
    {{347, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0,  0, 0, 0, 0,  0,  0, 0,  0, 0,  0,  0, 0,
      0,   0, 0, 0, 0, 0, 0, 58, 0, 0, 0, 0, 0, 38, 0, 0, 0, 12, 12, 7, 13, 8, 11, 11, 0},
     1764974},
    {{357, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0,  0, 0, 0,  0, 0,  0,  0, 0,  0, 0,  0, 0,
      0,   0, 0, 0, 0, 0, 0, 59, 0, 0, 0, 0, 0, 32, 0, 0, 18, 0, 14, 12, 7, 14, 8, 11, 0},
     1866893},
    {{333, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0,  0, 0, 0,  0, 0,  0, 0, 0,  0, 0,  0, 0,
      0,   0, 0, 0, 0, 0, 0, 61, 0, 0, 0, 0, 0, 28, 0, 0, 18, 0, 15, 6, 9, 12, 6, 11, 0},
     1731747},
    {{355, 0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0,  0, 0,  0, 0,  0,  0, 0,  0,  0,  0, 0,
      0,   0, 0, 0, 0, 0, 0, 0, 66, 0, 0, 0, 0, 0, 25, 0, 17, 0, 10, 14, 6, 11, 11, 11, 0},
     1932127},
    {{365, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0,  0, 0,  0,  0, 0,  0, 0, 0,  0, 0, 0,
      0,   0, 0, 0, 0, 0, 0, 70, 0, 0, 0, 0, 0, 0, 24, 0, 19, 16, 0, 14, 7, 9, 13, 9, 0},
     2117852},
    {{331, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0,  0, 0, 0,  0, 0, 0,  0,  0, 0, 0,  0, 0,
      0,   0, 0, 0, 0, 0, 71, 0, 0, 0, 0, 0, 0, 30, 0, 0, 16, 0, 9, 11, 14, 8, 9, 10, 0},
     1917735},
    {{357, 0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0,  0, 0, 0,  0, 0, 0,  0, 0,  0, 0,  0, 0,
      0,   0, 0, 0, 0, 0, 0, 0, 57, 0, 0, 0, 0, 33, 0, 0, 13, 0, 9, 18, 5, 12, 8, 11, 0},
     1821959},
    {{328, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0,  0, 0, 0,  0,  0,  0, 0,  0, 0, 0,  0, 0,
      0,   0, 0, 0, 0, 0, 0, 67, 0, 0, 0, 0, 0, 29, 0, 0, 14, 11, 10, 6, 11, 6, 9, 11, 0},
     1835703},
    {{353, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0,  0, 0, 0,  0, 0, 0,  0, 0,  0,  0, 0, 0,
      0,   0, 0, 0, 0, 0, 0, 59, 0, 0, 0, 0, 0, 32, 0, 0, 17, 7, 8, 12, 9, 12, 10, 9, 0},
     1861908},
    {{330, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0,  0, 0,  0, 0,  0, 0, 0,  0, 0,  0, 0,
      0,   0, 0, 0, 0, 0, 0, 63, 0, 0, 0, 0, 0, 0, 22, 0, 19, 0, 13, 9, 7, 12, 8, 11, 0},
     1736677},
    {{337, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0,  0, 0, 0,  0, 0,  0,  0,  0, 0,  0,  0, 0,
      0,   0, 0, 0, 0, 0, 0, 65, 0, 0, 0, 0, 0, 32, 0, 0, 13, 0, 11, 10, 15, 6, 10, 11, 0},
     1772065},
    {{343, 0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0,  0, 0,  0,  0, 0,  0, 0, 0, 0,  0, 0,
      0,   0, 0, 0, 0, 0, 0, 0, 68, 0, 0, 0, 0, 0, 18, 0, 13, 14, 0, 14, 8, 9, 9, 11, 0},
     1631224},
    {{330, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0,  0, 0,  0, 0,  0,  0, 0,  0, 0,  0, 0,
      0,   0, 0, 0, 0, 0, 0, 66, 0, 0, 0, 0, 0, 0, 24, 0, 13, 0, 11, 10, 9, 13, 7, 11, 0},
     1689603},
    {{342, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0,  0, 0, 0,  0, 0,  0,  0, 0,  0,  0,  0, 0,
      0,   0, 0, 0, 0, 0, 0, 63, 0, 0, 0, 0, 0, 28, 0, 0, 19, 0, 13, 12, 7, 10, 10, 11, 0},
     1834640},
    {{370, 0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0,  0, 0,  0,  0, 0, 0,  0, 0,  0,  0, 0,
      0,   0, 0, 0, 0, 0, 0, 0, 60, 0, 0, 0, 0, 0, 22, 0, 13, 11, 8, 9, 14, 9, 10, 11, 0},
     1954767},
    {{353, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0,  0, 0, 0,  0,  0,  0, 0,  0, 0,  0, 0, 0,
      0,   0, 0, 0, 0, 0, 0, 65, 0, 0, 0, 0, 0, 32, 0, 0, 13, 13, 10, 6, 15, 7, 13, 9, 0},
     2003411},
    {{347, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0,  0, 0,  0, 0,  0, 0, 0, 0,  0,  0,  0, 0,
      0,   0, 0, 0, 0, 0, 69, 0, 0, 0, 0, 0, 0, 27, 0, 19, 0, 13, 9, 9, 9, 10, 10, 11, 0},
     1948403},
    {{338, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0,  0, 0, 0,  0, 0, 0,  0,  0,  0, 0,  0, 0, 0,
      0,   0, 0, 0, 0, 0, 71, 0, 0, 0, 0, 0, 32, 0, 0, 18, 0, 8, 10, 14, 11, 9, 12, 9, 0},
     2137112},
    {{350, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0,  0, 0, 0,  0, 0,  0, 0,  0, 0,  0,  0, 0,
      0,   0, 0, 0, 0, 0, 70, 0, 0, 0, 0, 0, 0, 31, 0, 0, 21, 0, 18, 3, 17, 6, 11, 10, 0},
     2037837},
};
// log: {histogram of bin ids, sum((i+1)*bin_i)} per cell
const BinExpected kLog[] = {
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 344, 59, 46, 52, 4, 1, 0}, 1752953},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 347, 58, 62, 41, 9, 0, 0}, 1828737},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 357, 59, 64, 43, 9, 0, 0}, 1938614},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 333, 61, 53, 41, 11, 0, 0}, 1708700},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 355, 66, 52, 39, 14, 0, 0}, 1896710},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 365, 70, 59, 43, 9, 0, 0}, 2045519},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 331, 71, 55, 42, 10, 0, 0}, 1783925},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 357, 57, 63, 35, 11, 0, 0}, 1871717},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 328, 67, 54, 42, 11, 0, 0}, 1734410},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 353, 59, 56, 53, 7, 0, 0}, 1911087},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 330, 63, 54, 35, 12, 0, 0}, 1675300},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 337, 65, 56, 43, 9, 0, 0}, 1782676},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 343, 68, 45, 43, 8, 0, 0}, 1754271},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 330, 66, 48, 41, 9, 0, 0}, 1672450},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 342, 63, 60, 40, 10, 0, 0}, 1820568},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 370, 82, 32, 41, 12, 0, 0}, 1969803},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 353, 65, 62, 48, 8, 0, 0}, 1970831},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 347, 69, 68, 38, 11, 0, 0}, 1947102},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 338, 71, 68, 46, 9, 0, 0}, 1949750},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 350, 70, 70, 37, 10, 0, 0}, 1979525},
};

namespace {

void check_bins(const std::vector<int32_t>& b, const BinExpected& e, int32_t n_bins, const std::string& what) {
  std::vector<int> hist(static_cast<size_t>(n_bins), 0);
  long long w = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    ASSERT_GE(b[i], 0) << what;
    ASSERT_LT(b[i], n_bins) << what;
    ++hist[static_cast<size_t>(b[i])];
    w += static_cast<long long>(i + 1) * b[i];
  }
  EXPECT_EQ(hist, e.histogram) << what;
  EXPECT_EQ(w, e.weighted) << what;
}

}  // namespace

TEST(Binning, MatchesNumpyOnZheng68k) {
  BMFM_REQUIRE_DATA("bmfm_zheng68k.h5ad");
  bmfm::io::H5adReader reader(bmfm::test::data_path("bmfm_zheng68k.h5ad"));
  const auto var = reader.read_var();
  const auto vocab = Vocab::from_genes(bmfm::io::gene_ids(var));
  const auto mapping = GeneMapping::from_var(var, vocab);
  const auto X = reader.read_matrix("X", 0, 20);
  CellRecordBuilder builder(mapping);
  CellRecord rec;
  struct Case {
    const char* method;
    int32_t n_bins;
    const BinExpected* expected;
  };
  const Case cases[] = {
      {"int_cast", 10, kIntCast}, {"percentile", 11, kPercentile}, {"scgpt", 51, kScgpt}, {"log", 20, kLog}};
  for (const auto& k : cases) {
    TransformConfig cfg;  // normalise (1e4), stored order, no truncation
    cfg.binning.method = k.method;
    cfg.binning.n_bins = k.n_bins;
    cfg.binning.random_ties = false;
    cfg.binning.log_min = 0.1;
    cfg.binning.log_max = 10;
    TransformPipeline p(cfg, vocab);
    TransformWorkspace ws;
    TransformOutput out;
    for (int64_t c = 0; c < 20; ++c) {
      builder.build(X, c, c, rec);
      Rng rng = cell_rng(0, 0, c);
      p.apply(rec, rng, ws, out);
      check_bins(out.bins, k.expected[c], k.n_bins, std::string(k.method) + " cell " + std::to_string(c));
      if (std::string(k.method) != "scgpt") continue;
      // The right-side digits (numpy.digitize(right=True)) from the same edges, and the
      // random-tie variant, which must land in (right, left] for every value.
      std::vector<int32_t> right(out.values.size());
      for (size_t i = 0; i < right.size(); ++i)
        right[i] = out.values[i] > 0
                       ? static_cast<int32_t>(std::lower_bound(ws.bin_edges.edges.begin(), ws.bin_edges.edges.end(),
                                                               static_cast<double>(out.values[i])) -
                                              ws.bin_edges.edges.begin())
                       : 0;
      check_bins(right, kScgptRight[c], k.n_bins, "scgpt right cell " + std::to_string(c));
      BinningParams rp;
      rp.method = BinningMethod::ScGpt;
      rp.n_bins = 51;
      rp.random_ties = true;
      std::vector<int32_t> rb(out.values.size());
      Rng r2(c);
      digitize_values(out.values.data(), out.values.size(), rp, ws.bin_edges, r2, rb.data());
      for (size_t i = 0; i < rb.size(); ++i) {
        if (out.values[i] <= 0) continue;
        ASSERT_LE(rb[i], out.bins[i]);
        ASSERT_GT(rb[i], std::min(right[i], out.bins[i] - 1));
      }
    }
  }
}

TEST(Binning, EdgesComeFromTheWholeCellNotTheTruncatedInput) {
  auto vocab = Vocab::from_genes({"A", "B", "C", "D", "E"});  // ids 5..9
  TransformConfig cfg;
  cfg.normalize.enabled = false;  // bin the raw values directly: easy to follow by hand
  cfg.max_length = 2;
  cfg.order.mode = "expression";
  cfg.binning.method = "scgpt";
  cfg.binning.n_bins = 4;
  cfg.binning.random_ties = false;
  TransformPipeline p(cfg, vocab);
  TransformWorkspace ws;
  TransformOutput out;
  Rng rng(1);
  // Whole cell {1..5}: edges {1, 3, 5} (as in ScGptValueBinning); kept after ordering
  // and truncation: 5 -> 3, 4 -> 2. Edges of the kept pair alone would give {4, 4.5, 5} -> 3, 1.
  p.apply(CellRecord{0, {5, 6, 7, 8, 9}, {1, 2, 3, 4, 5}, {}}, rng, ws, out);
  EXPECT_EQ(out.genes, (std::vector<int32_t>{9, 8}));
  EXPECT_EQ(out.bins, (std::vector<int32_t>{3, 2}));
}

TEST(Binning, DescendingInputGivesTheSameEdges) {
  const std::vector<float> v = {0.5f, 3, 0, 2, 2, 7, 1, 0, 4};
  std::vector<float> desc = v;
  std::sort(desc.begin(), desc.end(), std::greater<float>());
  for (auto m : {BinningMethod::Percentile, BinningMethod::ScGpt}) {
    auto p = params(m, 6);
    BinEdges a, b;
    compute_bin_edges(v.data(), v.size(), p, a);
    compute_bin_edges_descending(desc.data(), desc.size(), p, b);
    EXPECT_EQ(a.edges, b.edges);
    EXPECT_FALSE(a.edges.empty());
  }
  auto p = params(BinningMethod::ScGpt, 6);
  BinEdges e;
  EXPECT_THROW(compute_bin_edges_descending(v.data(), v.size(), p, e), std::invalid_argument);
}

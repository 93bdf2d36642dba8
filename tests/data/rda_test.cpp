// RDA downsampling: hand-computed values for the deterministic paths, the
// guards, and the distribution of the random path (fraction thinned ~ p,
// b ~ Beta(2, 2): mean 1/2, variance 1/20; S | b ~ Binomial(R, b)).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "bmfm/config/error.h"
#include "bmfm/data/rda.h"
#include "bmfm/data/transforms.h"

using namespace bmfm::data;

namespace {

struct Run {
  std::vector<float> input, target;
  RdaOutcome out;
};

Run rda(const std::vector<float>& raw, const RdaParams& p, Rng& rng) {
  Run r;
  r.input.assign(raw.size(), -1);
  r.target.assign(raw.size(), -1);
  r.out = rda_transform(raw.data(), raw.size(), p, rng, r.input.data(), r.target.data());
  return r;
}

}  // namespace

TEST(Rda, EqualModeKeepsDepthAndNormalises) {
  // raw {1, 3, 0, 6}: R = 10; log1p(r/10*1e4) = log1p({1000, 3000, 0, 6000})
  //   = {6.90875477931522, 8.006700845440367, 0, 8.699681400989514}; S = T = R = 10
  RdaParams p;
  p.mode = RdaMode::Equal;
  Rng rng(1);
  auto r = rda({1, 3, 0, 6}, p, rng);
  EXPECT_FALSE(r.out.downsampled);
  EXPECT_DOUBLE_EQ(r.out.input_depth, 10);
  EXPECT_DOUBLE_EQ(r.out.target_depth, 10);
  EXPECT_FLOAT_EQ(r.target[0], 6.90875477931522f);
  EXPECT_FLOAT_EQ(r.target[1], 8.006700845440367f);
  EXPECT_EQ(r.target[2], 0.0f);
  EXPECT_FLOAT_EQ(r.target[3], 8.699681400989514f);
  EXPECT_EQ(r.input, r.target);
}

TEST(Rda, BelowThresholdDrawsNothing) {
  RdaParams p;  // downsample, threshold 1000
  Rng rng(5), untouched(5);
  auto r = rda({1, 3, 6}, p, rng);  // R = 10 < 1000
  EXPECT_FALSE(r.out.downsampled);
  EXPECT_EQ(r.input, r.target);
  EXPECT_EQ(rng.next_u64(), untouched.next_u64());  // no Bernoulli draw spent
}

TEST(Rda, AlignModeWritesTargetDepth) {
  // [S] = log1p(R) = log1p(10) = 2.3978952727983707, [T] = log1p(5000) = 8.517393171418904
  RdaParams p;
  p.mode = RdaMode::Align;
  p.align_depth = 5000;
  Rng rng(1);
  auto r = rda({1, 3, 6}, p, rng);
  EXPECT_DOUBLE_EQ(r.out.input_depth, 10);
  EXPECT_DOUBLE_EQ(r.out.target_depth, 5000);
  EXPECT_FLOAT_EQ(static_cast<float>(std::log1p(r.out.target_depth)), 8.517393171418904f);
  EXPECT_EQ(r.input, r.target);
  p.align_depth = 0;
  EXPECT_THROW(rda({1}, p, rng), std::invalid_argument);
}

TEST(Rda, ThinnedCountsAreBinomialOfRaw) {
  RdaParams p;
  p.threshold = 0;
  p.probability = 1;
  Rng rng(3);
  const std::vector<float> raw = {10, 0, 25, 3, 40, 7};
  auto r = rda(raw, p, rng);
  ASSERT_TRUE(r.out.downsampled);
  EXPECT_GT(r.out.b, 0);
  EXPECT_LT(r.out.b, 1);
  EXPECT_DOUBLE_EQ(r.out.raw_depth, 85);
  // Recover x_i = expm1(input_i) * S / 1e4: integers with 0 <= x_i <= r_i summing to S.
  double sum = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    const double x = std::expm1(static_cast<double>(r.input[i])) * r.out.input_depth / 1e4;
    EXPECT_NEAR(x, std::round(x), 1e-3 * std::max(1.0, x));
    EXPECT_LE(std::round(x), raw[i]);
    sum += std::round(x);
  }
  EXPECT_DOUBLE_EQ(sum, r.out.input_depth);
  EXPECT_FLOAT_EQ(r.target[0], static_cast<float>(std::log1p(10.0 / 85 * 1e4)));
}

TEST(Rda, ZeroSumGuards) {
  RdaParams p;
  p.threshold = 0;
  p.probability = 1;
  Rng rng(1);
  // R = 0: all zeros, [S] = [T] = log1p(0) = 0, nothing to thin.
  auto r = rda({0, 0}, p, rng);
  EXPECT_EQ(r.input, (std::vector<float>{0, 0}));
  EXPECT_EQ(r.target, (std::vector<float>{0, 0}));
  EXPECT_DOUBLE_EQ(r.out.input_depth, 0);
  EXPECT_FALSE(r.out.downsampled);
  // b ~ Beta(0.001, 1000) is ~0, so Binomial(1, b) = 0 and S = 0: falls back to no thinning.
  p.beta_a = 0.001;
  p.beta_b = 1000;
  r = rda({1}, p, rng);
  EXPECT_FALSE(r.out.downsampled);
  EXPECT_DOUBLE_EQ(r.out.input_depth, 1);
  EXPECT_EQ(r.input, r.target);
  EXPECT_FLOAT_EQ(r.input[0], static_cast<float>(std::log1p(1e4)));
}

TEST(Rda, NonIntegerCountsAreAnError) {
  RdaParams p;
  p.threshold = 0;
  p.probability = 1;
  Rng rng(1);
  try {
    rda({1, 2.5f}, p, rng);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("integer counts"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("2.5"), std::string::npos) << e.what();
  }
}

TEST(Rda, DistributionOverManyCells) {
  // 200 genes x 10 counts: R = 2000 >= 1000, so each cell is thinned with p = 0.5.
  const std::vector<float> raw(200, 10.0f);
  RdaParams p;
  const int n = 20000;
  int thinned = 0;
  double sb = 0, sbb = 0, sz = 0, szz = 0;
  std::vector<float> in(raw.size()), tg(raw.size());
  for (int c = 0; c < n; ++c) {
    Rng rng = cell_rng(99, 0, c);
    const auto o = rda_transform(raw.data(), raw.size(), p, rng, in.data(), tg.data());
    if (!o.downsampled) {
      EXPECT_DOUBLE_EQ(o.input_depth, 2000);
      continue;
    }
    ++thinned;
    sb += o.b;
    sbb += o.b * o.b;
    // S | b ~ Binomial(2000, b) (a sum of independent Binomial(10, b)): standardise.
    const double z = (o.input_depth - 2000 * o.b) / std::sqrt(2000 * o.b * (1 - o.b));
    sz += z;
    szz += z * z;
  }
  // fraction thinned ~ 0.5, se sqrt(0.25 / n)
  EXPECT_NEAR(static_cast<double>(thinned) / n, 0.5, 5 * std::sqrt(0.25 / n));
  const double m = thinned;
  const double mean_b = sb / m, var_b = sbb / m - mean_b * mean_b;
  // Beta(2, 2): mean 1/2, variance ab/((a+b)^2 (a+b+1)) = 4 / (16 * 5) = 1/20; se(mean) = sqrt(0.05 / m)
  EXPECT_NEAR(mean_b, 0.5, 5 * std::sqrt(0.05 / m));
  // var of the sample variance ~ (mu4 - sigma^4) / m with mu4 = 3/560 for Beta(2, 2)
  EXPECT_NEAR(var_b, 0.05, 5 * std::sqrt((3.0 / 560 - 0.0025) / m));
  // standardised binomial: mean 0, variance 1
  EXPECT_NEAR(sz / m, 0.0, 5 * std::sqrt(1.0 / m));
  EXPECT_NEAR(szz / m - (sz / m) * (sz / m), 1.0, 5 * std::sqrt(2.0 / m));
}

TEST(Rda, PipelineReportsDepthsOverKeptGenes) {
  VocabOptions vo;
  vo.depth_tokens = true;
  auto vocab = Vocab::from_genes({"A", "B", "C", "D"}, vo);  // [S]=5 [T]=6, genes 7..10
  TransformConfig cfg;
  cfg.normalize.enabled = false;
  cfg.max_length = 4;  // [S] [T] + 2 genes
  cfg.order.mode = "expression";
  cfg.rda.mode = "equal";
  TransformPipeline p(cfg, vocab);
  EXPECT_EQ(p.gene_budget(), 2u);
  TransformWorkspace ws;
  TransformOutput out;
  Rng rng(1);
  // raw {1, 6, 3, 2}: ordered 6 (8), 3 (9), 2 (10), 1 (7); kept 6, 3: R = 9 over the kept genes
  p.apply(CellRecord{0, {7, 8, 9, 10}, {1, 6, 3, 2}, {}}, rng, ws, out);
  EXPECT_EQ(out.genes, (std::vector<int32_t>{8, 9}));
  EXPECT_TRUE(out.has_depth);
  EXPECT_FLOAT_EQ(out.depth_s, static_cast<float>(std::log1p(9.0)));
  EXPECT_FLOAT_EQ(out.depth_t, static_cast<float>(std::log1p(9.0)));
  ASSERT_EQ(out.targets.size(), 2u);
  EXPECT_FLOAT_EQ(out.targets[0], static_cast<float>(std::log1p(6.0 / 9 * 1e4)));
  EXPECT_FLOAT_EQ(out.values[1], static_cast<float>(std::log1p(3.0 / 9 * 1e4)));

  cfg.rda.mode = "downsample";
  cfg.rda.threshold = 0;
  cfg.rda.probability = 1;
  TransformPipeline q(cfg, vocab);
  try {
    q.apply(CellRecord{12, {7}, {1.5f}, {}}, rng, ws, out);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("cell 12: RDA downsampling needs raw integer counts"), std::string::npos)
        << e.what();
  }
}

// Loss functions against hand-computed values. The expected numbers were
// computed with Python's math module (log-sum-exp and softplus written out),
// independently of torch and of this code.
#include "bmfm/train/losses.h"
#include "bmfm/train/objective.h"

#include <gtest/gtest.h>

#include <cmath>

namespace bmfm::train {
namespace {

at::Tensor t(std::vector<float> v) { return at::tensor(v); }

TEST(Losses, CrossEntropyMatchesHandValue) {
  at::Tensor logits = at::tensor({1.f, 2.f, 3.f, 1.f, 0.f, -1.f}).view({2, 3});
  at::Tensor target = at::tensor({2, 1}, at::kLong);
  // python: (lse([1,2,3]) - 3 + lse([1,0,-1]) - 0) / 2
  EXPECT_NEAR(cross_entropy(logits, target).item<double>(), 0.9076059644443805, 1e-6);
  // label smoothing 0.1: (1-e) nll + e/K sum(-log p)
  EXPECT_NEAR(cross_entropy(logits, target, 0.1).item<double>(), 0.9576059644443805, 1e-6);
}

TEST(Losses, FocalMatchesHandValue) {
  at::Tensor logits = at::tensor({1.f, 2.f, 3.f, 1.f, 0.f, -1.f}).view({2, 3});
  at::Tensor target = at::tensor({2, 1}, at::kLong);
  // python: mean of -(1 - p_t)^2 log p_t, log p_t = x_t - lse(x)
  EXPECT_NEAR(focal_loss(logits, target, 2.0).item<double>(), 0.4243128116660137, 1e-6);
  // gamma 0 is cross entropy.
  EXPECT_NEAR(focal_loss(logits, target, 0.0).item<double>(), 0.9076059644443805, 1e-6);
}

TEST(Losses, TokenValueIsSquaredErrorOfExpectedBin) {
  // row 0: uniform over 3 bins -> E = 1, target 2 -> 1
  // row 1: p = (1, 2, 5) / 8 -> E = (0 + 2 + 10) / 8 = 1.5, target 0 -> 2.25
  at::Tensor logits = at::tensor({0.f, 0.f, 0.f, 0.f, std::log(2.f), std::log(5.f)}).view({2, 3});
  at::Tensor target = at::tensor({2, 0}, at::kLong);
  EXPECT_NEAR(token_value_loss(logits, target).item<double>(), (1.0 + 2.25) / 2, 1e-6);
}

TEST(Losses, NonzeroMseSkipsZerosAndMaskedOut) {
  at::Tensor pred = t({1, 2, 3, 4});
  at::Tensor target = t({0, 1, 5, 4});
  at::Tensor mask = at::tensor({1, 1, 1, 0}, at::kInt).to(at::kBool);
  // kept: (2-1)^2 = 1 and (3-5)^2 = 4
  EXPECT_NEAR(nonzero_mse(pred, target, mask).item<double>(), 2.5, 1e-6);
}

TEST(Losses, IsZeroBceMatchesHandValue) {
  at::Tensor z = t({0, 2, -1});
  at::Tensor target = t({0, 3, 0});  // is-zero labels 1, 0, 1
  at::Tensor mask = at::ones({3}, at::kBool);
  // python: (softplus(0) - 0 + softplus(2) + softplus(-1) + 1) / 3
  EXPECT_NEAR(is_zero_bce(z, target, mask).item<double>(), 1.3777789597070471, 1e-6);
  // Extreme logits stay finite (stable formulation).
  at::Tensor big = t({80, -80});
  EXPECT_NEAR(is_zero_bce(big, t({1, 0}), at::ones({2}, at::kBool)).item<double>(), 80.0, 1e-3);
}

TEST(Losses, EmptySelectionsGiveZeroNotNaN) {
  at::Tensor logits = at::zeros({0, 5});
  EXPECT_EQ(cross_entropy(logits, at::zeros({0}, at::kLong)).item<double>(), 0.0);
  EXPECT_EQ(token_value_loss(logits, at::zeros({0}, at::kLong)).item<double>(), 0.0);
  at::Tensor none = at::zeros({3}, at::kBool);
  EXPECT_EQ(nonzero_mse(t({1, 2, 3}), t({1, 1, 1}), none).item<double>(), 0.0);
  EXPECT_EQ(is_zero_bce(t({1, 2, 3}), t({1, 1, 1}), none).item<double>(), 0.0);
}

TEST(Losses, MultilabelBceSkipsMissingRows) {
  // mean(softplus(z) - z y) over the 4 kept entries: 0.9018534658253119 (Python math).
  at::Tensor z = at::tensor({0.5f, -1.0f, 2.0f, 0.0f, 9.0f, 9.0f}).view({3, 2});
  at::Tensor y = at::tensor({1.0f, 0.0f, 0.0f, 1.0f, -100.0f, -100.0f}).view({3, 2});
  EXPECT_NEAR(multilabel_bce(z, y).item<double>(), 0.9018534658253119, 1e-6);
  EXPECT_EQ(multilabel_bce(z.narrow(0, 2, 1), y.narrow(0, 2, 1)).item<double>(), 0.0);
}

TEST(Losses, MaskedMseIgnoresMissingTargetsEvenNaN) {
  // ((1 - 1.5)^2 + (0.25 + 0.5)^2) / 2 = 0.40625
  const float nan = std::nanf("");
  at::Tensor mask = at::tensor({1, 0, 1}).to(at::kBool);
  EXPECT_NEAR(masked_mse(t({1.0f, 7.0f, 0.25f}), t({1.5f, nan, -0.5f}), mask).item<double>(), 0.40625, 1e-7);
}

// Label losses of the multitask objective: where each head finds its targets.
TEST(Objective, LabelHeadsFindTheirTargetsAndKinds) {
  const auto dict = data::LabelDictionary::from_json(
      R"({"format": "bmfm-label-dictionary", "version": 1, "columns": {
          "cell_type": {"kind": "classification", "classes": ["B", "T", "NK"]},
          "tags": {"kind": "multilabel", "classes": ["a", "b"], "separator": "|"},
          "donor": {"kind": "classification", "classes": ["d1", "d2"]},
          "age": {"kind": "regression", "classes": []}}})",
      "test");
  auto loss = [](std::string label, std::string kind, double grl = 0) {
    LossConfig l;
    l.field = "label";
    l.label = std::move(label);
    l.kind = std::move(kind);
    l.grl_alpha = grl;
    return l;
  };
  const auto donor = label_head_spec(dict, loss("donor", "ce", 0.5));
  EXPECT_EQ(donor.kind, "classification");
  EXPECT_EQ(donor.width, 2);
  EXPECT_EQ(donor.offset, 1);  // second classification column
  EXPECT_EQ(donor.grl_alpha, 0.5);
  const auto tags = label_head_spec(dict, loss("tags", "bce"));
  EXPECT_EQ(tags.offset, 0);
  EXPECT_EQ(tags.width, 2);
  EXPECT_EQ(label_head_spec(dict, loss("age", "mse")).offset, 0);
  EXPECT_THROW(label_head_spec(dict, loss("age", "ce")), std::invalid_argument);
  EXPECT_THROW(label_head_spec(dict, loss("tissue", "ce")), std::invalid_argument);

  // Two cells; outputs chosen so each term is a hand value.
  model::ModelShape shape;
  shape.labels = {donor, tags, label_head_spec(dict, loss("age", "mse"))};
  std::vector<LossConfig> losses = {loss("donor", "ce"), loss("tags", "bce"), loss("age", "mse")};
  losses[2].weight = 2.0;
  model::ModelOutputs out;
  out.labels = {at::tensor({0.0f, 0.0f, 1.0f, 1.0f}).view({2, 2}), at::zeros({2, 2}), at::tensor({3.0f, 0.0f})};
  model::BatchTensors b;
  b.B = 2;
  b.class_labels = at::tensor({0, 1, 2, -100}).view({2, 2}).to(at::kLong);  // donor: cell 0 -> d2, cell 1 missing
  b.multilabel = at::tensor({1.0f, 0.0f, 0.0f, 1.0f}).view({2, 2});
  b.regression = at::tensor({1.0f, 0.0f}).view({2, 1});
  b.regression_mask = at::tensor({1, 0}).to(at::kBool).view({2, 1});
  const LossTerms terms = compute_objective(losses, shape, out, b);
  ASSERT_EQ(terms.terms.size(), 3u);
  EXPECT_EQ(terms.terms[0].first, "label_donor_ce");
  EXPECT_NEAR(terms.terms[0].second.item<double>(), std::log(2.0), 1e-6);  // uniform over 2 classes
  EXPECT_NEAR(terms.terms[1].second.item<double>(), std::log(2.0), 1e-6);  // logit 0 everywhere
  EXPECT_NEAR(terms.terms[2].second.item<double>(), 4.0, 1e-6);            // (3 - 1)^2, cell 1 missing
  EXPECT_NEAR(terms.total.item<double>(), (2 * std::log(2.0) + 2 * 4.0) / 4.0, 1e-6);
}

}  // namespace
// NT-Xent against numpy (Debian python3-numpy 1.24): rows normalised, s = z z^T / T,
// diagonal -inf, positives i <-> i + N, mean of logsumexp(s_i) - s_i,pos over the 2N rows.
TEST(Losses, InfoNceMatchesNumpy) {
  const at::Tensor z1 = at::tensor({1.0, 0.0, 0.5, 0.2, 1.0, -0.3, -0.5, 0.4, 1.0}, at::kFloat).view({3, 3});
  const at::Tensor z2 = at::tensor({0.9, 0.1, 0.4, 0.0, 1.2, -0.1, -0.2, 0.1, 0.8}, at::kFloat).view({3, 3});
  EXPECT_NEAR(info_nce(at::cat({z1, z2}), 0.5).item<double>(), 0.511480099667, 1e-5);
  EXPECT_NEAR(info_nce(at::cat({z1, z2}), 1.0).item<double>(), 0.964065829738, 1e-5);
  // Wrong pairs (second view rotated) cost more.
  const at::Tensor rotated = z2.index_select(0, at::tensor({1, 2, 0}, at::kLong));
  EXPECT_NEAR(info_nce(at::cat({z1, rotated}), 0.5).item<double>(), 2.6163226966, 1e-5);
  // Same under bf16 inputs to within bf16 rounding; the loss is computed in fp32.
  EXPECT_NEAR(info_nce(at::cat({z1, z2}).to(at::kBFloat16), 0.5).item<double>(), 0.511480099667, 2e-2);
  EXPECT_THROW(info_nce(z1, 0.5), std::invalid_argument);  // 3 rows: not two views
}

// WCED mse with and without zeros, by hand. One cell, V = 4: targets
// [2, 0, 1, -100] with sets [input, non-input, input, none]; predictions
// [1, 0.5, 1, 9]. Non-zero only: ((1-2)^2 + (1-1)^2) / 2 = 0.5. With zeros:
// ((1-2)^2 + (0.5-0)^2 + 0) / 3 = 1.25 / 3. The "none" gene never counts.
TEST(Losses, WcedMseIncludeZeros) {
  model::ModelShape shape;
  shape.wced_width = 4;
  model::ModelOutputs out;
  out.wced_value = at::tensor({1.0f, 0.5f, 1.0f, 9.0f}).view({1, 4});
  out.wced_zero = at::zeros({1, 4});
  model::BatchTensors b;
  b.B = 1;
  b.wced_values = at::tensor({2.0f, 0.0f, 1.0f, -100.0f}).view({1, 4});
  b.wced_set = at::tensor({1, 2, 1, 0}).to(at::kByte).view({1, 4});
  LossConfig plain;
  plain.field = "wced";
  plain.kind = "mse";
  plain.set = "all";
  LossConfig zeros = plain;
  zeros.include_zeros = true;
  const LossTerms t = compute_objective({plain, zeros}, shape, out, b);
  EXPECT_NEAR(t.terms[0].second.item<double>(), 0.5, 1e-6);
  EXPECT_NEAR(t.terms[1].second.item<double>(), 1.25 / 3.0, 1e-6);
  EXPECT_EQ(t.terms[0].first, "wced_all_mse");
  EXPECT_EQ(t.terms[1].first, "wced_all_mse_with_zeros");
}

}  // namespace bmfm::train

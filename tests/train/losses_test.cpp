// Loss functions against hand-computed values. The expected numbers were
// computed with Python's math module (log-sum-exp and softplus written out),
// independently of torch and of this code.
#include "bmfm/train/losses.h"

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

}  // namespace
}  // namespace bmfm::train

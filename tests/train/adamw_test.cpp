// Our AdamW against libtorch's own torch::optim::AdamW (an independent
// implementation of the same update), with weight decay on the Linear weight
// only (a second parameter group without decay for the bias).
#include "bmfm/train/adamw.h"

#include <gtest/gtest.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/optim/adamw.h>

namespace bmfm::train {
namespace {

struct Net : torch::nn::Module {
  Net() {
    lin = register_module("lin", torch::nn::Linear(4, 3));
    norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({3})));
    emb = register_module("emb", torch::nn::Embedding(5, 4));
  }
  at::Tensor forward(const at::Tensor& ids) { return norm->forward(lin->forward(emb->forward(ids))); }
  torch::nn::Linear lin{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  torch::nn::Embedding emb{nullptr};
};

TEST(AdamW, DecaysOnlyLinearWeights) {
  Net net;
  AdamW opt(net, {});
  for (const auto& p : opt.params()) EXPECT_EQ(p.decay, p.name == "lin.weight") << p.name;
  EXPECT_TRUE(decays(net, "lin.weight"));
  EXPECT_FALSE(decays(net, "lin.bias"));
  EXPECT_FALSE(decays(net, "emb.weight"));
}

TEST(AdamW, MatchesTorchOptimAdamW) {
  at::manual_seed(3);
  Net a, b;
  {
    torch::NoGradGuard g;
    auto pa = a.parameters(), pb = b.parameters();
    for (size_t i = 0; i < pa.size(); ++i) pb[i].copy_(pa[i]);
  }
  AdamWOptions o{0.9, 0.99, 1e-8, 0.1};
  AdamW ours(a, o);
  std::vector<at::Tensor> decay{b.lin->weight}, rest{b.lin->bias, b.norm->weight, b.norm->bias, b.emb->weight};
  auto opts = torch::optim::AdamWOptions(1e-2).betas({0.9, 0.99}).eps(1e-8);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(opts.weight_decay(0.1)));
  groups.emplace_back(rest, std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(1e-2).betas({0.9, 0.99}).eps(1e-8).weight_decay(0.0)));
  torch::optim::AdamW theirs(groups, opts);
  at::Tensor ids = at::tensor({0, 3, 1, 4}, at::kLong);
  for (int step = 0; step < 5; ++step) {
    at::Tensor target = at::randn({4, 3});
    ours.zero_grad();
    (a.forward(ids) - target).pow(2).sum().backward();
    ours.step(1e-2);
    theirs.zero_grad();
    (b.forward(ids) - target).pow(2).sum().backward();
    theirs.step();
  }
  auto pa = a.named_parameters(), pb = b.named_parameters();
  for (const auto& p : pa) EXPECT_TRUE(at::allclose(p.value(), pb[p.key()], 1e-6, 1e-7)) << p.key();
  EXPECT_EQ(ours.steps(), 5);
}

TEST(AdamW, ClipGradNormScalesToMax) {
  Net net;
  AdamW opt(net, {});
  at::Tensor ids = at::tensor({0, 1}, at::kLong);
  (net.forward(ids).sum() * 100).backward();
  double sq = 0;
  for (const auto& p : net.parameters()) sq += p.grad().pow(2).sum().item<double>();
  const double before = opt.clip_grad_norm(0.5);
  EXPECT_NEAR(before, std::sqrt(sq), 1e-3 * std::sqrt(sq));
  double after = 0;
  for (const auto& p : net.parameters()) after += p.grad().pow(2).sum().item<double>();
  EXPECT_NEAR(std::sqrt(after), 0.5, 1e-4);
}

}  // namespace
}  // namespace bmfm::train

// Model pieces: attention against a hand-written softmax(QK^T/sqrt d)V,
// padding invariance, head shapes, and gradient checks (autograd against
// central finite differences in double) for the custom pieces.
#include <gtest/gtest.h>

#include "bmfm/model/pooling.h"

#include <cmath>
#include <functional>
#include <limits>

#include <torch/autograd.h>

#include "bmfm/data/batch.h"
#include "bmfm/model/classifier.h"
#include "bmfm/model/compat.h"
#include "bmfm/model/expression_encoder.h"
#include "bmfm/model/heads.h"
#include "bmfm/model/pretrain_model.h"

namespace bmfm::model {
namespace {

// Autograd gradients of f() w.r.t. `inputs` against (f(x+h) - f(x-h)) / 2h,
// for up to `max_elems` entries per input (all in double).
void expect_gradients_match(const std::function<at::Tensor()>& f, std::vector<at::Tensor> inputs,
                            int64_t max_elems = 12) {
  for (auto& x : inputs)
    if (x.grad().defined()) x.mutable_grad() = at::Tensor();
  f().backward();
  for (auto& x : inputs) {
    ASSERT_TRUE(x.grad().defined());
    at::Tensor g = x.grad().clone().flatten();
    at::Tensor flat = x.detach().view(-1);  // shares storage with x
    const int64_t n = std::min<int64_t>(flat.numel(), max_elems);
    for (int64_t i = 0; i < n; ++i) {
      const double h = 1e-6, x0 = flat[i].item<double>();
      double up, down;
      {
        torch::NoGradGuard ng;
        flat[i].fill_(x0 + h);
        up = f().item<double>();
        flat[i].fill_(x0 - h);
        down = f().item<double>();
        flat[i].fill_(x0);
      }
      const double numeric = (up - down) / (2 * h), analytic = g[i].item<double>();
      EXPECT_NEAR(analytic, numeric, 1e-6 + 1e-5 * std::abs(numeric)) << "element " << i;
    }
  }
}

TEST(Attention, ExplicitMatchesHandComputation) {
  at::manual_seed(0);
  at::Tensor q = at::randn({1, 1, 3, 2}, at::kDouble), k = at::randn({1, 1, 3, 2}, at::kDouble),
             v = at::randn({1, 1, 3, 2}, at::kDouble);
  // Last key is padding.
  at::Tensor mask = at::tensor({0.0, 0.0, -std::numeric_limits<double>::infinity()}, at::kDouble).view({1, 1, 1, 3});
  at::Tensor out = compat::attention_explicit(q, k, v, mask, 0.0);
  auto Q = q.accessor<double, 4>(), K = k.accessor<double, 4>(), Vv = v.accessor<double, 4>();
  for (int i = 0; i < 3; ++i) {
    double s[2], z = 0;
    for (int j = 0; j < 2; ++j) {
      s[j] = std::exp((Q[0][0][i][0] * K[0][0][j][0] + Q[0][0][i][1] * K[0][0][j][1]) / std::sqrt(2.0));
      z += s[j];
    }
    for (int d = 0; d < 2; ++d) {
      const double want = (s[0] * Vv[0][0][0][d] + s[1] * Vv[0][0][1][d]) / z;
      EXPECT_NEAR(out[0][0][i][d].item<double>(), want, 1e-12);
    }
  }
  // The dispatching entry point gives the same numbers.
  EXPECT_TRUE(at::allclose(compat::attention(q, k, v, mask, 0.0, true), out, 1e-10, 1e-12));
}

TEST(Attention, SdpaMatchesExplicitWithPaddingInFp32AndBf16) {
  // A batch of two rows, the second with its last 3 keys padded: SDPA (the
  // default kernel) and the explicit reference agree in fp32 to 1e-5, and
  // under bf16 autocast to bf16's resolution.
  at::manual_seed(1);
  at::Tensor q = at::randn({2, 4, 7, 16}), k = at::randn({2, 4, 7, 16}), v = at::randn({2, 4, 7, 16});
  at::Tensor mask = at::zeros({2, 1, 1, 7});
  mask.index_put_({1, 0, 0, at::indexing::Slice(4, 7)}, -std::numeric_limits<float>::infinity());
  const at::Tensor ref = compat::attention_explicit(q, k, v, mask, 0.0);
  EXPECT_TRUE(at::allclose(compat::attention(q, k, v, mask, 0.0, true), ref, 1e-5, 1e-5));
  // Padded keys get no weight: changing their values changes nothing.
  at::Tensor v2 = v.clone();
  v2.index_put_({1, at::indexing::Slice(), at::indexing::Slice(4, 7)}, 100.0);
  EXPECT_TRUE(at::allclose(compat::attention(q, k, v2, mask, 0.0, true), ref, 1e-5, 1e-5));
  {
    compat::AutocastGuard ac(at::kCPU, true);
    const at::Tensor b = compat::attention(q.to(at::kBFloat16), k.to(at::kBFloat16), v.to(at::kBFloat16), mask, 0.0, true);
    EXPECT_EQ(b.scalar_type(), at::kBFloat16);
    EXPECT_LT((b.to(at::kFloat) - ref).abs().max().item<float>(), 0.05f);
  }
}

TEST(ExpressionEncoder, PeriodicGradientsMatchFiniteDifferences) {
  ExpressionEncoderConfig cfg;
  cfg.kind = "periodic";
  cfg.n_basis = 4;
  ExpressionEncoder enc(cfg, 3, 0);
  enc->to(at::kDouble);
  at::Tensor values = at::tensor({0.5, 1.7, 3.2}, at::kDouble).requires_grad_(true);
  at::Tensor w = at::randn({3, 3}, at::kDouble);
  auto f = [&] { return (enc->encode_values(values) * w).sum(); };
  std::vector<at::Tensor> inputs{values};
  for (auto& p : enc->named_parameters())
    if (p.key().rfind("special", 0) != 0) inputs.push_back(p.value());  // special rows are not used by encode_values
  expect_gradients_match(f, inputs);
}

TEST(ExpressionEncoder, SpecialsAndZerosUseLearnedRows) {
  ExpressionEncoderConfig cfg;
  ExpressionEncoder enc(cfg, 4, 0);
  at::Tensor values = at::tensor({0.f, 0.f, 2.f, 0.f}).view({1, 4});
  at::Tensor special = at::tensor({data::field_token::kCls, 0, 0, data::field_token::kMask}, at::kLong).view({1, 4});
  at::Tensor out = enc->forward({}, values, special);
  const at::Tensor& rows = enc->named_parameters()["special.weight"];
  EXPECT_TRUE(at::equal(out[0][0], rows[data::field_token::kCls]));
  EXPECT_TRUE(at::equal(out[0][1], rows[ExpressionEncoderImpl::kZeroCode]));  // exact zero -> zero row
  EXPECT_TRUE(at::allclose(out[0][2], enc->encode_values(at::tensor({2.f}))[0]));
  EXPECT_TRUE(at::equal(out[0][3], rows[data::field_token::kMask]));
}

TEST(Heads, TokenValueLossGradientMatchesFiniteDifferences) {
  at::Tensor logits = at::randn({3, 5}, at::kDouble).requires_grad_(true);
  at::Tensor target = at::tensor({0, 4, 2}, at::kLong);
  // train::token_value_loss's formula (checked against hand values in
  // tests/train/losses_test.cpp), written in double for the gradient check.
  auto f = [&] {
    at::Tensor p = at::softmax(logits, -1);
    return ((p * at::arange(5, p.options())).sum(-1) - target.to(at::kDouble)).pow(2).mean();
  };
  expect_gradients_match(f, {logits}, 15);
}

TEST(Heads, WcedHeadAndLossGradientsMatchFiniteDifferences) {
  PredictionHead head(4, 2 * 3, 1e-12);
  head->to(at::kDouble);
  at::Tensor cls = at::randn({2, 4}, at::kDouble).requires_grad_(true);
  at::Tensor values = at::tensor({0.0, 1.5, 2.0, 0.0, 0.7, -100.0}, at::kDouble).view({2, 3});
  at::Tensor in_set = at::tensor({1, 1, 1, 1, 1, 0}, at::kInt).to(at::kBool).view({2, 3});
  auto f = [&] {
    at::Tensor w = head->forward(cls).view({2, 2, 3});
    // MSE / BCE written in double here (the library casts to fp32).
    at::Tensor pred = w.select(1, 0), z = w.select(1, 1);
    at::Tensor keep = in_set.logical_and(values.ne(0)).to(at::kDouble);
    at::Tensor mse = ((pred - values).pow(2) * keep).sum() / keep.sum();
    at::Tensor y = values.eq(0).to(at::kDouble), m = in_set.to(at::kDouble);
    at::Tensor bce = ((at::clamp_min(z, 0) - z * y + at::log1p(at::exp(-z.abs()))) * m).sum() / m.sum();
    return mse + bce;
  };
  std::vector<at::Tensor> inputs{cls};
  for (auto& p : head->named_parameters()) inputs.push_back(p.value());
  expect_gradients_match(f, inputs);
}

// A batch of 2 cells, 4 genes each, continuous expressions, as the collator lays it out.
data::Batch toy_batch(int64_t L) {
  data::Batch b;
  b.B = 2;
  b.L = L;
  b.has_expr_values = true;
  b.gene_ids.assign(2 * L, 2);  // [PAD]
  b.pad_mask.assign(2 * L, 0);
  b.gene_mask.assign(2 * L, 0);
  b.expr_values.assign(2 * L, 0);
  b.expr_special.assign(2 * L, data::field_token::kPad);
  for (int c = 0; c < 2; ++c) {
    const int32_t ids[6] = {3, 5 + c, 7, 8, 9, 1};  // CLS g g g g SEP
    for (int i = 0; i < 6; ++i) {
      b.gene_ids[c * L + i] = ids[i];
      b.pad_mask[c * L + i] = 1;
      b.gene_mask[c * L + i] = (i >= 1 && i <= 4) ? 1 : 0;
      b.expr_special[c * L + i] = i == 0 ? data::field_token::kCls : i == 5 ? data::field_token::kSep : 0;
      b.expr_values[c * L + i] = (i >= 1 && i <= 4) ? 0.5f * static_cast<float>(i + c) : 0.f;
    }
  }
  return b;
}

// A one-layer, 16-wide model over a 12-token vocabulary with continuous expressions.
ModelConfig tiny_config() {
  ModelConfig cfg;
  cfg.hidden_size = 16;
  cfg.num_layers = 1;
  cfg.num_heads = 2;
  cfg.intermediate_size = 32;
  return cfg;
}
ModelShape tiny_shape() {
  ModelShape shape;
  shape.vocab_size = 12;
  shape.max_length = 16;
  shape.expressions = "continuous";
  return shape;
}

TEST(PretrainModel, PaddingDoesNotChangeRealPositions) {
  ModelConfig cfg = tiny_config();
  cfg.num_layers = 2;
  ModelShape shape = tiny_shape();
  shape.wced_width = 7;
  at::manual_seed(1);
  PretrainModel m(cfg, shape);
  m->eval();
  torch::NoGradGuard ng;
  const auto a = m->forward(to_tensors(toy_batch(6), at::kCPU));
  const auto b = m->forward(to_tensors(toy_batch(11), at::kCPU));
  EXPECT_EQ(a.hidden.sizes(), (std::vector<int64_t>{2, 6, 16}));
  EXPECT_TRUE(at::allclose(a.hidden, b.hidden.narrow(1, 0, 6), 1e-5, 1e-6));
  EXPECT_EQ(a.wced_value.sizes(), (std::vector<int64_t>{2, 7}));
  EXPECT_TRUE(at::allclose(a.wced_zero, b.wced_zero, 1e-5, 1e-6));
}

}  // namespace
}  // namespace bmfm::model

namespace bmfm::model {
namespace {

TEST(PretrainModel, Bf16AutocastForwardBackward) {
  ModelConfig cfg = tiny_config();
  ModelShape shape = tiny_shape();
  shape.wced_width = 7;
  PretrainModel m(cfg, shape);
  const BatchTensors bt = to_tensors(toy_batch(8), at::kCPU);
  at::Tensor loss;
  {
    compat::AutocastGuard ac(at::kCPU, true);
    const auto out = m->forward(bt);
    loss = out.wced_value.to(at::kFloat).pow(2).mean() + out.wced_zero.to(at::kFloat).mean();
  }
  loss.backward();
  for (const auto& p : m->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_EQ(p.value().grad().scalar_type(), at::kFloat) << p.key();
  }
}

}  // namespace
}  // namespace bmfm::model

namespace bmfm::model {
namespace {

TEST(GradientReversal, IdentityForwardNegatedScaledBackward) {
  at::Tensor x = at::tensor({1.0, -2.0, 3.0}, at::kDouble).requires_grad_(true);
  at::Tensor y = gradient_reversal(x, 0.5);
  EXPECT_TRUE(at::equal(y, x.detach()));
  (y * at::tensor({1.0, 2.0, 3.0}, at::kDouble)).sum().backward();
  EXPECT_TRUE(at::allclose(x.grad(), at::tensor({-0.5, -1.0, -1.5}, at::kDouble)));
}

TEST(Classifier, HeadsAndPoolings) {
  ModelConfig cfg = tiny_config();
  ModelShape shape = tiny_shape();
  for (const char* pooling : {"cls", "mean", "pooler"}) {
    const std::vector<LabelHeadSpec> heads{{"cell_type", "classification", 5, 0, 0.0},
                                           {"donor", "classification", 3, 1, 1.0},
                                           {"age", "regression", 1, 0, 0.0},
                                           {"tags", "multilabel", 4, 0, 0.0}};
    ClassifierModel m(cfg, shape, int64_t{0}, std::string(pooling), int64_t{2}, heads);
    m->eval();
    torch::NoGradGuard ng;
    const auto out = m->forward(to_tensors(toy_batch(6), at::kCPU));
    ASSERT_EQ(out.size(), 4u);
    EXPECT_EQ(out[0].sizes(), (std::vector<int64_t>{2, 5}));
    EXPECT_EQ(out[1].sizes(), (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(out[2].sizes(), (std::vector<int64_t>{2}));  // regression: one value per cell
    EXPECT_EQ(out[3].sizes(), (std::vector<int64_t>{2, 4}));
    // Heads are registered by column name (fine-tuning reuses pretrained heads by name).
    const auto params = m->named_parameters();
    EXPECT_NE(params.find("label_heads.heads.donor.3.weight"), nullptr);
    EXPECT_EQ(params.find("label_heads.pooler.weight") != nullptr, std::string(pooling) == "pooler");
    // Padding does not change a pooled representation.
    const auto padded = m->forward(to_tensors(toy_batch(11), at::kCPU));
    EXPECT_TRUE(at::allclose(out[0], padded[0], 1e-5, 1e-6)) << pooling;
  }
}

}  // namespace
}  // namespace bmfm::model

namespace bmfm::model {
namespace {

TEST(PretrainModel, MultitaskLabelHeadsOnThePooledCell) {
  ModelConfig cfg = tiny_config();
  ModelShape shape = tiny_shape();
  shape.labels = {{"cell.type", "classification", 4, 0, 0.0}, {"donor", "classification", 2, 1, 1.0}};
  PretrainModel m(cfg, shape);
  const auto params = m->named_parameters();
  EXPECT_NE(params.find("label_heads.heads.cell_type.0.weight"), nullptr);  // '.' in a column name becomes '_'
  const auto out = m->forward(to_tensors(toy_batch(6), at::kCPU));
  ASSERT_EQ(out.labels.size(), 2u);
  EXPECT_EQ(out.labels[0].sizes(), (std::vector<int64_t>{2, 4}));
  // Gradient reversal in front of a head: the same weights give the encoder
  // exactly the negated (alpha = 1) gradient of that head's output.
  auto encoder_grad = [&](double alpha) {
    ModelShape s = tiny_shape();
    s.labels = {{"donor", "classification", 2, 0, alpha}};
    at::manual_seed(3);
    PretrainModel net(cfg, s);
    net->eval();
    net->forward(to_tensors(toy_batch(6), at::kCPU)).labels[0].select(1, 0).sum().backward();
    return net->named_parameters()["bert.layers.0.ff_out.weight"].grad().clone();
  };
  const at::Tensor plain = encoder_grad(0.0), reversed = encoder_grad(1.0);
  EXPECT_GT(plain.abs().sum().item<double>(), 0);
  EXPECT_TRUE(at::allclose(reversed, -plain, 1e-5, 1e-7));
  shape.labels = {{"a", "classification", 2, 0, 0.0}, {"a", "classification", 2, 1, 0.0}};
  EXPECT_THROW(PretrainModel(cfg, shape), std::invalid_argument);
  shape.labels = {{"a", "classification", 1, 0, 0.0}};
  EXPECT_THROW(PretrainModel(cfg, shape), std::invalid_argument);
}

TEST(PretrainModel, AbsolutePositionsChangeTheOutputAndBoundTheLength) {
  ModelConfig cfg = tiny_config();
  ModelShape shape = tiny_shape();
  shape.max_length = 8;
  at::manual_seed(2);
  PretrainModel none(cfg, shape);
  cfg.position_embedding = "absolute";
  at::manual_seed(2);
  PretrainModel absolute(cfg, shape);
  none->eval();
  absolute->eval();
  torch::NoGradGuard ng;
  const BatchTensors bt = to_tensors(toy_batch(8), at::kCPU);
  // Without positions, attention is permutation-equivariant: swapping two genes swaps their outputs.
  data::Batch swapped = toy_batch(8);
  for (int c = 0; c < 2; ++c) {
    std::swap(swapped.gene_ids[c * 8 + 1], swapped.gene_ids[c * 8 + 2]);
    std::swap(swapped.expr_values[c * 8 + 1], swapped.expr_values[c * 8 + 2]);
  }
  const BatchTensors bs = to_tensors(swapped, at::kCPU);
  const at::Tensor h = none->forward(bt).hidden, hs = none->forward(bs).hidden;
  EXPECT_TRUE(at::allclose(h.select(1, 1), hs.select(1, 2), 1e-5, 1e-6));
  EXPECT_TRUE(at::allclose(h.select(1, 0), hs.select(1, 0), 1e-5, 1e-6));  // CLS sees the same set
  // With absolute positions the CLS state depends on the order.
  EXPECT_FALSE(at::allclose(absolute->forward(bt).hidden.select(1, 0), absolute->forward(bs).hidden.select(1, 0), 1e-5,
                            1e-6));
  // A sequence longer than the position table is an error, not an out-of-bounds read.
  EXPECT_THROW(absolute->forward(to_tensors(toy_batch(9), at::kCPU)), std::invalid_argument);
}

}  // namespace
}  // namespace bmfm::model

namespace bmfm::model {
namespace {

TEST(Pooling, MeanIsOverTheGenePositionsOnly) {
  // hidden[b, l, :] = 10 b + l: the mean over positions 1..4 is 10 b + 2.5;
  // [CLS] (0), [SEP] (5) and padding are left out.
  const BatchTensors bt = to_tensors(toy_batch(8), at::kCPU);
  at::Tensor h = (at::arange(8, at::kFloat).view({1, 8, 1}) + 10 * at::arange(2, at::kFloat).view({2, 1, 1}))
                     .expand({2, 8, 3}).contiguous();
  const at::Tensor mean = pool_cells(h, bt, "mean");
  EXPECT_TRUE(at::allclose(mean, at::tensor({2.5f, 12.5f}).view({2, 1}).expand({2, 3})));
  EXPECT_TRUE(at::equal(pool_cells(h, bt, "cls"), h.select(1, 0)));
  EXPECT_THROW(pool_cells(h, bt, "max"), std::invalid_argument);
}

TEST(PretrainModel, PreNormIsIdentityPlusSublayersAndIgnoresPadding) {
  ModelConfig cfg = tiny_config();
  cfg.norm = "pre";
  cfg.cell_pooling = "mean";
  cfg.dropout = cfg.attention_dropout = 0;
  ModelShape shape = tiny_shape();
  shape.wced_width = 7;
  at::manual_seed(3);
  PretrainModel m(cfg, shape);
  m->eval();
  torch::NoGradGuard ng;
  EXPECT_NE(m->named_parameters().find("bert.final_norm.weight"), nullptr);
  const auto a = m->forward(to_tensors(toy_batch(6), at::kCPU));
  const auto b = m->forward(to_tensors(toy_batch(11), at::kCPU));
  EXPECT_TRUE(at::allclose(a.hidden, b.hidden.narrow(1, 0, 6), 1e-5, 1e-6));
  EXPECT_TRUE(at::allclose(a.wced_value, b.wced_value, 1e-5, 1e-6));
  // With every sublayer's output projection at zero, a pre-norm block passes
  // its input through unchanged: the encoder is the final LayerNorm of the embeddings.
  for (auto& p : m->named_parameters())
    if (p.key().find("attn_out") != std::string::npos || p.key().find("ff_out") != std::string::npos) p.value().zero_();
  const BatchTensors bt = to_tensors(toy_batch(6), at::kCPU);
  const at::Tensor emb = m->bert()->embeddings()->forward(bt);
  const at::Tensor expected = at::layer_norm(emb, {16}, {}, {}, cfg.layer_norm_eps);
  EXPECT_TRUE(at::allclose(m->forward(bt).hidden, expected, 1e-5, 1e-5));
}

TEST(PretrainModel, WcedBiasStartsAtTheGivenValues) {
  ModelConfig cfg = tiny_config();
  ModelShape shape = tiny_shape();
  shape.wced_width = 3;
  PretrainModel m(cfg, shape);
  m->init_wced_bias({1.f, 2.f, 3.f}, {-1.f, 0.f, 1.f});
  const at::Tensor bias = m->named_parameters()["wced_head.decoder.bias"];
  EXPECT_TRUE(at::equal(bias, at::tensor({1.f, 2.f, 3.f, -1.f, 0.f, 1.f})));
  EXPECT_THROW(m->init_wced_bias({1.f}, {1.f}), std::invalid_argument);
}

}  // namespace
}  // namespace bmfm::model

// bmfm's BERT blocks against Hugging Face transformers' BertModel with the same
// weights: an independent implementation of the same architecture. The
// fixture (weights, the encoder's input, the expected last hidden state) was
// written once by tests/tools/make_bert_parity.py (its header says how).
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/autograd.h>

#include "bmfm/model/bert.h"

namespace bmfm::model {
namespace {

at::Tensor tensor(const nlohmann::json& j) {
  const auto values = j.at("values").get<std::vector<float>>();
  const auto shape = j.at("shape").get<std::vector<int64_t>>();
  return at::tensor(values, at::kFloat).view(shape).clone();
}

class BertParity : public ::testing::TestWithParam<bool> {};

TEST_P(BertParity, LastHiddenStateMatchesTransformersBertModel) {
  std::ifstream in(std::string(BMFM_SOURCE_DIR) + "/tests/model/bert_parity.json");
  ASSERT_TRUE(in) << "tests/model/bert_parity.json missing";
  const nlohmann::json f = nlohmann::json::parse(in);
  ModelConfig cfg;
  cfg.hidden_size = f.at("hidden_size");
  cfg.num_heads = f.at("num_heads");
  cfg.intermediate_size = f.at("intermediate_size");
  cfg.layer_norm_eps = f.at("layer_norm_eps");
  cfg.norm = "post";  // BERT's
  cfg.dropout = 0;
  cfg.attention_dropout = 0;
  const bool sdpa = GetParam();

  torch::NoGradGuard no_grad;
  std::vector<EncoderLayer> layers;
  for (const auto& w : f.at("layers")) {
    EncoderLayer layer(cfg, sdpa);
    layer->eval();
    auto params = layer->named_parameters();
    // One fused projection: rows [q | k | v], each split into heads of d contiguous features, as HF's views.
    params["qkv.weight"].copy_(at::cat({tensor(w["query.weight"]), tensor(w["key.weight"]), tensor(w["value.weight"])}));
    params["qkv.bias"].copy_(at::cat({tensor(w["query.bias"]), tensor(w["key.bias"]), tensor(w["value.bias"])}));
    params["attn_out.weight"].copy_(tensor(w["attention.output.dense.weight"]));
    params["attn_out.bias"].copy_(tensor(w["attention.output.dense.bias"]));
    params["attn_norm.weight"].copy_(tensor(w["attention.output.LayerNorm.weight"]));
    params["attn_norm.bias"].copy_(tensor(w["attention.output.LayerNorm.bias"]));
    params["ff_in.weight"].copy_(tensor(w["intermediate.dense.weight"]));
    params["ff_in.bias"].copy_(tensor(w["intermediate.dense.bias"]));
    params["ff_out.weight"].copy_(tensor(w["output.dense.weight"]));
    params["ff_out.bias"].copy_(tensor(w["output.dense.bias"]));
    params["ff_norm.weight"].copy_(tensor(w["output.LayerNorm.weight"]));
    params["ff_norm.bias"].copy_(tensor(w["output.LayerNorm.bias"]));
    layers.push_back(layer);
  }
  const at::Tensor keep = tensor(f.at("attention_mask"));  // (B, L) 1 = token, 0 = padding
  const at::Tensor mask = at::zeros_like(keep)
                              .masked_fill(keep.eq(0), -std::numeric_limits<float>::infinity())
                              .view({keep.size(0), 1, 1, keep.size(1)});
  at::Tensor h = tensor(f.at("encoder_input"));
  for (auto& layer : layers) h = layer->forward(h, mask);
  const at::Tensor want = tensor(f.at("last_hidden_state"));
  const double err = (h - want).abs().max().item<double>();
  EXPECT_LT(err, 1e-5) << "max |bmfm - transformers| = " << err << " (sdpa " << sdpa << ")";
}

INSTANTIATE_TEST_SUITE_P(Kernels, BertParity, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? std::string("Sdpa") : std::string("Explicit"); });

}  // namespace
}  // namespace bmfm::model

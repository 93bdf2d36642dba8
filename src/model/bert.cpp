#include "bmfm/model/bert.h"

#include <stdexcept>

#include <torch/autograd.h>

#include "bmfm/model/compat.h"

namespace bmfm::model {

EncoderLayerImpl::EncoderLayerImpl(const ModelConfig& cfg, bool use_sdpa)
    : heads_(cfg.num_heads), dropout_(cfg.dropout), attn_dropout_(cfg.attention_dropout), use_sdpa_(use_sdpa),
      pre_norm_(cfg.norm == "pre") {
  const int64_t H = cfg.hidden_size;
  auto ln = [&] { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({H}).eps(cfg.layer_norm_eps)); };
  qkv_ = register_module("qkv", torch::nn::Linear(H, 3 * H));
  attn_out_ = register_module("attn_out", torch::nn::Linear(H, H));
  attn_norm_ = register_module("attn_norm", ln());
  ff_in_ = register_module("ff_in", torch::nn::Linear(H, cfg.intermediate_size));
  ff_out_ = register_module("ff_out", torch::nn::Linear(cfg.intermediate_size, H));
  ff_norm_ = register_module("ff_norm", ln());
}

at::Tensor EncoderLayerImpl::forward(const at::Tensor& x, const at::Tensor& mask) {
  const int64_t B = x.size(0), L = x.size(1), H = x.size(2), d = H / heads_;
  auto attention = [&](const at::Tensor& in) {
    // One GEMM for q, k and v; (B, L, 3, h, d) -> three (B, h, L, d) views.
    at::Tensor qkv = qkv_->forward(in).view({B, L, 3, heads_, d}).permute({2, 0, 3, 1, 4});
    at::Tensor a = compat::attention(qkv[0], qkv[1], qkv[2], mask, is_training() ? attn_dropout_ : 0.0, use_sdpa_);
    return compat::dropout(attn_out_->forward(a.transpose(1, 2).reshape({B, L, H})), dropout_, is_training());
  };
  auto feed_forward = [&](const at::Tensor& in) {
    return compat::dropout(ff_out_->forward(at::gelu(ff_in_->forward(in))), dropout_, is_training());
  };
  if (pre_norm_) {
    // Under bf16 autocast the residual stream is fp32 and the sublayer outputs
    // bf16: the sum promotes to fp32, so the identity path never rounds.
    at::Tensor h = x + attention(attn_norm_->forward(x));
    return h + feed_forward(ff_norm_->forward(h));
  }
  at::Tensor h = attn_norm_->forward(x + attention(x));
  return ff_norm_->forward(h + feed_forward(h));
}

BertImpl::BertImpl(const ModelConfig& cfg, const ModelShape& shape, int64_t gene_dim) : hidden_(cfg.hidden_size) {
  const bool sdpa = cfg.attention != "explicit";  // auto = sdpa
  embeddings_ = register_module("embeddings", FieldEmbeddings(cfg, shape, gene_dim));
  layers_ = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < cfg.num_layers; ++i) layers_->push_back(EncoderLayer(cfg, sdpa));
  if (cfg.norm == "pre")
    final_norm_ = register_module(
        "final_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({cfg.hidden_size}).eps(cfg.layer_norm_eps)));
}

at::Tensor BertImpl::forward(const BatchTensors& batch) {
  at::Tensor x = embeddings_->forward(batch);
  for (const auto& layer : *layers_) x = layer->as<EncoderLayerImpl>()->forward(x, batch.attn_mask);
  return final_norm_ ? final_norm_->forward(x) : x;
}

void init_weights(torch::nn::Module& module, double std) {
  torch::NoGradGuard no_grad;
  for (auto& m : module.modules(/*include_self=*/false)) {
    if (auto* lin = m->as<torch::nn::LinearImpl>()) {
      lin->weight.normal_(0, std);
      if (lin->bias.defined()) lin->bias.zero_();
    } else if (auto* emb = m->as<torch::nn::EmbeddingImpl>()) {
      emb->weight.normal_(0, std);
    } else if (auto* ln = m->as<torch::nn::LayerNormImpl>()) {
      ln->weight.fill_(1);
      ln->bias.zero_();
    }
  }
}

}  // namespace bmfm::model

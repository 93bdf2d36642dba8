// BERT encoder: post-norm blocks (x = LN(x + Attn(x)); x = LN(x + FFN(x))),
// or pre-norm ones (x = x + Attn(LN(x)); x = x + FFN(LN(x)); a final LN),
// GELU feed-forward, fused QKV projection, padding mask. Written out here
// because the C++ TransformerEncoderLayer has neither batch_first nor a
// choice of attention kernel.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "bmfm/model/batch_tensors.h"
#include "bmfm/model/embeddings.h"
#include "bmfm/model/model_config.h"

namespace bmfm::model {

class EncoderLayerImpl : public torch::nn::Module {
 public:
  EncoderLayerImpl(const ModelConfig& cfg, bool use_sdpa);
  // x (B, L, H), mask (B, 1, 1, L) additive -> (B, L, H)
  at::Tensor forward(const at::Tensor& x, const at::Tensor& mask);

 private:
  int64_t heads_;
  double dropout_, attn_dropout_;
  bool use_sdpa_;
  bool pre_norm_;
  torch::nn::Linear qkv_{nullptr}, attn_out_{nullptr}, ff_in_{nullptr}, ff_out_{nullptr};
  torch::nn::LayerNorm attn_norm_{nullptr}, ff_norm_{nullptr};
};
TORCH_MODULE(EncoderLayer);

// Embeddings + encoder layers: BatchTensors -> hidden states (B, L, H).
class BertImpl : public torch::nn::Module {
 public:
  BertImpl(const ModelConfig& cfg, const ModelShape& shape, int64_t gene_dim);
  at::Tensor forward(const BatchTensors& batch);
  FieldEmbeddings& embeddings() { return embeddings_; }
  int64_t hidden_size() const { return hidden_; }

 private:
  int64_t hidden_;
  FieldEmbeddings embeddings_{nullptr};
  torch::nn::ModuleList layers_{nullptr};
  torch::nn::LayerNorm final_norm_{nullptr};  // pre-norm only
};
TORCH_MODULE(Bert);

// BERT's init: Linear / Embedding weights ~ N(0, std), biases 0, LayerNorm 1 / 0.
void init_weights(torch::nn::Module& module, double std);

}  // namespace bmfm::model

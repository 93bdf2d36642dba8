// The pretraining model: BERT encoder plus the heads the objectives need
// (ModelShape says which). Heads run only where they are needed: masked-token
// heads on the masked positions (gathered), the WCED decoder on the pooled cell
// (ModelConfig::cell_pooling), the
// multitask label heads (label_heads.h) on the pooled cell.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>

#include "bmfm/model/batch_tensors.h"
#include "bmfm/model/bert.h"
#include "bmfm/model/heads.h"
#include "bmfm/model/label_heads.h"
#include "bmfm/model/model_config.h"

namespace bmfm::model {

struct ModelOutputs {
  at::Tensor hidden;       // (B, L, H) last encoder layer
  at::Tensor gene_logits;  // (Ng, vocab) at BatchTensors::gene_pos
  at::Tensor expr_out;     // (Ne, bins) or (Ne, 2) [value, is-zero logit] at BatchTensors::expr_pos
  at::Tensor wced_value;   // (B, V) predicted value per vocabulary gene
  at::Tensor wced_zero;    // (B, V) is-zero logit per vocabulary gene
  std::vector<at::Tensor> labels;  // multitask label heads (ModelShape::labels order): logits (B, w) or values (B)
  at::Tensor projection;   // (B, contrastive_dim) contrastive projection of the pooled cell
};

class PretrainModelImpl : public torch::nn::Module {
 public:
  // gene_dim: gene table width (hidden_size unless a pretrained file differs).
  PretrainModelImpl(const ModelConfig& cfg, const ModelShape& shape, int64_t gene_dim = 0);
  ModelOutputs forward(const BatchTensors& batch);
  // Starts the WCED decoder's outputs at per-gene values (V each): the value
  // and the is-zero logit (data::wced_gene_stats). Throws without a WCED head.
  void init_wced_bias(const std::vector<float>& value, const std::vector<float>& zero_logit);
  Bert& bert() { return bert_; }
  const ModelShape& shape() const { return shape_; }
  const ModelConfig& config() const { return cfg_; }

 private:
  ModelConfig cfg_;
  ModelShape shape_;
  Bert bert_{nullptr};
  PredictionHead gene_head_{nullptr}, expr_head_{nullptr}, wced_head_{nullptr};
  // SimCLR's projection: Linear(H, H) -> ReLU -> Linear(H, contrastive_dim).
  torch::nn::Linear proj_in_{nullptr}, proj_out_{nullptr};
  LabelHeads label_heads_{nullptr};
};
TORCH_MODULE(PretrainModel);

}  // namespace bmfm::model

// Sequence-level model for fine-tuning: the BERT encoder plus label heads
// (label_heads.h: pooling, one head per label column, optional gradient
// reversal). Parameter names: bert.* and label_heads.{pooler,heads.<column>}.*
#pragma once

#include <string>
#include <vector>

#include <torch/nn/module.h>

#include "bmfm/model/batch_tensors.h"
#include "bmfm/model/bert.h"
#include "bmfm/model/label_heads.h"

namespace bmfm::model {

class ClassifierModelImpl : public torch::nn::Module {
 public:
  // pooling: cls | mean | pooler; head_layers: 1 (linear) or 2 (dense, GELU, dropout, linear).
  ClassifierModelImpl(const ModelConfig& cfg, const ModelShape& shape, int64_t gene_dim, std::string pooling,
                      int64_t head_layers, std::vector<LabelHeadSpec> heads);
  // Per head, in head order: logits (B, width), or values (B) for regression.
  std::vector<at::Tensor> forward(const BatchTensors& batch);
  at::Tensor pooled(const BatchTensors& batch);
  Bert& bert() { return bert_; }
  const std::vector<LabelHeadSpec>& heads() const { return heads_->specs(); }

 private:
  Bert bert_{nullptr};
  LabelHeads heads_{nullptr};
};
TORCH_MODULE(ClassifierModel);

}  // namespace bmfm::model

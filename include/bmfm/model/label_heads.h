// Sequence-level label heads on a pooled cell representation, shared by
// multitask pretraining (PretrainModel) and fine-tuning (ClassifierModel):
// pooling (CLS, mean over real tokens, or BERT's pooler dense + tanh on CLS),
// dropout, then one head per label column (linear, or dense + GELU + dropout +
// linear), each optionally behind a gradient-reversal layer (identity forward,
// -alpha x gradient backward: unlearning donor or batch). Heads are registered
// under their column's name (heads.<name>.*) so a fine-tuning run can pick up a
// pretrained head by name.
#pragma once

#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/moduledict.h>
#include <torch/nn/modules/linear.h>

#include "bmfm/model/batch_tensors.h"
#include "bmfm/model/model_config.h"

namespace bmfm::model {

// Identity forward, -alpha * gradient backward.
at::Tensor gradient_reversal(const at::Tensor& x, double alpha);

// The module name a label column's head is registered under ('.' is not
// allowed in torch module names, so it becomes '_').
std::string label_head_key(const std::string& column);

class LabelHeadsImpl : public torch::nn::Module {
 public:
  // pooling: cls | mean | pooler; layers: 1 or 2. Throws std::invalid_argument
  // on a bad pooling / width or two columns with the same key.
  LabelHeadsImpl(int64_t hidden, double dropout, std::string pooling, int64_t layers, std::vector<LabelHeadSpec> specs);
  // The cell representation from the last encoder layer (B, L, H) -> (B, H).
  at::Tensor pooled(const at::Tensor& hidden, const BatchTensors& batch);
  // Outputs per head in spec order: logits (B, width); regression (B).
  std::vector<at::Tensor> forward(const at::Tensor& hidden, const BatchTensors& batch);
  const std::vector<LabelHeadSpec>& specs() const { return specs_; }
  const std::string& pooling() const { return pooling_; }

 private:
  std::string pooling_;
  double dropout_;
  std::vector<LabelHeadSpec> specs_;
  torch::nn::Linear pooler_{nullptr};
  torch::nn::ModuleDict heads_{nullptr};
};
TORCH_MODULE(LabelHeads);

}  // namespace bmfm::model

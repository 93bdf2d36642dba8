// Sequence-level model for fine-tuning: the BERT encoder, a pooled cell
// representation (CLS, mean over real tokens, or BERT's pooler dense + tanh on
// CLS) and one classification head per label column (linear, or two layers),
// each optionally behind a gradient-reversal layer (identity forward,
// -alpha x gradient backward: unlearning donor or batch).
#pragma once

#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>

#include "bmfm/model/batch_tensors.h"
#include "bmfm/model/bert.h"

namespace bmfm::model {

struct LabelHeadSpec {
  std::string name;      // obs column
  int64_t n_classes = 0;
  bool grl = false;      // gradient reversal in front of the head
  double grl_alpha = 1.0;
};

// Identity forward, -alpha * gradient backward.
at::Tensor gradient_reversal(const at::Tensor& x, double alpha);

class ClassifierModelImpl : public torch::nn::Module {
 public:
  // pooling: cls | mean | pooler; head_layers: 1 (linear) or 2 (dense, GELU, dropout, linear).
  ClassifierModelImpl(const ModelConfig& cfg, const ModelShape& shape, int64_t gene_dim, std::string pooling,
                      int64_t head_layers, std::vector<LabelHeadSpec> heads);
  // Logits per head, (B, n_classes) each, in head order.
  std::vector<at::Tensor> forward(const BatchTensors& batch);
  at::Tensor pooled(const BatchTensors& batch);
  Bert& bert() { return bert_; }
  const std::vector<LabelHeadSpec>& heads() const { return specs_; }

 private:
  std::string pooling_;
  double dropout_;
  std::vector<LabelHeadSpec> specs_;
  Bert bert_{nullptr};
  torch::nn::Linear pooler_{nullptr};
  torch::nn::ModuleList heads_{nullptr};
};
TORCH_MODULE(ClassifierModel);

}  // namespace bmfm::model

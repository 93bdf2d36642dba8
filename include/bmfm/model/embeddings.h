// Field embeddings: gene token + expression (+ perturbation, + optional
// absolute position) summed, then LayerNorm and dropout (BERT's embedding block).
#pragma once

#include <cstdint>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "bmfm/model/batch_tensors.h"
#include "bmfm/model/expression_encoder.h"
#include "bmfm/model/model_config.h"

namespace bmfm::model {

class FieldEmbeddingsImpl : public torch::nn::Module {
 public:
  // gene_dim: width of the gene table (the pretrained file's, when one is
  // used); a bias-free projection to hidden_size follows when it differs.
  FieldEmbeddingsImpl(const ModelConfig& cfg, const ModelShape& shape, int64_t gene_dim);

  at::Tensor forward(const BatchTensors& batch);

  // Copies pretrained rows into the gene table (row i of `values`, dim
  // gene_dim, where covered[i]); with `freeze`, covered rows get zero gradient.
  void init_gene_rows(const std::vector<float>& values, const std::vector<uint8_t>& covered, bool freeze);

  const at::Tensor& gene_weight() const { return gene_->weight; }

 private:
  double dropout_;
  torch::nn::Embedding gene_{nullptr};
  torch::nn::Linear gene_proj_{nullptr};
  ExpressionEncoder expr_{nullptr};
  torch::nn::Embedding perturbation_{nullptr};
  torch::nn::Embedding position_{nullptr};
  torch::nn::LayerNorm norm_{nullptr};
  at::Tensor frozen_rows_;  // (V, 1) float: 1 = row frozen
};
TORCH_MODULE(FieldEmbeddings);

}  // namespace bmfm::model

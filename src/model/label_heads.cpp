#include "bmfm/model/label_heads.h"

#include "bmfm/model/pooling.h"

#include <set>
#include <stdexcept>

#include <torch/autograd.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/dropout.h>

#include "bmfm/model/compat.h"

namespace bmfm::model {
namespace {

struct GradientReversal : public torch::autograd::Function<GradientReversal> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, double alpha) {
    ctx->saved_data["alpha"] = alpha;
    return x.view_as(x);
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grad) {
    const double alpha = ctx->saved_data["alpha"].toDouble();
    return {grad[0] * -alpha, at::Tensor()};
  }
};

}  // namespace

at::Tensor gradient_reversal(const at::Tensor& x, double alpha) { return GradientReversal::apply(x, alpha); }

std::string label_head_key(const std::string& column) {
  std::string key = column;
  for (char& c : key)
    if (c == '.') c = '_';
  return key;
}

LabelHeadsImpl::LabelHeadsImpl(int64_t H, double dropout, std::string pooling, int64_t layers,
                               std::vector<LabelHeadSpec> specs)
    : pooling_(std::move(pooling)), dropout_(dropout), specs_(std::move(specs)) {
  if (pooling_ != "cls" && pooling_ != "mean" && pooling_ != "pooler")
    throw std::invalid_argument("pooling must be cls, mean or pooler, not " + pooling_);
  if (layers != 1 && layers != 2) throw std::invalid_argument("label head layers must be 1 or 2");
  if (pooling_ == "pooler") pooler_ = register_module("pooler", torch::nn::Linear(H, H));
  heads_ = register_module("heads", torch::nn::ModuleDict());
  std::set<std::string> keys;
  for (const auto& s : specs_) {
    if (s.kind == "classification" && s.width < 2)
      throw std::invalid_argument("label head " + s.name + ": needs at least 2 classes (has " +
                                  std::to_string(s.width) + ")");
    if (s.kind == "multilabel" && s.width < 1) throw std::invalid_argument("label head " + s.name + ": no labels");
    if (s.kind == "regression" && s.width != 1) throw std::invalid_argument("label head " + s.name + ": width must be 1");
    if (s.kind != "classification" && s.kind != "multilabel" && s.kind != "regression")
      throw std::invalid_argument("label head " + s.name + ": unknown kind " + s.kind);
    const std::string key = label_head_key(s.name);
    if (!keys.insert(key).second) throw std::invalid_argument("label head " + s.name + ": a second head for this column");
    torch::nn::Sequential head;
    if (layers == 2) head->push_back(torch::nn::Linear(H, H)), head->push_back(torch::nn::GELU()),
        head->push_back(torch::nn::Dropout(dropout));
    head->push_back(torch::nn::Linear(H, s.width));
    heads_->update({{key, head.ptr()}});
  }
}

at::Tensor LabelHeadsImpl::pooled(const at::Tensor& h, const BatchTensors& b) {
  if (pooling_ == "mean") return pool_cells(h, b, "mean");
  at::Tensor cls = h.select(1, 0);
  return pooling_ == "pooler" ? at::tanh(pooler_->forward(cls)) : cls;
}

std::vector<at::Tensor> LabelHeadsImpl::forward(const at::Tensor& hidden, const BatchTensors& b) {
  at::Tensor x = compat::dropout(pooled(hidden, b), dropout_, is_training());
  std::vector<at::Tensor> out;
  for (const auto& s : specs_) {
    at::Tensor in = s.grl_alpha > 0 ? gradient_reversal(x, s.grl_alpha) : x;
    at::Tensor y = heads_[label_head_key(s.name)]->as<torch::nn::SequentialImpl>()->forward(in);
    out.push_back(s.kind == "regression" ? y.squeeze(1) : y);
  }
  return out;
}

}  // namespace bmfm::model

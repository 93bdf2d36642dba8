// AdamW (Loshchilov & Hutter), the update torch.optim.AdamW makes:
//   p <- p (1 - lr wd);  m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
//   p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// Written here rather than using torch::optim::AdamW so that its state is
// plain named tensors for the checkpoint format, and decay is decided per
// parameter: Linear weights decay; biases, LayerNorm, embeddings and the
// periodic basis do not.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <torch/nn/module.h>

namespace bmfm::train {

struct AdamWOptions {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.01;
};

class AdamW {
 public:
  // Trainable parameters of `model` (requires_grad) with their dotted names.
  AdamW(torch::nn::Module& model, AdamWOptions options);

  // One update with learning rate `lr`; parameters without a gradient are skipped.
  void step(double lr);
  void zero_grad();  // sets gradients to None (the 2.x default), saving a memset
  // Scales all gradients so their global L2 norm is at most max_norm; returns the norm before.
  double clip_grad_norm(double max_norm);

  // Parameters whose name satisfies `pred` take lr * scale (e.g. fine-tuning heads).
  void set_lr_scale(const std::function<bool(const std::string&)>& pred, double scale);

  int64_t steps() const { return t_; }
  struct Param {
    std::string name;
    at::Tensor value, exp_avg, exp_avg_sq;
    bool decay = false;
    double lr_scale = 1.0;
  };
  const std::vector<Param>& params() const { return params_; }
  // Restores the state saved by params()/steps() (checkpoint.h); names and shapes must match.
  void load_state(int64_t steps, const std::vector<std::pair<std::string, at::Tensor>>& exp_avg,
                  const std::vector<std::pair<std::string, at::Tensor>>& exp_avg_sq);

 private:
  AdamWOptions opt_;
  int64_t t_ = 0;
  std::vector<Param> params_;
};

// Whether weight decay applies to the parameter called `name` (a Linear weight).
bool decays(torch::nn::Module& model, const std::string& name);

}  // namespace bmfm::train

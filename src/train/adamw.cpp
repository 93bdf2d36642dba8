#include "bmfm/train/adamw.h"

#include <cmath>
#include <map>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/autograd.h>
#include <torch/nn/modules/linear.h>

namespace bmfm::train {

bool decays(torch::nn::Module& model, const std::string& name) {
  // Decay exactly the `weight` of Linear modules.
  for (const auto& item : model.named_modules("", /*include_self=*/false)) {
    if (!item.value()->as<torch::nn::LinearImpl>()) continue;
    const std::string full = item.key().empty() ? "weight" : item.key() + ".weight";
    if (full == name) return true;
  }
  return false;
}

AdamW::AdamW(torch::nn::Module& model, AdamWOptions options) : opt_(options) {
  std::map<std::string, bool> linear_weights;
  for (const auto& item : model.named_modules("", false))
    if (item.value()->as<torch::nn::LinearImpl>())
      linear_weights[item.key().empty() ? "weight" : item.key() + ".weight"] = true;
  for (const auto& p : model.named_parameters(/*recurse=*/true)) {
    if (!p.value().requires_grad()) continue;
    Param q;
    q.name = p.key();
    q.value = p.value();
    q.exp_avg = at::zeros_like(q.value);
    q.exp_avg_sq = at::zeros_like(q.value);
    q.decay = linear_weights.count(q.name) > 0;
    params_.push_back(std::move(q));
  }
}

void AdamW::step(double lr) {
  torch::NoGradGuard no_grad;
  ++t_;
  const double bc1 = 1.0 - std::pow(opt_.beta1, static_cast<double>(t_));
  const double bc2 = 1.0 - std::pow(opt_.beta2, static_cast<double>(t_));
  const double bc2_sqrt = std::sqrt(bc2);
  for (Param& p : params_) {
    const at::Tensor& g = p.value.grad();
    if (!g.defined()) continue;
    const double plr = lr * p.lr_scale, step_size = plr / bc1;
    if (p.decay && opt_.weight_decay > 0) p.value.mul_(1.0 - plr * opt_.weight_decay);
    p.exp_avg.mul_(opt_.beta1).add_(g, 1.0 - opt_.beta1);
    p.exp_avg_sq.mul_(opt_.beta2).addcmul_(g, g, 1.0 - opt_.beta2);
    at::Tensor denom = (p.exp_avg_sq.sqrt() / bc2_sqrt).add_(opt_.eps);
    p.value.addcdiv_(p.exp_avg, denom, -step_size);
  }
}

void AdamW::set_lr_scale(const std::function<bool(const std::string&)>& pred, double scale) {
  for (Param& p : params_)
    if (pred(p.name)) p.lr_scale = scale;
}

void AdamW::zero_grad() {
  for (Param& p : params_)
    if (p.value.grad().defined()) p.value.mutable_grad() = at::Tensor();
}

double AdamW::clip_grad_norm(double max_norm) {
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> norms;
  for (Param& p : params_)
    if (p.value.grad().defined()) norms.push_back(p.value.grad().norm(2).to(at::kFloat));
  if (norms.empty()) return 0.0;
  const double total = at::stack(norms).norm(2).item<double>();
  if (max_norm > 0 && total > max_norm) {
    const double scale = max_norm / (total + 1e-6);
    for (Param& p : params_)
      if (p.value.grad().defined()) p.value.grad().mul_(scale);
  }
  return total;
}

void AdamW::load_state(int64_t steps, const std::vector<std::pair<std::string, at::Tensor>>& exp_avg,
                       const std::vector<std::pair<std::string, at::Tensor>>& exp_avg_sq) {
  std::map<std::string, const at::Tensor*> m, v;
  for (const auto& [k, t] : exp_avg) m[k] = &t;
  for (const auto& [k, t] : exp_avg_sq) v[k] = &t;
  torch::NoGradGuard no_grad;
  for (Param& p : params_) {
    auto im = m.find(p.name), iv = v.find(p.name);
    if (im == m.end() || iv == v.end())
      throw std::runtime_error(fmt::format("optimizer state: no moments for parameter '{}'", p.name));
    if (!im->second->sizes().equals(p.value.sizes()) || !iv->second->sizes().equals(p.value.sizes()))
      throw std::runtime_error(fmt::format("optimizer state: parameter '{}' has shape {}, the saved moments {}",
                                           p.name, fmt::join(p.value.sizes(), "x"), fmt::join(im->second->sizes(), "x")));
    p.exp_avg.copy_(*im->second);
    p.exp_avg_sq.copy_(*iv->second);
  }
  if (m.size() != params_.size())
    throw std::runtime_error(fmt::format("optimizer state: {} saved parameters, the model trains {}", m.size(),
                                         params_.size()));
  t_ = steps;
}

}  // namespace bmfm::train

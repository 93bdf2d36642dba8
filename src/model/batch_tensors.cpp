#include "bmfm/model/batch_tensors.h"

#include <limits>
#include <vector>

namespace bmfm::model {
namespace {

template <class T>
at::Tensor host(const std::vector<T>& v, at::IntArrayRef shape, at::ScalarType type) {
  // from_blob does not copy; clone so the tensor owns its memory and the
  // loader may recycle the Batch at once.
  return at::from_blob(const_cast<T*>(v.data()), shape, at::TensorOptions().dtype(type)).clone();
}

at::Tensor to_long(const std::vector<int32_t>& v, at::IntArrayRef shape) {
  return host(v, shape, at::kInt).to(at::kLong);
}

// Flat positions where `labels` != -100 and their labels.
template <class T, class F>
void select(const std::vector<T>& labels, F&& keep, std::vector<int64_t>& pos) {
  pos.clear();
  for (size_t i = 0; i < labels.size(); ++i)
    if (keep(i)) pos.push_back(static_cast<int64_t>(i));
}

}  // namespace

BatchTensors to_tensors(const data::Batch& b, at::Device device) {
  BatchTensors t;
  t.B = b.B;
  t.L = b.L;
  t.V = b.V;
  t.views = b.views;
  const int64_t BL = b.B * b.L;
  auto dev = [&](at::Tensor x) { return device.is_cpu() ? x : x.to(device, /*non_blocking=*/true); };

  t.gene_ids = dev(to_long(b.gene_ids, {b.B, b.L}));
  if (!b.gene_mask.empty()) t.gene_mask = dev(host(b.gene_mask, {b.B, b.L}, at::kByte).to(at::kFloat));
  // No padding in the batch (common with padding=longest and long cells):
  // no mask, which saves an add over every (B, h, L, L) score tensor.
  bool padded = false;
  for (int64_t i = 0; i < BL && !padded; ++i) padded = b.pad_mask[i] == 0;
  if (padded) {
    std::vector<float> m(static_cast<size_t>(BL));
    for (int64_t i = 0; i < BL; ++i) m[i] = b.pad_mask[i] ? 0.0f : -std::numeric_limits<float>::infinity();
    t.attn_mask = dev(host(m, {b.B, 1, 1, b.L}, at::kFloat));
  }
  if (b.has_expr_tokens) t.expr_token_ids = dev(to_long(b.expr_token_ids, {b.B, b.L}));
  if (b.has_expr_values) {
    t.expr_values = dev(host(b.expr_values, {b.B, b.L}, at::kFloat));
    std::vector<int64_t> s(b.expr_special.begin(), b.expr_special.end());
    t.expr_special = dev(host(s, {b.B, b.L}, at::kLong));
  }
  if (b.has_perturbations) t.perturbation_ids = dev(to_long(b.perturbation_ids, {b.B, b.L}));

  std::vector<int64_t> pos, lab;
  if (b.has_gene_labels) {
    select(b.gene_labels, [&](size_t i) { return b.gene_labels[i] != -100; }, pos);
    lab.resize(pos.size());
    for (size_t j = 0; j < pos.size(); ++j) lab[j] = b.gene_labels[pos[j]];
    t.gene_pos = dev(host(pos, {static_cast<int64_t>(pos.size())}, at::kLong));
    t.gene_labels = dev(host(lab, {static_cast<int64_t>(lab.size())}, at::kLong));
  }
  if (b.has_expr_label_ids) {
    select(b.expr_label_ids, [&](size_t i) { return b.expr_label_ids[i] != -100; }, pos);
    lab.resize(pos.size());
    for (size_t j = 0; j < pos.size(); ++j) lab[j] = b.expr_label_ids[pos[j]] - data::field_token::kFirstValue;
    t.expr_pos = dev(host(pos, {static_cast<int64_t>(pos.size())}, at::kLong));
    t.expr_bins = dev(host(lab, {static_cast<int64_t>(lab.size())}, at::kLong));
  } else if (b.has_expr_label_values) {
    select(b.expr_label_mask, [&](size_t i) { return b.expr_label_mask[i] != 0; }, pos);
    std::vector<float> val(pos.size());
    for (size_t j = 0; j < pos.size(); ++j) val[j] = b.expr_label_values[pos[j]];
    t.expr_pos = dev(host(pos, {static_cast<int64_t>(pos.size())}, at::kLong));
    t.expr_values_target = dev(host(val, {static_cast<int64_t>(val.size())}, at::kFloat));
  }
  if (b.has_wced) {
    t.wced_values = dev(host(b.wced_values, {b.B, b.V}, at::kFloat));
    t.wced_is_zero = dev(host(b.wced_is_zero, {b.B, b.V}, at::kFloat));
    t.wced_set = dev(host(b.wced_set, {b.B, b.V}, at::kByte));
  }
  if (b.C > 0) t.class_labels = dev(to_long(b.class_labels, {b.B, b.C}));
  if (b.M > 0) t.multilabel = dev(host(b.multilabel, {b.B, b.M}, at::kFloat));
  if (b.R > 0) {
    t.regression = dev(host(b.regression, {b.B, b.R}, at::kFloat));
    t.regression_mask = dev(host(b.regression_mask, {b.B, b.R}, at::kByte).to(at::kBool));
  }
  return t;
}

}  // namespace bmfm::model

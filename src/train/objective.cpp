#include "bmfm/train/objective.h"

#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "bmfm/train/losses.h"

namespace bmfm::train {

model::LabelHeadSpec label_head_spec(const data::LabelDictionary& dict, const LossConfig& l) {
  model::LabelHeadSpec h;
  h.name = l.label;
  h.grl_alpha = l.grl_alpha;
  int64_t n_class = 0, ml_offset = 0, n_reg = 0;
  std::vector<std::string> names;
  for (const auto& col : dict.columns()) {
    names.push_back(col.name);
    const int64_t width = static_cast<int64_t>(col.classes.size());
    if (col.name == l.label) {
      h.kind = data::to_string(col.kind);
      h.width = col.kind == data::LabelKind::Regression ? 1 : width;
      h.offset = col.kind == data::LabelKind::Classification ? n_class
                 : col.kind == data::LabelKind::MultiLabel   ? ml_offset
                                                             : n_reg;
      const char* want = col.kind == data::LabelKind::Classification ? "ce or focal"
                         : col.kind == data::LabelKind::MultiLabel   ? "bce"
                                                                     : "mse";
      const bool ok = col.kind == data::LabelKind::Classification ? (l.kind == "ce" || l.kind == "focal")
                      : col.kind == data::LabelKind::MultiLabel   ? l.kind == "bce"
                                                                  : l.kind == "mse";
      if (!ok)
        throw std::invalid_argument(
            fmt::format("column '{}' is a {} label: its loss kind is {}, not {}", l.label, h.kind, want, l.kind));
      return h;
    }
    if (col.kind == data::LabelKind::Classification) ++n_class;
    else if (col.kind == data::LabelKind::MultiLabel) ml_offset += width;
    else ++n_reg;
  }
  throw std::invalid_argument(
      fmt::format("obs column '{}' is not one of the data's label columns [{}]: add {{name: {}}} to data.label_columns",
                  l.label, fmt::join(names, ", "), l.label));
}

model::ModelShape model_shape(const data::Vocab& vocab, const data::CollatorConfig& c,
                              const std::vector<LossConfig>& losses, const data::LabelDictionary* labels) {
  model::ModelShape s;
  s.vocab_size = vocab.size();
  s.max_length = c.tokenizer.max_length;
  double genes_ratio = 0, expr_ratio = 0;
  bool label_expressions = false;
  for (const auto& f : c.tokenizer.fields) {
    if (f.name == "genes") genes_ratio = f.change_ratio;
    if (f.name == "expressions") {
      s.expressions = f.tokenize;
      s.n_expr_bins = f.tokenize == "binned" ? f.n_values : 0;
      expr_ratio = f.change_ratio;
    }
    if (f.name == "perturbations") s.n_perturbations = f.n_values;
    if (f.name == "label_expressions") label_expressions = true;
  }
  if (losses.empty()) throw std::invalid_argument("losses: no loss terms configured");
  for (size_t i = 0; i < losses.size(); ++i) {
    const LossConfig& l = losses[i];
    auto bad = [&](const std::string& why) {
      throw std::invalid_argument(fmt::format("losses[{}] ({}): {}", i, loss_name(l), why));
    };
    if (l.field == "genes") {
      if (!(genes_ratio > 0)) bad("needs masked genes: set change_ratio > 0 on the genes field of tokenizer.fields");
      s.gene_head = true;
    } else if (l.field == "expressions") {
      const bool bins = l.kind == "ce" || l.kind == "token_value";
      if (bins && s.expressions != "binned") bad("needs binned expressions (tokenizer field expressions, tokenize: binned)");
      if (!bins && s.expressions != "continuous")
        bad("needs continuous expressions (tokenizer field expressions, tokenize: continuous)");
      if (!(expr_ratio > 0) && !(label_expressions && !bins))
        bad("needs expression targets: change_ratio > 0 on the expressions field, or a label_expressions field");
      const std::string head = bins ? "bins" : "regression";
      if (!s.expr_head.empty() && s.expr_head != head) bad("mixes binned and continuous expression losses");
      s.expr_head = head;
    } else if (l.field == "wced") {
      if (!c.wced.enabled) bad("needs wced.enabled: true");
      s.wced_width = vocab.n_genes();
    } else if (l.field == "contrastive") {
      if (s.contrastive_dim > 0) bad("a second contrastive term (one projection head)");
      s.contrastive_dim = l.projection_dim;
    } else if (l.field == "label" && labels) {
      try {
        s.labels.push_back(label_head_spec(*labels, l));
      } catch (const std::invalid_argument& e) {
        bad(e.what());
      }
      for (size_t j = 0; j + 1 < s.labels.size(); ++j)
        if (s.labels[j].name == l.label) bad("a second loss on the same label column (one head per column)");
    }
  }
  return s;
}

namespace {

// The value head's squared error: over non-zero targets (zeros are the is-zero
// head's), or over every target when the loss includes zeros.
at::Tensor value_mse(const at::Tensor& pred, const at::Tensor& target, const at::Tensor& mask, bool include_zeros) {
  return include_zeros ? masked_mse(pred, target, mask) : nonzero_mse(pred, target, mask);
}

}  // namespace

at::Tensor contrastive_loss(const at::Tensor& projection, double temperature, const ViewGather& gather) {
  const int64_t B = projection.size(0);
  if (B % 2 != 0)
    throw std::logic_error("contrastive loss: the batch must hold two views of each cell (rows i and i + B/2)");
  if (!gather) return info_nce(projection, temperature);
  // Every rank scores all ranks' cells: its own rows carry gradients, the
  // others' are constants. The full loss's gradient is the sum over ranks of
  // these partial ones, and the trainer averages gradients over W ranks, so
  // the backward pass sees W x the loss while the logged value stays the loss.
  int64_t world = 1;
  const at::Tensor all = gather(projection, world);  // (W B, D): rank r's view-1 rows, then its view-2 rows
  const int64_t n = B / 2;
  std::vector<at::Tensor> v1, v2;
  for (int64_t r = 0; r < world; ++r) {
    v1.push_back(all.narrow(0, r * B, n));
    v2.push_back(all.narrow(0, r * B + n, n));
  }
  const at::Tensor loss = info_nce(at::cat({at::cat(v1), at::cat(v2)}), temperature);
  return loss.detach() + static_cast<double>(world) * (loss - loss.detach());
}

LossTerms compute_objective(const std::vector<LossConfig>& losses, const model::ModelShape& shape,
                            const model::ModelOutputs& out, const model::BatchTensors& b, const ViewGather& gather) {
  LossTerms r;
  double wsum = 0;
  size_t head = 0;  // label heads are in label-loss order (model_shape)
  for (const LossConfig& l : losses) {
    at::Tensor v;
    if (l.field == "label") {
      if (head >= out.labels.size() || head >= shape.labels.size())
        throw std::logic_error("compute_objective: the model has fewer label heads than label losses");
      const model::LabelHeadSpec& h = shape.labels[head];
      const at::Tensor& y = out.labels[head++];
      if (h.kind == "classification") {
        at::Tensor t = b.class_labels.select(1, h.offset);
        at::Tensor keep = t.ge(0).nonzero().squeeze(1);
        at::Tensor lg = y.index_select(0, keep), tt = t.index_select(0, keep);
        v = l.kind == "focal" ? focal_loss(lg, tt, l.focal_gamma) : cross_entropy(lg, tt, l.label_smoothing);
      } else if (h.kind == "multilabel") {
        v = multilabel_bce(y, b.multilabel.narrow(1, h.offset, h.width));
      } else {
        v = masked_mse(y, b.regression.select(1, h.offset), b.regression_mask.select(1, h.offset));
      }
    } else if (l.field == "contrastive") {
      if (b.views != 2)
        throw std::logic_error("contrastive loss: the batch holds one view of each cell; the loader must make two "
                               "(LoaderConfig::views = 2, set by PretrainData::loader_config)");
      v = contrastive_loss(out.projection, l.temperature, gather);
    } else if (l.field == "genes") {
      v = cross_entropy(out.gene_logits, b.gene_labels, l.label_smoothing);
    } else if (l.field == "expressions") {
      if (l.kind == "ce") v = cross_entropy(out.expr_out, b.expr_bins, l.label_smoothing);
      else if (l.kind == "token_value") v = token_value_loss(out.expr_out, b.expr_bins);
      else {
        at::Tensor all = at::ones_like(b.expr_values_target, at::kBool);
        v = l.kind == "mse" ? value_mse(out.expr_out.select(1, 0), b.expr_values_target, all, l.include_zeros)
                            : is_zero_bce(out.expr_out.select(1, 1), b.expr_values_target, all);
      }
    } else {
      at::Tensor in_set = l.set == "input"       ? b.wced_set.eq(data::wced_set::kInput)
                          : l.set == "non_input" ? b.wced_set.eq(data::wced_set::kNonInput)
                                                 : b.wced_set.ne(data::wced_set::kNone);
      v = l.kind == "mse" ? value_mse(out.wced_value, b.wced_values, in_set, l.include_zeros)
                          : is_zero_bce(out.wced_zero, b.wced_values, in_set);
    }
    r.terms.emplace_back(loss_name(l), v);
    r.total = r.total.defined() ? r.total + l.weight * v : l.weight * v;
    wsum += l.weight;
  }
  r.total = r.total / wsum;
  return r;
}

}  // namespace bmfm::train

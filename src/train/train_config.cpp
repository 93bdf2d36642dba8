#include "bmfm/train/train_config.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace bmfm::train {

const config::Schema<LossConfig>& loss_schema() {
  using L = LossConfig;
  static const auto schema =
      config::Schema<L>("loss")
          .field("field", &L::field, "genes | expressions | wced | label | contrastive")
          .field("kind", &L::kind,
                 "genes: ce; expressions: ce | token_value | mse | is_zero_bce; wced: mse | is_zero_bce; "
                 "label: ce | focal | bce | mse; contrastive: info_nce")
          .field("set", &L::set, "wced: input | non_input | all genes of the cell")
          .field("label", &L::label, "field label: the obs column (listed in data.label_columns)")
          .field("weight", &L::weight, "weight w_i in sum(w_i L_i) / sum(w_i)")
          .field("label_smoothing", &L::label_smoothing, "ce only")
          .field("focal_gamma", &L::focal_gamma, "focal only: gamma")
          .field("grl_alpha", &L::grl_alpha, "field label: gradient reversal strength in front of the head; 0 = off")
          .field("include_zeros", &L::include_zeros, "mse: zero targets count too (default: non-zero targets only)")
          .field("temperature", &L::temperature, "contrastive: softmax temperature of the cosine similarities")
          .field("projection_dim", &L::projection_dim, "contrastive: projection head output width")
          .check([](const L& l, const config::Config& cfg, const std::string& p) {
            config::require_one_of(cfg, p + "field", l.field, {"genes", "expressions", "wced", "label", "contrastive"});
            if (l.field == "contrastive") {
              config::require_one_of(cfg, p + "kind", l.kind, {"info_nce"});
              if (!(l.temperature > 0)) config::fail(cfg, p + "temperature", "must be positive");
              if (l.projection_dim < 1) config::fail(cfg, p + "projection_dim", "must be >= 1");
            }
            if (l.field == "label") {
              if (l.label.empty()) config::fail(cfg, p + "label", "field label needs the obs column, e.g. label: cell_type");
              config::require_one_of(cfg, p + "kind", l.kind, {"ce", "focal", "bce", "mse"});
            } else {
              if (!l.label.empty()) config::fail(cfg, p + "label", "only for field label");
              if (l.grl_alpha != 0) config::fail(cfg, p + "grl_alpha", "only for field label");
            }
            if (l.grl_alpha < 0) config::fail(cfg, p + "grl_alpha", "must be >= 0");
            if (l.focal_gamma < 0) config::fail(cfg, p + "focal_gamma", "must be >= 0");
            if (l.field == "genes") config::require_one_of(cfg, p + "kind", l.kind, {"ce"});
            if (l.field == "expressions")
              config::require_one_of(cfg, p + "kind", l.kind, {"ce", "token_value", "mse", "is_zero_bce"});
            if (l.field == "wced") {
              config::require_one_of(cfg, p + "kind", l.kind, {"mse", "is_zero_bce"});
              config::require_one_of(cfg, p + "set", l.set, {"input", "non_input", "all"});
            } else if (l.set != "all") {
              config::fail(cfg, p + "set", "only the wced field has gene sets");
            }
            if (l.include_zeros && !(l.kind == "mse" && (l.field == "wced" || l.field == "expressions")))
              config::fail(cfg, p + "include_zeros", "only for kind mse of the wced or expressions field");
            if (!(l.weight > 0)) config::fail(cfg, p + "weight", "must be positive");
            if (l.label_smoothing < 0 || l.label_smoothing >= 1)
              config::fail(cfg, p + "label_smoothing", "must be in [0, 1)");
            if (l.label_smoothing > 0 && l.kind != "ce") config::fail(cfg, p + "label_smoothing", "only for kind ce");
          });
  return schema;
}

std::string loss_name(const LossConfig& l) {
  // include_zeros is another quantity: it gets its own name, so both can be logged side by side.
  if (l.field == "wced") return fmt::format("wced_{}_{}{}", l.set, l.kind, l.include_zeros ? "_with_zeros" : "");
  if (l.field == "expressions" && l.include_zeros) return fmt::format("expressions_{}_with_zeros", l.kind);
  if (l.field == "label") return fmt::format("label_{}_{}", l.label, l.kind);
  return fmt::format("{}_{}", l.field, l.kind);
}

const config::Schema<TrainerConfig>& trainer_schema() {
  using T = TrainerConfig;
  using config::fail;
  static const auto es = config::Schema<EarlyStoppingConfig>("early_stopping")
      .field("monitor", &EarlyStoppingConfig::monitor, "validation metric, e.g. val/loss or val/wced_all_mse")
      .field("patience", &EarlyStoppingConfig::patience, "validations without improvement before stopping; 0 = off")
      .field("min_delta", &EarlyStoppingConfig::min_delta, "smallest change that counts as improvement")
      .field("mode", &EarlyStoppingConfig::mode, "min | max");
  static const auto probe = config::Schema<ProbeConfig>("probe")
      .field("source", &ProbeConfig::source, "file (probe.input) | validation (the corpus's validation split)")
      .field("input", &ProbeConfig::input, "labelled h5ad (raw counts) embedded and scored during training; '' = off")
      .field("label_key", &ProbeConfig::label_key, "obs column with the cell labels (validation: a data.label_columns one)")
      .field("batch_key", &ProbeConfig::batch_key, "obs column with batches; '' = one batch")
      .field("gene_column", &ProbeConfig::gene_column, "var column with gene ids; '' = var index")
      .field("matrix", &ProbeConfig::matrix, "raw counts: X or layers/<name>")
      .field("pooling", &ProbeConfig::pooling, "auto (model.cell_pooling) | cls | mean")
      .field("every", &ProbeConfig::every, "steps between probes (also after the last step)")
      .field("batch_size", &ProbeConfig::batch_size, "cells per forward pass")
      .check([](const ProbeConfig& pr, const config::Config& cfg, const std::string& p) {
        if (pr.every < 1) config::fail(cfg, p + "every", "must be >= 1");
        if (pr.batch_size < 1) config::fail(cfg, p + "batch_size", "must be >= 1");
        config::require_one_of(cfg, p + "pooling", pr.pooling, {"auto", "cls", "mean"});
        config::require_one_of(cfg, p + "source", pr.source, {"file", "validation"});
        if (pr.source == "validation" && !pr.input.empty())
          config::fail(cfg, p + "input", "source=validation probes the corpus's validation split; leave input empty");
        if (probe_enabled(pr) && pr.label_key.empty()) config::fail(cfg, p + "label_key", "needed by the probe");
      });
  static const auto schema =
      config::Schema<T>("trainer")
          .field("max_steps", &T::max_steps, "optimizer steps; 0 = until max_epochs")
          .field("max_epochs", &T::max_epochs, "epochs; 0 = no limit")
          .field("grad_accum", &T::grad_accum, "micro-batches per optimizer step")
          .field("lr", &T::lr, "peak learning rate")
          .field("betas", &T::betas, "AdamW (beta1, beta2)")
          .field("eps", &T::eps, "AdamW epsilon")
          .field("weight_decay", &T::weight_decay, "AdamW decoupled weight decay, Linear weights only")
          .field("warmup_steps", &T::warmup_steps, "linear warmup steps")
          .field("schedule", &T::schedule, "after warmup: constant | linear | cosine")
          .field("min_lr_ratio", &T::min_lr_ratio, "linear / cosine: final lr as a fraction of lr")
          .field("clip_grad_norm", &T::clip_grad_norm, "max global gradient L2 norm; 0 = off")
          .field("precision", &T::precision, "auto (bf16 autocast where the device has it) | fp32 | bf16")
          .field("device", &T::device, "auto | cpu | cuda | cuda:N")
          .field("val_every", &T::val_every, "steps between validations; 0 = at epoch ends only")
          .field("val_batches", &T::val_batches, "batches per validation; 0 = all")
          .field("log_every", &T::log_every, "steps between logged metric lines")
          .field("checkpoint_every", &T::checkpoint_every, "steps between step checkpoints; 0 = last/best only")
          .field("keep_checkpoints", &T::keep_checkpoints, "step checkpoints kept")
          .field("on_nan", &T::on_nan, "non-finite loss: stop | skip")
          .section("early_stopping", &T::early_stopping, es, "stop when a validation metric stops improving")
          .section("probe", &T::probe, probe, "embed and score a labelled file during training")
          .check([](const T& t, const config::Config& cfg, const std::string& p) {
            if (t.max_steps < 0) fail(cfg, p + "max_steps", "must be >= 0");
            if (t.max_epochs < 0) fail(cfg, p + "max_epochs", "must be >= 0");
            if (t.max_steps == 0 && t.max_epochs == 0) fail(cfg, p + "max_steps", "set max_steps or max_epochs");
            if (t.grad_accum < 1) fail(cfg, p + "grad_accum", "must be >= 1");
            if (!(t.lr > 0)) fail(cfg, p + "lr", "must be positive");
            if (t.betas.size() != 2 || t.betas[0] < 0 || t.betas[0] >= 1 || t.betas[1] < 0 || t.betas[1] >= 1)
              fail(cfg, p + "betas", "needs two values in [0, 1)");
            if (!(t.eps > 0)) fail(cfg, p + "eps", "must be positive");
            if (t.weight_decay < 0) fail(cfg, p + "weight_decay", "must be >= 0");
            if (t.warmup_steps < 0) fail(cfg, p + "warmup_steps", "must be >= 0");
            config::require_one_of(cfg, p + "schedule", t.schedule, {"constant", "linear", "cosine"});
            if (t.min_lr_ratio < 0 || t.min_lr_ratio > 1) fail(cfg, p + "min_lr_ratio", "must be in [0, 1]");
            if (t.clip_grad_norm < 0) fail(cfg, p + "clip_grad_norm", "must be >= 0");
            config::require_one_of(cfg, p + "precision", t.precision, {"auto", "fp32", "bf16"});
            if (t.device != "auto" && t.device != "cpu" && t.device.rfind("cuda", 0) != 0)
              fail(cfg, p + "device", fmt::format("'{}': expected auto, cpu, cuda or cuda:N", t.device));
            if (t.val_every < 0 || t.val_batches < 0 || t.log_every < 1 || t.checkpoint_every < 0)
              fail(cfg, p + "val_every", "val_every, val_batches, checkpoint_every must be >= 0 and log_every >= 1");
            if (t.keep_checkpoints < 1) fail(cfg, p + "keep_checkpoints", "must be >= 1");
            config::require_one_of(cfg, p + "on_nan", t.on_nan, {"stop", "skip"});
            config::require_one_of(cfg, p + "early_stopping.mode", t.early_stopping.mode, {"min", "max"});
            if (t.early_stopping.patience < 0) fail(cfg, p + "early_stopping.patience", "must be >= 0");
          });
  return schema;
}

int64_t total_steps(const TrainerConfig& c, int64_t steps_per_epoch) {
  return c.max_steps > 0 ? c.max_steps : c.max_epochs * std::max<int64_t>(1, steps_per_epoch);
}

double learning_rate(const TrainerConfig& c, int64_t step, int64_t total) {
  // The formulas of Hugging Face's get_{linear,cosine}_schedule_with_warmup
  // (which the reference framework uses), plus an optional floor.
  if (step < c.warmup_steps) return c.lr * static_cast<double>(step) / static_cast<double>(c.warmup_steps);
  if (c.schedule == "constant" || total <= c.warmup_steps) return c.lr;
  const double t = std::min(1.0, static_cast<double>(step - c.warmup_steps) /
                                     static_cast<double>(total - c.warmup_steps));
  const double lo = c.min_lr_ratio;
  const double f = c.schedule == "linear" ? 1.0 - t : 0.5 * (1.0 + std::cos(M_PI * t));
  return c.lr * (lo + (1.0 - lo) * f);
}

}  // namespace bmfm::train

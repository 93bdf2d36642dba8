#include "bmfm/train/finetune.h"
#include "bmfm/train/finetune_report.h"

#include <filesystem>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>
#include <spdlog/spdlog.h>
#include <torch/autograd.h>

#include "bmfm/config/error.h"
#include "bmfm/data/gene_mapping.h"
#include "bmfm/data/labels.h"
#include "bmfm/data/loader.h"
#include "bmfm/io/h5ad.h"
#include "bmfm/eval/baseline.h"
#include "bmfm/eval/knn_classifier.h"
#include "bmfm/model/classifier.h"
#include "bmfm/model/compat.h"
#include "bmfm/model/runtime.h"
#include "bmfm/train/adamw.h"
#include "bmfm/train/checkpoint.h"
#include "bmfm/train/checkpoint_model.h"
#include "bmfm/train/embed.h"
#include "bmfm/train/losses.h"
#include "bmfm/train/objective.h"
#include "bmfm/train/metric_log.h"
#include "bmfm/train/tensorboard.h"
#include "bmfm/train/trainer.h"
#include "bmfm/train/training_loop.h"

namespace bmfm::train {
namespace fs = std::filesystem;

const config::Schema<LabelHeadConfig>& label_head_schema() {
  using L = LabelHeadConfig;
  static const auto schema =
      config::Schema<L>("label")
          .field("name", &L::name, "obs column")
          .field("kind", &L::kind, "classification | multilabel | regression")
          .field("separator", &L::separator, "multilabel: separator between a cell's labels")
          .field("loss", &L::loss, "auto (ce | bce | mse by kind) | ce | focal")
          .field("weight", &L::weight, "weight of this head's loss")
          .field("label_smoothing", &L::label_smoothing, "ce: label smoothing")
          .field("focal_gamma", &L::focal_gamma, "focal: gamma")
          .field("grl", &L::grl, "gradient reversal in front of the head (unlearn this label)")
          .field("grl_alpha", &L::grl_alpha, "gradient reversal strength")
          .field("silent_values", &L::silent_values, "values treated as missing")
          .check([](const L& l, const config::Config& cfg, const std::string& p) {
            if (l.name.empty()) config::fail(cfg, p + "name", "needs the obs column");
            config::require_one_of(cfg, p + "kind", l.kind, {"classification", "multilabel", "regression"});
            config::require_one_of(cfg, p + "loss", l.loss, {"auto", "ce", "focal", "bce", "mse"});
            const std::string fits = l.kind == "classification" ? "auto, ce or focal" : l.kind == "multilabel" ? "auto or bce" : "auto or mse";
            const bool ok = l.loss == "auto" || (l.kind == "classification" ? (l.loss == "ce" || l.loss == "focal")
                                                 : l.kind == "multilabel"   ? l.loss == "bce"
                                                                            : l.loss == "mse");
            if (!ok) config::fail(cfg, p + "loss", fmt::format("a {} label takes loss {}", l.kind, fits));
            if (l.label_smoothing > 0 && l.kind != "classification") config::fail(cfg, p + "label_smoothing", "classification only");
            if (l.separator.empty()) config::fail(cfg, p + "separator", "must not be empty");
            if (!(l.weight > 0)) config::fail(cfg, p + "weight", "must be positive");
            if (l.label_smoothing < 0 || l.label_smoothing >= 1) config::fail(cfg, p + "label_smoothing", "in [0, 1)");
            if (l.focal_gamma < 0) config::fail(cfg, p + "focal_gamma", "must be >= 0");
          });
  return schema;
}

TrainerConfig FinetuneConfig::default_trainer() {
  TrainerConfig t;
  t.max_steps = 0;
  t.max_epochs = 10;
  t.lr = 1e-4;
  t.warmup_steps = 0;
  t.val_every = 0;  // validation at epoch ends
  t.checkpoint_every = 0;
  t.early_stopping.monitor = "val/macro_f1";
  t.early_stopping.mode = "max";
  t.early_stopping.patience = 3;
  return t;
}

const config::Schema<FinetuneConfig>& finetune_schema() {
  using F = FinetuneConfig;
  static const auto schema =
      config::Schema<F>("finetune")
          .field("seed", &F::seed, "seed of the split, data order, initialisation and dropout")
          .field("threads", &F::threads, "torch intra-op threads; 0 = all available cores")
          .field("output_dir", &F::output_dir, "run folder: metrics, checkpoint")
          .field("checkpoint", &F::checkpoint, "pretrained checkpoint or run folder; '' = from scratch")
          .field("architecture", &F::architecture, "from scratch: a pretrain preset giving the data path and model")
          .field("architecture_overrides", &F::architecture_overrides, "overrides for it, e.g. [size=tiny]")
          .field("baseline", &F::baseline, "no network: pca_knn (kNN on the PCA baseline embedding)")
          .field("knn_k", &F::knn_k, "pca_knn: neighbours that vote")
          .field("input", &F::input, "h5ad with the cells and their labels")
          .field("gene_column", &F::gene_column, "var column with gene ids; '' = var index")
          .field("matrix", &F::matrix, "raw counts: X or layers/<name>")
          .field("labels", &F::labels, "label heads: [{name, loss, weight, label_smoothing, focal_gamma, grl, ...}]")
          .field("pooling", &F::pooling, "auto (the checkpoint's model.cell_pooling) | cls | mean | pooler")
          .field("head_layers", &F::head_layers, "1 (linear) | 2 (dense, GELU, dropout, linear)")
          .field("freeze", &F::freeze, "parameter-name prefixes kept fixed, e.g. [bert.embeddings]")
          .field("head_lr_multiplier", &F::head_lr_multiplier, "heads and pooler learn at lr x this")
          .section("split", &F::split, data::split_schema(), "train / validation / test split")
          .field("batch_size", &F::batch_size, "cells per batch")
          .field("loader_threads", &F::loader_threads, "threads building batches")
          .field("bootstrap", &F::bootstrap, "bootstrap resamples for 95% intervals; 0 = none")
          .section("trainer", &F::trainer, trainer_schema(), "optimisation (max_epochs, lr, early_stopping, ...)")
          .check([](const F& f, const config::Config& cfg, const std::string& p) {
            if (f.input.empty()) config::fail(cfg, p + "input", "required (--input FILE.h5ad)");
            if (f.labels.empty()) config::fail(cfg, p + "labels", "needs at least one label column");
            if (int(!f.checkpoint.empty()) + int(!f.architecture.empty()) + int(!f.baseline.empty()) != 1)
              config::fail(cfg, p + "checkpoint",
                           "set checkpoint (a pretrained model) or architecture (a preset, to train from scratch), "
                           "or baseline=pca_knn: exactly one");
            if (!f.baseline.empty()) config::require_one_of(cfg, p + "baseline", f.baseline, {"pca_knn"});
            if (f.knn_k < 1) config::fail(cfg, p + "knn_k", "must be >= 1");
            config::require_one_of(cfg, p + "pooling", f.pooling, {"auto", "cls", "mean", "pooler"});
            if (f.head_layers != 1 && f.head_layers != 2) config::fail(cfg, p + "head_layers", "1 or 2");
            if (!(f.head_lr_multiplier > 0)) config::fail(cfg, p + "head_lr_multiplier", "must be positive");
            if (f.batch_size < 1 || f.loader_threads < 1) config::fail(cfg, p + "batch_size", "batch_size, loader_threads >= 1");
            if (f.bootstrap < 0) config::fail(cfg, p + "bootstrap", "must be >= 0");
            const std::string& monitor = f.trainer.early_stopping.monitor;
            config::require_one_of(cfg, p + "trainer.early_stopping.monitor", monitor,
                                   {"val/macro_f1", "val/accuracy", "val/loss", "val/r2"});
            // The monitored metric is the first label's.
            if (!f.labels.empty() && f.labels[0].kind == "regression" && monitor != "val/loss" && monitor != "val/r2")
              config::fail(cfg, p + "trainer.early_stopping.monitor",
                           fmt::format("the first label ({}) is a regression label: monitor val/r2 (mode max) or val/loss",
                                       f.labels[0].name));
            if (!f.labels.empty() && f.labels[0].kind != "regression" && monitor == "val/r2")
              config::fail(cfg, p + "trainer.early_stopping.monitor", "val/r2 needs a regression label first");
            if (!f.baseline.empty())
              for (size_t i = 0; i < f.labels.size(); ++i)
                if (f.labels[i].kind != "classification")
                  config::fail(cfg, p + "labels[" + std::to_string(i) + "].kind",
                               "baseline=pca_knn labels classification columns only (not supported yet for " +
                                   f.labels[i].kind + ")");
            check_finetune_trainer(f.trainer, cfg, p + "trainer.");
          });
  return schema;
}

void check_finetune_trainer(const TrainerConfig& t, const config::Config& cfg, const std::string& p) {
  // Trainer keys the fine-tuning loop does not implement: refused, never silently ignored.
  const TrainerConfig d = FinetuneConfig::default_trainer();
  auto unsupported = [&](bool differs, const char* key) {
    if (differs) config::fail(cfg, p + key, "not supported yet by bmfm finetune (leave the default)");
  };
  // Validation scores every cell of the split (the metrics need all of them).
  unsupported(t.val_batches != d.val_batches, "val_batches");
  // The probe embeds with a pretraining model; the classifier's encoder is not one yet.
  unsupported(!t.probe.input.empty(), "probe.input");
  unsupported(t.probe.source != d.probe.source, "probe.source");
}

namespace {

// A preset path as given, else looked up in the config search path (so
// `configs/wced.yaml` and `wced` also work outside the repository root).
std::string find_architecture(const std::string& arch) {
  if (fs::exists(arch)) return arch;
  const fs::path p(arch);
  for (const auto& dir : config::default_config_dirs())
    for (const fs::path& c : {fs::path(dir) / p, fs::path(dir) / p.filename(), fs::path(dir) / (arch + ".yaml")})
      if (fs::is_regular_file(c)) return c.string();
  throw ConfigError(fmt::format("architecture: no preset {} (not a file, and not in the config search path)", arch));
}

PretrainConfig load_architecture(const FinetuneConfig& cfg) {
  return pretrain_schema().read_file(find_architecture(cfg.architecture), cfg.architecture_overrides);
}

// What one label head got right on a split (cells with a target only).
struct HeadEvaluation {
  std::vector<int32_t> y_true, y_pred;    // classification
  std::vector<uint8_t> ml_true, ml_pred;  // multilabel (n_ml, width) 0/1
  int64_t n_ml = 0;
  std::vector<double> r_true, r_pred;     // regression
};

struct Evaluation {
  double loss = 0;
  std::vector<HeadEvaluation> heads;
};

// The monitored number of the first head: accuracy / macro F1 (classification;
// multilabel: subset accuracy / macro F1), R2 (regression).
double monitor_value(const std::string& monitor, const model::LabelHeadSpec& spec, const HeadEvaluation& e) {
  if (spec.kind == "regression") return eval::regression_metrics(e.r_true, e.r_pred).r2;
  if (spec.kind == "multilabel") {
    const auto m = eval::multilabel_metrics(e.ml_true, e.ml_pred, e.n_ml, spec.width);
    return monitor == "val/accuracy" ? m.subset_accuracy : m.macro_f1;
  }
  const auto m = eval::annotation_metrics(e.y_true, e.y_pred, 0);
  return monitor == "val/accuracy" ? m.accuracy : m.macro_f1;
}

// Fine-tuning as a TrainingTask: the schedule (validation, early stopping on
// the first label's metric, logs, step checkpoints) is run_training_loop's.
class Run final : public TrainingTask {
 public:
  Run(const FinetuneConfig& cfg) : cfg_(cfg) {}
  FinetuneResult run(const std::string& config_yaml);

  double forward_backward() override;
  void discard_step() override;
  void optimizer_step(double lr) override;
  int64_t data_epoch() const override { return loader_->state().epoch; }
  Values take_train_values(double seconds) override;
  Values validate() override;
  // "best" is kept in memory (restored before the final scores and saved as
  // checkpoints/best then); step checkpoints are written as they come.
  void save(const std::string& name) override;
  void remove(const std::string& name) override { fs::remove_all(fs::path(cfg_.output_dir) / "checkpoints" / name); }
  void log(const LoopState& st, const std::string& split, const Values& v) override;

 private:
  at::Tensor loss_of(const std::vector<at::Tensor>& logits, const model::BatchTensors& bt) const;
  Evaluation evaluate(const data::CellSource& cells);
  void reuse_pretrained_heads(const LoadedModel& pretrained);
  void write_model(const std::string& name, int64_t best_epoch);
  FinetuneResult run_baseline(const io::CsrMatrix& X, const data::EncodedLabels& enc, const data::Split& split,
                              FinetuneResult result);

  const FinetuneConfig& cfg_;
  std::string config_yaml_;
  std::string pooling_;  // cfg_.pooling with auto resolved from the architecture
  std::vector<LossConfig> losses_;  // one label loss per head (objective.h)
  model::ModelShape heads_;         // .labels: the heads and where their targets are
  PretrainConfig arch_;
  data::Vocab vocab_;
  data::LabelDictionary dict_;
  std::unique_ptr<data::TransformPipeline> pipeline_;
  std::unique_ptr<data::Collator> collator_;
  at::Device device_{at::kCPU};
  bool bf16_ = false;
  model::ClassifierModel model_{nullptr};
  std::unique_ptr<AdamW> opt_;
  std::unique_ptr<data::Loader> loader_;
  const data::CellSource* val_ = nullptr;
  data::Batch batch_;
  LoopState s_;
  double loss_sum_ = 0;             // train loss since the last log line
  int64_t loss_steps_ = 0, cells_ = 0;
  double grad_norm_ = 0;
  std::vector<at::Tensor> best_state_;
  int64_t best_epoch_ = 0;
  std::unique_ptr<MetricLog> metrics_;
  std::unique_ptr<TensorBoardWriter> tb_;
};

at::Tensor Run::loss_of(const std::vector<at::Tensor>& outputs, const model::BatchTensors& bt) const {
  model::ModelOutputs out;
  out.labels = outputs;
  return compute_objective(losses_, heads_, out, bt).total;
}

Evaluation Run::evaluate(const data::CellSource& cells) {
  Evaluation ev;
  ev.heads.resize(cfg_.labels.size());
  if (cells.n_cells() == 0) return ev;
  model_->eval();
  torch::NoGradGuard no_grad;
  data::LoaderConfig lc;
  lc.batch_size = cfg_.batch_size;
  lc.threads = 1;
  lc.shuffle = false;
  lc.seed = cfg_.seed;
  lc.rank = 0;
  lc.world_size = 1;
  data::Loader loader(cells, *pipeline_, *collator_, dict_.layout(), lc);
  data::Batch batch;
  double loss_sum = 0;
  for (int64_t b = 0; b < loader.batches_per_epoch(); ++b) {
    loader.next(batch);
    const model::BatchTensors bt = model::to_tensors(batch, device_);
    std::vector<at::Tensor> logits;
    {
      model::compat::AutocastGuard ac(device_.type(), bf16_);
      logits = model_->forward(bt);
    }
    loss_sum += loss_of(logits, bt).item<double>() * static_cast<double>(batch.B);
    for (size_t h = 0; h < logits.size(); ++h) {
      const model::LabelHeadSpec& s = heads_.labels[h];
      HeadEvaluation& e = ev.heads[h];
      if (s.kind == "classification") {
        at::Tensor pred = logits[h].argmax(1).to(at::kCPU);
        for (int64_t r = 0; r < batch.B; ++r) {
          const int32_t y = batch.class_labels[static_cast<size_t>(r * batch.C + s.offset)];
          if (y < 0) continue;
          e.y_true.push_back(y);
          e.y_pred.push_back(static_cast<int32_t>(pred[r].item<int64_t>()));
        }
      } else if (s.kind == "multilabel") {
        // sigmoid(z) > 0.5 <=> z > 0
        at::Tensor pred = logits[h].gt(0).to(at::kByte).to(at::kCPU).contiguous();
        for (int64_t r = 0; r < batch.B; ++r) {
          const float* y = batch.multilabel.data() + r * batch.M + s.offset;
          if (y[0] == -100.0f) continue;
          for (int64_t j = 0; j < s.width; ++j)
            e.ml_true.push_back(y[j] > 0.5f), e.ml_pred.push_back(pred.data_ptr<uint8_t>()[r * s.width + j]);
          ++e.n_ml;
        }
      } else {
        at::Tensor pred = logits[h].to(at::kFloat).to(at::kCPU).contiguous();
        for (int64_t r = 0; r < batch.B; ++r) {
          const size_t k = static_cast<size_t>(r * batch.R + s.offset);
          if (!batch.regression_mask[k]) continue;
          e.r_true.push_back(batch.regression[k]);
          e.r_pred.push_back(pred.data_ptr<float>()[r]);
        }
      }
    }
  }
  ev.loss = loss_sum / static_cast<double>(cells.n_cells());
  model_->train();
  return ev;
}

// A multitask checkpoint's label head for the same column, with the same kind
// and the same classes in the same order, starts the fine-tuning head (and its
// pooler, when both pool the same way); any other head starts fresh.
void Run::reuse_pretrained_heads(const LoadedModel& pretrained) {
  if (pretrained.model->shape().labels.empty()) return;
  auto src = pretrained.model->named_parameters();
  auto dst = model_->named_parameters();
  torch::NoGradGuard ng;
  auto copy_prefix = [&](const std::string& prefix) {
    int64_t n = 0;
    for (auto& p : dst)
      if (p.key().rfind(prefix, 0) == 0) {
        const at::Tensor* t = src.find(p.key());
        if (!t || !t->sizes().equals(p.value().sizes())) return int64_t{-1};
        ++n;
      }
    for (auto& p : dst)
      if (p.key().rfind(prefix, 0) == 0) p.value().copy_(src[p.key()]);
    return n;
  };
  if (pooling_ == pretrained.config.model.label_pooling && pooling_ == "pooler" && copy_prefix("label_heads.pooler.") > 0)
    spdlog::info("finetune: pooler from the checkpoint");
  for (size_t h = 0; h < heads_.labels.size(); ++h) {
    const model::LabelHeadSpec& s = heads_.labels[h];
    bool same = false;
    for (const auto& ps : pretrained.model->shape().labels)
      if (ps.name == s.name && ps.kind == s.kind && ps.width == s.width)
        same = pretrained.labels.column(s.name).classes == dict_.columns()[h].classes;
    if (!same || cfg_.head_layers != pretrained.config.model.label_head_layers) continue;
    if (copy_prefix("label_heads.heads." + model::label_head_key(s.name) + ".") > 0)
      spdlog::info("finetune: head '{}' from the checkpoint's multitask head", s.name);
  }
}

FinetuneResult Run::run_baseline(const io::CsrMatrix& X, const data::EncodedLabels& enc, const data::Split& split,
                                 FinetuneResult result) {
  // The PCA embedding of all cells (transductive, as a scanpy user computes it),
  // then each validation / test cell labelled by its nearest training cells.
  const eval::BaselineEmbedding pca = eval::baseline_embedding("pca", X);
  spdlog::info("finetune: baseline pca_knn: {} PCs of {} HVGs, k = {}", pca.n_dims, pca.hvg.size(), cfg_.knn_k);
  auto rows = [&](const std::vector<int64_t>& cells) {
    std::vector<float> out;
    out.reserve(cells.size() * static_cast<size_t>(pca.n_dims));
    for (int64_t c : cells) out.insert(out.end(), pca.X.begin() + c * pca.n_dims, pca.X.begin() + (c + 1) * pca.n_dims);
    return out;
  };
  const std::vector<float> tr = rows(split.train), va = rows(split.val), te = rows(split.test);
  const int64_t C = enc.layout.n_class_columns;
  for (size_t h = 0; h < cfg_.labels.size(); ++h) {
    auto labels_of = [&](const std::vector<int64_t>& cells) {
      std::vector<int32_t> y;
      for (int64_t c : cells) y.push_back(enc.class_labels[static_cast<size_t>(c * C) + h]);
      return y;
    };
    const std::vector<int32_t> ytr = labels_of(split.train);
    auto score = [&](const std::vector<float>& emb, const std::vector<int64_t>& cells) {
      eval::AnnotationMetrics m;
      if (cells.empty()) return m;
      const std::vector<int32_t> pred = eval::knn_classify({tr.data(), static_cast<int64_t>(split.train.size()), pca.n_dims},
                                                           ytr, {emb.data(), static_cast<int64_t>(cells.size()), pca.n_dims},
                                                           static_cast<int>(cfg_.knn_k));
      const std::vector<int32_t> y = labels_of(cells);
      std::vector<int32_t> yt, yp;
      for (size_t i = 0; i < y.size(); ++i)
        if (y[i] >= 0) yt.push_back(y[i]), yp.push_back(pred[i]);
      if (yt.empty()) return m;
      return eval::annotation_metrics(yt, yp, static_cast<int>(cfg_.bootstrap), static_cast<uint64_t>(cfg_.seed));
    };
    LabelResult lr;
    lr.name = cfg_.labels[h].name;
    lr.kind = "classification";
    lr.classes = dict_.columns()[h].classes;
    lr.val = score(va, split.val);
    lr.test = score(te, split.test);
    if (lr.test.n == 0) throw std::runtime_error(fmt::format("finetune: no test cell has a '{}' label", lr.name));
    spdlog::info("test {} (pca_knn): accuracy {:.4f}, macro F1 {:.4f} ({} cells)", lr.name, lr.test.accuracy,
                 lr.test.macro_f1, lr.test.n);
    result.labels.push_back(std::move(lr));
  }
  write_finetune_metrics(cfg_.output_dir, result, cfg_.bootstrap > 0);
  return result;
}

// grad_accum micro-batches, each loss scaled by 1 / grad_accum.
double Run::forward_backward() {
  opt_->zero_grad();
  double loss = 0;
  for (int64_t micro = 0; micro < cfg_.trainer.grad_accum; ++micro) {
    loader_->next(batch_);
    cells_ += batch_.B;
    const model::BatchTensors bt = model::to_tensors(batch_, device_);
    at::Tensor l;
    {
      model::compat::AutocastGuard ac(device_.type(), bf16_);
      l = loss_of(model_->forward(bt), bt) / static_cast<double>(cfg_.trainer.grad_accum);
    }
    l.backward();
    loss += l.item<double>();
  }
  loss_sum_ += loss;
  ++loss_steps_;
  return loss;
}

void Run::discard_step() {
  opt_->zero_grad();
  loss_sum_ = 0;
  loss_steps_ = cells_ = 0;
}

void Run::optimizer_step(double lr) {
  grad_norm_ = opt_->clip_grad_norm(cfg_.trainer.clip_grad_norm);
  opt_->step(lr);
}

Values Run::take_train_values(double seconds) {
  Values v{{"train/loss", loss_sum_ / static_cast<double>(std::max<int64_t>(loss_steps_, 1))},
           {"train/grad_norm", grad_norm_},
           {"train/cells_per_s", static_cast<double>(cells_) / seconds}};
  loss_sum_ = 0;
  loss_steps_ = cells_ = 0;
  return v;
}

// val/loss, and the first label's monitored metric (when it is not the loss).
Values Run::validate() {
  if (val_->n_cells() == 0) return {};
  const Evaluation ev = evaluate(*val_);
  Values v{{"val/loss", ev.loss}};
  const std::string& monitor = cfg_.trainer.early_stopping.monitor;
  if (monitor != "val/loss") v.emplace_back(monitor, monitor_value(monitor, heads_.labels[0], ev.heads[0]));
  return v;
}

void Run::save(const std::string& name) {
  if (name != "best") return write_model(name, 0);
  best_state_.clear();
  for (const auto& p : model_->parameters()) best_state_.push_back(p.detach().clone());
  best_epoch_ = s_.epoch + (loader_->state().batches_consumed > 0 ? 1 : 0);  // 1-based, as result.epochs
}

void Run::log(const LoopState& st, const std::string& split, const Values& v) {
  metrics_->write(st.step, st.epoch, split, v);
  tb_->add_scalars(v, st.step);
}

// The classifier as `bmfm predict` reads it: weights, vocabulary, labels and
// the encoder's architecture (from the checkpoint or the preset).
void Run::write_model(const std::string& name, int64_t best_epoch) {
  CheckpointContents c;
  c.meta = {{"kind", "classifier"}, {"best_epoch", best_epoch}, {"step", s_.step}, {"vocab_hash", vocab_.hash()},
            {"pooling", pooling_}, {"head_layers", cfg_.head_layers}};
  for (const auto& p : model_->named_parameters()) c.tensors.emplace_back("model/" + p.key(), p.value());
  c.files["vocab.json"] = vocab_.to_json();
  c.files["config.yaml"] = config_yaml_;
  YAML::Emitter arch;
  arch << pretrain_schema().defaults(arch_);
  c.files["architecture.yaml"] = std::string(arch.c_str()) + "\n";
  c.files["labels.json"] = dict_.to_json();
  write_checkpoint((fs::path(cfg_.output_dir) / "checkpoints" / name).string(), c);
}

FinetuneResult Run::run(const std::string& config_yaml) {
  FinetuneResult result;
  config_yaml_ = config_yaml;
  device_ = resolve_device(cfg_.trainer.device);
  bf16_ = use_bf16(cfg_.trainer.precision, device_);
  // ---- encoder: pretrained or fresh ----
  LoadedModel pretrained;
  int64_t gene_dim = 0;
  const io::H5adReader reader(cfg_.input);
  const io::DataFrame obs = reader.read_obs(), var = reader.read_var();
  const std::string genes_of =
      fmt::format("{} var {}", cfg_.input, cfg_.gene_column.empty() ? "index" : "'" + cfg_.gene_column + "'");
  if (!cfg_.checkpoint.empty()) {
    pretrained = load_checkpoint_model(cfg_.checkpoint, device_);
    arch_ = pretrained.config;
    vocab_ = pretrained.vocab;
    gene_dim = pretrained.model->bert()->embeddings()->gene_weight().size(1);
    spdlog::info("finetune: from checkpoint {} (step {})", pretrained.dir, pretrained.step);
  } else if (!cfg_.baseline.empty()) {
    vocab_ = data::Vocab::from_genes(data::union_genes({data::nonempty_gene_ids(io::gene_ids(var, cfg_.gene_column), genes_of)}));
  } else {
    arch_ = load_architecture(cfg_);
    data::VocabOptions vo;
    vo.depth_tokens = arch_.transforms.rda.mode != "none";
    vocab_ = data::Vocab::from_genes(data::union_genes({data::nonempty_gene_ids(io::gene_ids(var, cfg_.gene_column), genes_of)}), vo);
    spdlog::info("finetune: from scratch with the {} architecture ({} genes of {})", cfg_.architecture,
                 vocab_.n_genes(), cfg_.input);
  }
  // auto: read the cell the way the pretraining objective trained it.
  pooling_ = cfg_.pooling == "auto" ? arch_.model.cell_pooling : cfg_.pooling;
  // ---- cells, labels, split ----
  data::GeneMappingOptions gm;
  gm.column = cfg_.gene_column;
  const data::GeneMapping mapping = data::GeneMapping::from_var(var, vocab_, gm, cfg_.input);
  if (mapping.n_mapped() == 0)
    throw std::runtime_error(fmt::format("{}: none of its {} genes is in the model's vocabulary ({} genes)",
                                         cfg_.input, mapping.n_vars(), vocab_.n_genes()));
  spdlog::info("finetune: {}", mapping.summary());
  const io::CsrMatrix X = reader.read_matrix(cfg_.matrix);
  io::require_counts(X, cfg_.input + " " + cfg_.matrix);
  std::vector<data::LabelColumnConfig> columns;
  for (const auto& l : cfg_.labels) columns.push_back({l.name, l.kind, l.silent_values, l.separator});
  dict_ = data::LabelDictionary::build(obs, columns, cfg_.input);
  const data::EncodedLabels enc = data::encode_labels(obs, dict_, columns, cfg_.input);
  for (const auto& l : cfg_.labels) {
    LossConfig loss;
    loss.field = "label";
    loss.label = l.name;
    loss.kind = l.loss != "auto" ? l.loss : l.kind == "classification" ? "ce" : l.kind == "multilabel" ? "bce" : "mse";
    loss.weight = l.weight;
    loss.label_smoothing = l.label_smoothing;
    loss.focal_gamma = l.focal_gamma;
    loss.grl_alpha = l.grl ? l.grl_alpha : 0.0;
    heads_.labels.push_back(label_head_spec(dict_, loss));
    losses_.push_back(loss);
  }
  const int64_t n = reader.n_obs(), C = enc.layout.n_class_columns;
  // Stratification follows the first classification label.
  std::vector<int32_t> first(static_cast<size_t>(n), -100);
  if (C > 0)
    for (int64_t i = 0; i < n; ++i) first[static_cast<size_t>(i)] = enc.class_labels[static_cast<size_t>(i * C)];
  else if (cfg_.split.mode == "stratified")
    throw std::runtime_error("finetune: split.mode=stratified needs a classification label (labels[].kind); "
                             "use split.mode=random or column");
  std::vector<std::string> split_values;
  if (cfg_.split.mode == "column") {
    const io::Column& col = obs.at(cfg_.split.column);
    for (int64_t i = 0; i < n; ++i) split_values.push_back(col.text(i));
  }
  const data::Split split = data::make_split(n, cfg_.split, static_cast<uint64_t>(cfg_.seed), first, split_values);
  result.n_train = static_cast<int64_t>(split.train.size());
  result.n_val = static_cast<int64_t>(split.val.size());
  result.n_test = static_cast<int64_t>(split.test.size());
  spdlog::info("finetune: split {}: {} train, {} validation, {} test cells", cfg_.split.mode, result.n_train,
               result.n_val, result.n_test);
  if (!cfg_.baseline.empty()) return run_baseline(X, enc, split, result);
  const data::MemoryCellSource all(X, mapping, &enc);
  const data::SubsetCellSource train(all, split.train), val(all, split.val), test(all, split.test);
  pipeline_ = std::make_unique<data::TransformPipeline>(inference_transforms(arch_), vocab_);
  collator_ = std::make_unique<data::Collator>(vocab_, inference_collator(arch_), dict_.layout(),
                                               static_cast<uint64_t>(cfg_.seed));
  // ---- model ----
  {
    model::DeterministicInit init(static_cast<uint64_t>(cfg_.seed));  // same weights for a seed, whatever the threads
    model_ = model::ClassifierModel(arch_.model, model_shape(vocab_, arch_.collator(), arch_.losses, nullptr), gene_dim,
                                    pooling_, cfg_.head_layers, heads_.labels);
  }
  if (pretrained.model) {
    torch::NoGradGuard ng;
    auto src = pretrained.model->bert()->named_parameters();
    for (auto& p : model_->bert()->named_parameters()) p.value().copy_(src[p.key()]);
    reuse_pretrained_heads(pretrained);
  }
  model_->to(device_);
  int64_t frozen = 0;
  for (auto& p : model_->named_parameters())
    for (const auto& prefix : cfg_.freeze)
      if (p.key().rfind(prefix, 0) == 0) p.value().requires_grad_(false), frozen += p.value().numel();
  if (!cfg_.freeze.empty()) spdlog::info("finetune: {} parameters frozen ({})", frozen, fmt::join(cfg_.freeze, ", "));
  opt_ = std::make_unique<AdamW>(*model_, AdamWOptions{cfg_.trainer.betas[0], cfg_.trainer.betas[1], cfg_.trainer.eps,
                                                       cfg_.trainer.weight_decay});
  opt_->set_lr_scale([](const std::string& name) { return name.rfind("label_heads.", 0) == 0; },
                     cfg_.head_lr_multiplier);

  // ---- training: the shared loop (validation at epoch ends unless val_every; best kept) ----
  data::LoaderConfig lc;
  lc.batch_size = cfg_.batch_size;
  lc.threads = cfg_.loader_threads;
  lc.shuffle = true;
  lc.seed = cfg_.seed;
  lc.rank = 0;
  lc.world_size = 1;
  loader_ = std::make_unique<data::Loader>(train, *pipeline_, *collator_, dict_.layout(), lc);
  val_ = &val;
  const int64_t per_epoch_steps = std::max<int64_t>(1, loader_->batches_per_epoch() / cfg_.trainer.grad_accum);
  LoopOptions lo;
  lo.label = "finetune";
  lo.max_steps = total_steps(cfg_.trainer, per_epoch_steps);
  // Losses are minimised whatever the mode says; metrics follow trainer.early_stopping.mode.
  lo.maximize = cfg_.trainer.early_stopping.monitor != "val/loss" && cfg_.trainer.early_stopping.mode == "max";
  metrics_ = std::make_unique<MetricLog>(cfg_.output_dir);
  tb_ = std::make_unique<TensorBoardWriter>((fs::path(cfg_.output_dir) / "tensorboard").string());
  model_->train();
  run_training_loop(*this, cfg_.trainer, lo, s_);
  result.epochs = s_.epoch + (loader_->state().batches_consumed > 0 ? 1 : 0);  // a started epoch counts
  if (!best_state_.empty()) {
    torch::NoGradGuard ng;
    auto params = model_->parameters();
    for (size_t i = 0; i < params.size(); ++i) params[i].copy_(best_state_[i]);
    result.best_epoch = best_epoch_;
  } else {
    result.best_epoch = result.epochs;
  }
  // ---- scores of the kept model ----
  const Evaluation ev_val = evaluate(val), ev_test = evaluate(test);
  for (size_t h = 0; h < cfg_.labels.size(); ++h) {
    LabelResult lr;
    lr.name = cfg_.labels[h].name;
    lr.kind = cfg_.labels[h].kind;
    lr.classes = dict_.columns()[h].classes;
    const HeadEvaluation &hv = ev_val.heads[h], &ht = ev_test.heads[h];
    if (lr.kind == "regression") {
      lr.reg_val = eval::regression_metrics(hv.r_true, hv.r_pred);
      lr.reg_test = eval::regression_metrics(ht.r_true, ht.r_pred);
      if (lr.reg_test.n == 0) throw std::runtime_error(fmt::format("finetune: no test cell has a '{}' value", lr.name));
      spdlog::info("test {}: MSE {:.4g}, MAE {:.4g}, R2 {:.4f}, Pearson r {:.4f} ({} cells)", lr.name, lr.reg_test.mse,
                   lr.reg_test.mae, lr.reg_test.r2, lr.reg_test.pearson, lr.reg_test.n);
      result.labels.push_back(std::move(lr));
      continue;
    }
    if (lr.kind == "multilabel") {
      const int64_t k = heads_.labels[h].width;
      lr.ml_val = eval::multilabel_metrics(hv.ml_true, hv.ml_pred, hv.n_ml, k);
      lr.ml_test = eval::multilabel_metrics(ht.ml_true, ht.ml_pred, ht.n_ml, k);
      if (lr.ml_test.n == 0) throw std::runtime_error(fmt::format("finetune: no test cell has '{}' labels", lr.name));
      spdlog::info("test {}: subset accuracy {:.4f}, micro F1 {:.4f}, macro F1 {:.4f} ({} cells)", lr.name,
                   lr.ml_test.subset_accuracy, lr.ml_test.micro_f1, lr.ml_test.macro_f1, lr.ml_test.n);
      result.labels.push_back(std::move(lr));
      continue;
    }
    if (!hv.y_true.empty())
      lr.val = eval::annotation_metrics(hv.y_true, hv.y_pred, static_cast<int>(cfg_.bootstrap),
                                        static_cast<uint64_t>(cfg_.seed));
    if (ht.y_true.empty())
      throw std::runtime_error(fmt::format("finetune: no test cell has a '{}' label", lr.name));
    lr.test = eval::annotation_metrics(ht.y_true, ht.y_pred, static_cast<int>(cfg_.bootstrap),
                                       static_cast<uint64_t>(cfg_.seed));
    if (cfg_.bootstrap > 0)
      spdlog::info("test {}: accuracy {:.4f} [{:.4f}, {:.4f}], macro F1 {:.4f} [{:.4f}, {:.4f}] ({} cells)", lr.name,
                   lr.test.accuracy, lr.test.accuracy_lo, lr.test.accuracy_hi, lr.test.macro_f1, lr.test.macro_f1_lo,
                   lr.test.macro_f1_hi, lr.test.n);
    else
      spdlog::info("test {}: accuracy {:.4f}, macro F1 {:.4f} ({} cells)", lr.name, lr.test.accuracy,
                   lr.test.macro_f1, lr.test.n);
    result.labels.push_back(std::move(lr));
  }
  write_finetune_metrics(cfg_.output_dir, result, cfg_.bootstrap > 0);
  // ---- the fine-tuned model, for `bmfm predict` ----
  write_model("best", result.best_epoch);
  return result;
}

}  // namespace

FinetuneResult finetune(const FinetuneConfig& cfg, const std::string& config_yaml) {
  Run run(cfg);
  return run.run(config_yaml);
}

}  // namespace bmfm::train

#include "bmfm/train/trainer.h"
#include "bmfm/train/process_group.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/autograd.h>
#include <torch/cuda.h>

#include "bmfm/data/pretrained_genes.h"
#include "bmfm/io/h5ad.h"
#include "bmfm/model/compat.h"
#include "bmfm/model/runtime.h"
#include "bmfm/train/adamw.h"
#include "bmfm/train/checkpoint.h"
#include "bmfm/train/checkpoint_model.h"
#include "bmfm/train/embed.h"
#include "bmfm/eval/benchmark.h"
#include "bmfm/eval/embedding_health.h"
#include "bmfm/train/metric_log.h"
#include "bmfm/train/progress.h"
#include "bmfm/train/tensorboard.h"
#include "bmfm/train/training_loop.h"

namespace bmfm::train {
namespace fs = std::filesystem;

at::Device resolve_device(const std::string& name) {
  if (name == "cpu") return at::Device(at::kCPU);
  if (name == "auto") return torch::cuda::is_available() ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU);
  if (!torch::cuda::is_available())
    throw std::runtime_error(fmt::format("trainer.device={}: this libtorch has no usable CUDA device", name));
  return at::Device(name);
}

bool use_bf16(const std::string& precision, const at::Device& device) {
  if (precision == "fp32") return false;
  if (precision == "bf16") {
    if (device.is_cpu() && !model::runtime_info(false).cpu_bf16)
      spdlog::warn("trainer.precision=bf16 on a CPU without native bf16: expect it to be slow");
    return true;
  }
  // auto: bf16 on CUDA, and on CPUs with native bf16 dot products (measured
  // faster for training here: docs/performance.md).
  return device.is_cuda() || model::runtime_info(false).cpu_bf16;
}

model::PretrainModel build_model(const PretrainConfig& cfg, const PretrainData& data, const at::Device& device) {
  const model::ModelShape shape = model_shape(data.vocab(), cfg.collator(), cfg.losses, &data.corpus->labels());
  const auto& ge = cfg.model.gene_embedding;
  data::AlignedGeneEmbedding aligned;
  int64_t gene_dim = cfg.model.hidden_size;
  if (!ge.file.empty()) {
    aligned = data::align_to_vocab(data::load_pretrained_genes(ge.file, ge.genes_file), data.vocab());
    gene_dim = aligned.dim;
    spdlog::info("model: gene embedding from {}: {} of {} genes covered ({}-d{}){}", ge.file, aligned.n_covered,
                 data.vocab().n_genes(), aligned.dim,
                 aligned.dim != cfg.model.hidden_size ? fmt::format(", projected to {}", cfg.model.hidden_size) : "",
                 ge.freeze_covered ? ", covered rows frozen" : "");
  }
  model::PretrainModel m{nullptr};
  {
    model::DeterministicInit init(static_cast<uint64_t>(cfg.seed));  // same weights for a seed, whatever the threads
    m = model::PretrainModel(cfg.model, shape, gene_dim);
  }
  if (!ge.file.empty()) m->bert()->embeddings()->init_gene_rows(aligned.values, aligned.covered, ge.freeze_covered);
  if (shape.wced_width > 0 && cfg.wced.bias_init == "data") {
    const data::WcedGeneStats stats = data::wced_gene_stats(*data.train, data.vocab(), cfg.wced, cfg.wced.bias_init_cells);
    // An mse that scores zeros too is minimised by the mean over all cells,
    // zeros included: fraction expressed x mean where expressed.
    std::vector<float> value = stats.value_mean;
    for (const auto& l : cfg.losses)
      if (l.field == "wced" && l.kind == "mse" && l.include_zeros)
        for (size_t j = 0; j < value.size(); ++j) value[j] *= stats.expressed[j];
    m->init_wced_bias(value, stats.zero_logit);
    spdlog::info("model: WCED decoder starts at the per-gene means of {} training cells (wced.bias_init=data)",
                 stats.n_cells);
  }
  m->to(device);
  return m;
}

LossTerms forward_backward(model::PretrainModel& model, const std::vector<LossConfig>& losses,
                           const model::BatchTensors& batch, bool bf16, double scale, const ViewGather& gather) {
  LossTerms terms;
  {
    model::compat::AutocastGuard autocast(batch.gene_ids.device().type(), bf16);
    const model::ModelOutputs out = model->forward(batch);
    terms = compute_objective(losses, model->shape(), out, batch, gather);
  }
  (terms.total * scale).backward();
  terms.total = terms.total.detach();
  for (auto& t : terms.terms) t.second = t.second.detach();
  return terms;
}

namespace {


// Running sums of the loss terms between two log lines (kept on the device:
// no host sync per micro-batch).
struct TermAverager {
  std::vector<std::string> names;
  std::vector<at::Tensor> sums;
  at::Tensor total;
  int64_t n = 0;
  void add(const LossTerms& t) {
    if (sums.empty())
      for (const auto& [k, v] : t.terms) names.push_back(k), sums.push_back(at::zeros_like(v));
    for (size_t i = 0; i < t.terms.size(); ++i) sums[i] += t.terms[i].second;
    total = total.defined() ? total + t.total : t.total.clone();
    ++n;
  }
  // Means since the last take; with several ranks, over all ranks' batches
  // (every rank calls it at the same step).
  Values take(const std::string& prefix, ProcessGroup* pg) {
    Values out;
    std::vector<double> raw{static_cast<double>(n), n > 0 ? total.item<double>() : 0.0};
    for (auto& s : sums) raw.push_back(s.item<double>());
    if (pg) raw = pg->allreduce_sum(raw);
    if (raw[0] > 0) {
      out.emplace_back(prefix + "loss", raw[1] / raw[0]);
      for (size_t i = 0; i < names.size(); ++i) out.emplace_back(prefix + names[i], raw[2 + i] / raw[0]);
    }
    for (auto& s : sums) s.zero_();
    total = at::Tensor();
    n = 0;
    return out;
  }
};

std::string read_text(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// All ranks' (B, D) projections as (W B, D) in rank order: a sum all-reduce
// of a zero buffer where each rank fills its own block (the projections are
// small), then this rank's block replaced by its differentiable input.
ViewGather rank_gather(ProcessGroup* pg) {
  return [pg](const at::Tensor& local, int64_t& world) {
    world = pg->world_size();
    const int64_t B = local.size(0), r = pg->rank();
    const auto sizes = pg->allreduce_sum({static_cast<double>(B)});
    if (static_cast<int64_t>(sizes[0]) != world * B)
      throw std::runtime_error(fmt::format("contrastive loss: rank {} has {} rows but the ranks hold {} in all; every "
                                           "rank needs the same batch size", r, B, static_cast<int64_t>(sizes[0])));
    at::Tensor buf = at::zeros({world, B, local.size(1)}, local.options().dtype(at::kFloat));
    buf.select(0, r).copy_(local.detach());
    pg->allreduce_mean({buf});
    buf = buf * static_cast<double>(world);
    std::vector<at::Tensor> blocks;
    for (int64_t k = 0; k < world; ++k) blocks.push_back(k == r ? local.to(at::kFloat) : buf.select(0, k));
    return at::cat(blocks);
  };
}

// Pretraining as a TrainingTask: what a step, a validation, a probe and a
// checkpoint are; the schedule is run_training_loop's (training_loop.h).
class Run final : public TrainingTask {
 public:
  Run(const PretrainConfig& cfg, PretrainData& data, std::string out_dir, std::string config_yaml, ProcessGroup* pg)
      : cfg_(cfg), t_(cfg.trainer), data_(data), out_(std::move(out_dir)), config_yaml_(std::move(config_yaml)),
        pg_(pg && pg->world_size() > 1 ? pg : nullptr), main_(!pg_ || pg_->is_main()),
        device_(rank_device(resolve_device(t_.device), pg_)), bf16_(use_bf16(t_.precision, device_)),
        model_(build_model(cfg, data, device_)),
        opt_(*model_, {t_.betas[0], t_.betas[1], t_.eps, t_.weight_decay}) {
    if (pg_) gather_ = rank_gather(pg_);
  }

  PretrainResult run(const std::string& resume_dir);

  double forward_backward() override;
  void discard_step() override;
  void optimizer_step(double lr) override;
  int64_t data_epoch() const override { return loader_state_.epoch; }
  Values take_train_values(double seconds) override;
  Values validate() override;
  Values probe() override;
  void save(const std::string& name) override;
  void remove(const std::string& name) override { fs::remove_all(fs::path(out_) / "checkpoints" / name); }
  void log(const LoopState& s, const std::string& split, const Values& v) override;

 private:
  void load(const std::string& dir);

  // One GPU per local rank (LOCAL_RANK) when several ranks share a machine.
  static at::Device rank_device(const at::Device& d, ProcessGroup* pg) {
    return d.is_cuda() && pg ? at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(pg->env().local_rank)) : d;
  }

  const PretrainConfig& cfg_;
  const TrainerConfig& t_;
  PretrainData& data_;
  std::string out_, config_yaml_;
  ProcessGroup* pg_;  // nullptr: one process
  bool main_;         // rank 0 (or the only process): writes logs and checkpoints
  at::Device device_;
  bool bf16_;
  model::PretrainModel model_;
  AdamW opt_;
  LoopState s_;                     // step, epoch, best: the loop's, saved in checkpoints
  data::LoaderState loader_state_;  // where the training data is, saved in checkpoints
  std::unique_ptr<data::Loader> loader_;
  data::Batch batch_;
  TermAverager train_avg_;
  int64_t cells_ = 0, tokens_ = 0;  // since the last train log line
  double grad_norm_ = 0;
  std::unique_ptr<MetricLog> metrics_;
  std::unique_ptr<TensorBoardWriter> tb_;
  ViewGather gather_;  // several ranks: contrastive negatives from all of them
  std::unique_ptr<LoadedModel> probe_model_;  // the training model seen as a checkpoint (shares its weights)
};

// A probe that cannot run should stop the run before its first step, not at
// the first probe minutes later: the file and its obs columns are checked here.
void check_probe(const ProbeConfig& pc) {
  if (pc.input.empty()) return;
  if (!fs::exists(pc.input))
    throw std::runtime_error(fmt::format("trainer.probe.input: {} does not exist", pc.input));
  const io::DataFrame obs = io::H5adReader(pc.input).read_obs();
  for (const auto& [key, column] : {std::pair<std::string, std::string>{"label_key", pc.label_key},
                                    std::pair<std::string, std::string>{"batch_key", pc.batch_key}}) {
    if (column.empty()) continue;
    if (!obs.find(column))
      throw std::runtime_error(fmt::format("trainer.probe.{}: {} has no obs column '{}'", key, pc.input, column));
  }
}

void Run::log(const LoopState& st, const std::string& split, const Values& v) {
  if (!main_) return;
  metrics_->write(st.step, st.epoch, split, v);
  tb_->add_scalars(v, st.step);
}

Values Run::validate() {
  // Each rank validates its share of the split (loader_config); means are over all ranks.
  if (data_.val->n_cells() < (pg_ ? pg_->world_size() : 1)) return {};
  model_->eval();
  torch::NoGradGuard no_grad;
  data::Loader loader(*data_.val, *data_.pipeline, *data_.collator, data_.label_layout(),
                      data_.loader_config(cfg_, /*train=*/false));
  const int64_t n = t_.val_batches > 0 ? std::min(t_.val_batches, loader.batches_per_epoch()) : loader.batches_per_epoch();
  TermAverager avg;
  data::Batch batch;
  for (int64_t i = 0; i < n; ++i) {
    loader.next(batch);
    const model::BatchTensors bt = model::to_tensors(batch, device_);
    model::compat::AutocastGuard autocast(device_.type(), bf16_);
    avg.add(compute_objective(cfg_.losses, model_->shape(), model_->forward(bt), bt));
  }
  model_->train();
  return avg.take("val/", pg_);
}

// Where a classification label column of the corpus sits in each cell's label
// words (classification columns come first, in dictionary order).
size_t class_word(const data::LabelDictionary& dict, const std::string& column, const std::string& key) {
  int64_t word = -1, k = 0;
  std::vector<std::string> names;
  for (const auto& c : dict.columns()) {
    if (c.kind != data::LabelKind::Classification) continue;
    names.push_back(c.name);
    if (c.name == column) word = k;
    ++k;
  }
  if (word < 0)
    throw std::runtime_error(fmt::format(
        "trainer.probe.{}: '{}' is not a classification label column of the corpus (it has: {}); add it to "
        "data.label_columns", key, column, names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
  return static_cast<size_t>(word);
}

// Per-cell codes of one label word; -100 where missing.
std::vector<int32_t> corpus_label_codes(const data::CellSource& cells, size_t word) {
  std::vector<int32_t> codes(static_cast<size_t>(cells.n_cells()));
  data::CellRecord rec;
  for (int64_t i = 0; i < cells.n_cells(); ++i) {
    cells.read(i, rec);
    codes[static_cast<size_t>(i)] = rec.labels.at(word);
  }
  return codes;
}

Values Run::probe() {
  const ProbeConfig& pc = t_.probe;
  if (!probe_model_) {
    probe_model_ = std::make_unique<LoadedModel>();
    probe_model_->dir = out_;
    probe_model_->config = cfg_;
    probe_model_->vocab = data_.vocab();
    probe_model_->model = model_;  // a holder: the same module, not a copy
  }
  probe_model_->step = s_.step;
  const LoadedModel& m = *probe_model_;
  const bool bf16 = bf16_;
  eval::ScibMetrics s;
  eval::EmbeddingHealth h;
  const std::string what = pc.source == "validation" ? "the validation split" : pc.input;
  if (pc.source == "validation") {
    // The corpus's own held-out cells: embedded in memory, scored directly.
    const data::CellSource& cells = *data_.val;
    const data::LabelDictionary& dict = data_.corpus->labels();
    const std::vector<int32_t> labels = corpus_label_codes(cells, class_word(dict, pc.label_key, "label_key"));
    const std::vector<int32_t> batches = pc.batch_key.empty()
        ? std::vector<int32_t>(labels.size(), 0)
        : corpus_label_codes(cells, class_word(dict, pc.batch_key, "batch_key"));
    const std::string pooling = pc.pooling == "auto" ? cfg_.model.cell_pooling : pc.pooling;
    const io::DenseMatrix X = embed_source(m, cells, {pooling}, pc.batch_size, 1, bf16, /*progress=*/false);
    std::vector<int64_t> keep;  // cells with a label and a batch
    for (size_t i = 0; i < labels.size(); ++i)
      if (labels[i] >= 0 && batches[i] >= 0) keep.push_back(static_cast<int64_t>(i));
    if (keep.size() < 3)
      throw std::runtime_error(fmt::format("trainer.probe: the validation split has {} cell(s) with a '{}' label; "
                                           "too few to score (more data.val_fraction?)", keep.size(), pc.label_key));
    std::vector<float> sub(keep.size() * static_cast<size_t>(X.n_cols));
    std::vector<int32_t> l, b;
    for (size_t r = 0; r < keep.size(); ++r) {
      std::copy_n(X.data.begin() + keep[r] * X.n_cols, X.n_cols, sub.begin() + static_cast<int64_t>(r) * X.n_cols);
      l.push_back(labels[static_cast<size_t>(keep[r])]);
      b.push_back(batches[static_cast<size_t>(keep[r])]);
    }
    const eval::EmbeddingView view{sub.data(), static_cast<int64_t>(keep.size()), X.n_cols};
    std::set<int32_t> distinct(l.begin(), l.end());
    if (distinct.size() < 2)
      throw std::runtime_error(fmt::format("trainer.probe: the validation split has one '{}' class only", pc.label_key));
    eval::ScibOptions so;
    so.knn.seed = static_cast<uint64_t>(cfg_.seed);  // as the zero-shot benchmark (Leiden keeps scanpy's seed 0)
    s = eval::scib_metrics(view, l, b, so);
    h = eval::embedding_health(view);
  } else {
    eval::DatasetSpec spec;
    spec.name = "probe";
    spec.path = pc.input;
    spec.label_key = pc.label_key;
    spec.batch_key = pc.batch_key;
    spec.gene_column = pc.gene_column;
    spec.counts = pc.matrix;
    eval::ZeroShotOptions zo;
    zo.methods = {"checkpoint"};
    zo.umap = false;
    zo.seed = static_cast<uint64_t>(cfg_.seed);
    zo.embed_checkpoint = [&m, &pc, bf16](const eval::DatasetSpec& ds) {
      EmbedConfig e;
      e.input = ds.path;
      e.gene_column = ds.gene_column;
      e.matrix = ds.counts;
      e.pooling = {pc.pooling};
      e.batch_size = pc.batch_size;
      e.loader_threads = 1;
      e.precision = bf16 ? "bf16" : "fp32";
      e.progress = false;
      return embed_cells(m, e).values;
    };
    const eval::DatasetResult r = eval::run_zero_shot(spec, zo, {});
    model_->train();  // embed_cells switched it to eval mode
    const std::string& error = !r.error.empty() ? r.error : r.methods.at(0).error;
    if (!error.empty()) throw std::runtime_error(fmt::format("trainer.probe: {}: {}", pc.input, error));
    s = r.methods.at(0).metrics;
    h = r.methods.at(0).health;
  }
  Values v{{"probe/NMI", s.nmi},
           {"probe/ARI", s.ari},
           {"probe/ASW_label", s.asw_label},
           {"probe/AvgBio", s.avg_bio},
           {"probe/effective_rank", h.participation_ratio},
           {"probe/spread", h.spread},
           {"probe/mean_std", h.mean_std},
           {"probe/mean_cosine", h.mean_cosine}};
  if (!pc.batch_key.empty()) {
    v.emplace_back("probe/ASW_batch", s.asw_batch);
    v.emplace_back("probe/graph_conn", s.graph_conn);
  }
  spdlog::info("step {}: probe NMI {:.3f} ARI {:.3f} ASW_label {:.3f} ({}); {}", s_.step, s.nmi, s.ari, s.asw_label,
               what, eval::health_summary(h));
  if (!h.collapse.empty())
    spdlog::warn("step {}: the probe embedding looks collapsed: {}", s_.step, h.collapse);
  return v;
}

void Run::save(const std::string& name) {
  if (!main_) return;  // every rank holds the same weights and optimizer state
  CheckpointContents c;
  c.meta = {{"step", s_.step},
            {"epoch", s_.epoch},
            {"loader", {{"epoch", loader_state_.epoch}, {"batches_consumed", loader_state_.batches_consumed}}},
            {"optimizer", {{"type", "adamw"}, {"steps", opt_.steps()}}},
            {"best", {{"monitor", t_.early_stopping.monitor}, {"value", std::isnan(s_.best) ? nlohmann::json() : nlohmann::json(s_.best)},
                      {"step", s_.best_step}, {"bad_validations", s_.bad_validations}}},
            {"vocab_hash", data_.vocab().hash()},
            {"world_size", pg_ ? pg_->world_size() : 1},
            {"bmfm_version", model::runtime_info(false).bmfm_version},
            {"torch_version", model::runtime_info(false).torch_version}};
  for (const auto& p : model_->named_parameters()) c.tensors.emplace_back("model/" + p.key(), p.value());
  for (const auto& b : model_->named_buffers()) c.tensors.emplace_back("buffer/" + b.key(), b.value());
  for (const auto& p : opt_.params()) {
    c.tensors.emplace_back("optim/exp_avg/" + p.name, p.exp_avg);
    c.tensors.emplace_back("optim/exp_avg_sq/" + p.name, p.exp_avg_sq);
  }
  c.tensors.emplace_back("rng/cpu", at::detail::getDefaultCPUGenerator().get_state());
  // Dropout on a GPU draws from the device's generator: saved too, for an exact resume there.
  if (device_.is_cuda()) c.tensors.emplace_back("rng/cuda", at::globalContext().defaultGenerator(device_).get_state());
  c.files["config.yaml"] = config_yaml_;
  c.files["vocab.json"] = read_text(fs::path(data_.corpus->dir()) / "vocab.json");
  if (!data_.corpus->labels().columns().empty()) c.files["labels.json"] = data_.corpus->labels().to_json();
  write_checkpoint((fs::path(out_) / "checkpoints" / name).string(), c);
}

void Run::load(const std::string& dir) {
  const CheckpointContents c = read_checkpoint(dir);
  const std::string hash = c.meta.value("vocab_hash", "");
  if (hash != data_.vocab().hash())
    throw std::runtime_error(fmt::format(
        "checkpoint {}: vocabulary hash {} differs from the corpus's {} (a different gene vocabulary: ids would "
        "mean other genes)", dir, hash, data_.vocab().hash()));
  std::map<std::string, const at::Tensor*> saved;
  for (const auto& [k, t] : c.tensors) saved[k] = &t;
  torch::NoGradGuard no_grad;
  auto copy_into = [&](const std::string& key, at::Tensor& dst) {
    auto it = saved.find(key);
    if (it == saved.end())
      throw std::runtime_error(fmt::format("checkpoint {}: no tensor '{}' (saved by a different model config?)", dir, key));
    if (!it->second->sizes().equals(dst.sizes()))
      throw std::runtime_error(fmt::format("checkpoint {}: '{}' has shape [{}], the model's is [{}]", dir, key,
                                           fmt::join(it->second->sizes(), ", "), fmt::join(dst.sizes(), ", ")));
    dst.copy_(*it->second);
  };
  for (auto& p : model_->named_parameters()) copy_into("model/" + p.key(), p.value());
  for (auto& b : model_->named_buffers()) copy_into("buffer/" + b.key(), b.value());
  NamedTensors m, v;
  for (const auto& p : opt_.params()) {
    m.emplace_back(p.name, find_tensor(c, "optim/exp_avg/" + p.name, dir));
    v.emplace_back(p.name, find_tensor(c, "optim/exp_avg_sq/" + p.name, dir));
  }
  const auto& meta = c.meta;
  const int64_t saved_world = meta.value("world_size", int64_t{1}), world = pg_ ? pg_->world_size() : 1;
  if (saved_world != world)
    throw std::runtime_error(fmt::format(
        "checkpoint {}: written by a run with {} rank(s), resumed with {}: the data order of the remaining epoch "
        "depends on the world size, so --resume needs the same number of ranks (to continue with another, start a "
        "new run from these weights: bmfm finetune / embed read the checkpoint at any world size)",
        dir, saved_world, world));
  opt_.load_state(meta.at("optimizer").at("steps").get<int64_t>(), m, v);
  at::Generator cpu_gen = at::detail::getDefaultCPUGenerator();
  cpu_gen.set_state(find_tensor(c, "rng/cpu", dir));
  if (device_.is_cuda()) {
    const auto it = saved.find("rng/cuda");
    if (it != saved.end()) {
      at::Generator cuda_gen = at::globalContext().defaultGenerator(device_);
      cuda_gen.set_state(*it->second);
    } else {
      spdlog::warn("checkpoint {}: no CUDA random state (written on the CPU): dropout draws will differ from an "
                   "uninterrupted run", dir);
    }
  }
  s_.step = meta.at("step");
  s_.epoch = meta.at("epoch");
  loader_state_.epoch = meta.at("loader").at("epoch");
  loader_state_.batches_consumed = meta.at("loader").at("batches_consumed");
  const auto& best = meta.at("best");
  s_.best = best.at("value").is_null() ? std::numeric_limits<double>::quiet_NaN() : best.at("value").get<double>();
  s_.best_step = best.at("step");
  s_.bad_validations = best.at("bad_validations");
  spdlog::info("resumed from {}: step {}, epoch {}, loader at batch {} of epoch {}", dir, s_.step, s_.epoch,
               loader_state_.batches_consumed, loader_state_.epoch);
}

// grad_accum micro-batches; with several ranks the gradients are averaged (one
// all-reduce per optimizer step, none per micro-batch) and so is the loss, so
// every rank takes the same decisions.
double Run::forward_backward() {
  opt_.zero_grad();
  at::Tensor step_total;
  data::Batch& batch = batch_;
  for (int64_t micro = 0; micro < t_.grad_accum; ++micro) {
    loader_->next(batch);
    cells_ += batch.B;
    for (uint8_t m : batch.pad_mask) tokens_ += m;
    const model::BatchTensors bt = model::to_tensors(batch, device_);
    LossTerms terms =
        train::forward_backward(model_, cfg_.losses, bt, bf16_, 1.0 / static_cast<double>(t_.grad_accum), gather_);
    step_total = step_total.defined() ? step_total + terms.total : terms.total;
    train_avg_.add(terms);
  }
  loader_state_ = loader_->state();
  double loss = step_total.item<double>() / static_cast<double>(t_.grad_accum);
  if (pg_) {
    std::vector<at::Tensor> grads;
    for (const auto& p : model_->parameters()) grads.push_back(p.grad());
    pg_->allreduce_mean(grads);
    loss = pg_->allreduce_sum({loss})[0] / static_cast<double>(pg_->world_size());
  }
  return loss;
}

void Run::discard_step() {
  train_avg_ = TermAverager();
  opt_.zero_grad();
}

void Run::optimizer_step(double lr) {
  grad_norm_ = opt_.clip_grad_norm(t_.clip_grad_norm);
  opt_.step(lr);
}

Values Run::take_train_values(double seconds) {
  Values v = train_avg_.take("train/", pg_);
  if (pg_) {
    const auto all = pg_->allreduce_sum({static_cast<double>(cells_), static_cast<double>(tokens_)});
    cells_ = static_cast<int64_t>(all[0]), tokens_ = static_cast<int64_t>(all[1]);
  }
  v.emplace_back("train/grad_norm", grad_norm_);
  v.emplace_back("train/cells_per_s", static_cast<double>(cells_) / seconds);
  v.emplace_back("train/tokens_per_s", static_cast<double>(tokens_) / seconds);
  cells_ = tokens_ = 0;
  return v;
}

PretrainResult Run::run(const std::string& resume_dir) {
  PretrainResult result;
  result.first_val_loss = result.last_val_loss = std::numeric_limits<double>::quiet_NaN();
  if (main_) check_probe(t_.probe);
  if (main_ && t_.probe.source == "validation") {
    // The label columns must be in the corpus; checked now, not at the first probe.
    (void)class_word(data_.corpus->labels(), t_.probe.label_key, "label_key");
    if (!t_.probe.batch_key.empty()) (void)class_word(data_.corpus->labels(), t_.probe.batch_key, "batch_key");
    if (data_.val->n_cells() == 0)
      throw std::runtime_error("trainer.probe.source=validation: the corpus has no validation split (data.val_fraction)");
  }
  if (!resume_dir.empty()) load(resume_dir);
  if (pg_) {
    // Every rank starts from rank 0's weights (initialisation or checkpoint).
    std::vector<at::Tensor> state;
    for (const auto& p : model_->parameters()) state.push_back(p.detach());
    for (const auto& b : model_->buffers()) state.push_back(b.detach());
    torch::NoGradGuard ng;
    pg_->broadcast(state);
  }
  if (main_) {
    metrics_ = std::make_unique<MetricLog>(out_, /*append=*/!resume_dir.empty());
    if (!resume_dir.empty()) metrics_->truncate_after(s_.step);
    tb_ = std::make_unique<TensorBoardWriter>((fs::path(out_) / "tensorboard").string());
  }

  int64_t n_params = 0;
  for (const auto& p : model_->parameters()) n_params += p.numel();
  spdlog::info("model: {} parameters, hidden {}, {} layers, {} heads; device {}, precision {}, {} threads", n_params,
               cfg_.model.hidden_size, cfg_.model.num_layers, cfg_.model.num_heads, device_.str(),
               bf16_ ? "bf16 autocast" : "fp32", model::runtime_info(false).threads);

  loader_ = std::make_unique<data::Loader>(*data_.train, *data_.pipeline, *data_.collator, data_.label_layout(),
                                           data_.loader_config(cfg_, /*train=*/true), loader_state_);
  const int64_t per_epoch_steps = std::max<int64_t>(1, loader_->batches_per_epoch() / t_.grad_accum);
  LoopOptions lo;
  lo.label = "pretrain";
  lo.max_steps = total_steps(t_, per_epoch_steps);
  lo.main = main_;
  lo.maximize = t_.early_stopping.mode == "max";
  lo.checkpoint_dir = (fs::path(out_) / "checkpoints").string();
  spdlog::info("training: {} steps of {} x {} cells{} ({} batches per epoch{}), lr {} ({} warmup, {})", lo.max_steps,
               t_.grad_accum, cfg_.data.batch_size, pg_ ? fmt::format(" x {} ranks", pg_->world_size()) : "",
               loader_->batches_per_epoch(), pg_ ? " per rank" : "", t_.lr, t_.warmup_steps, t_.schedule);
  model_->train();
  const LoopResult lr = run_training_loop(*this, t_, lo, s_);
  result.first_val_loss = lr.first_val_loss;
  result.last_val_loss = lr.last_val_loss;
  result.last_train_loss = lr.last_train_loss;
  result.early_stopped = lr.early_stopped;
  result.probe = lr.probe;
  save("last");
  result.steps = s_.step;
  result.epoch = s_.epoch;
  result.last_checkpoint = (fs::path(out_) / "checkpoints" / "last").string();
  spdlog::info("done: {} steps, last checkpoint {}", s_.step, result.last_checkpoint);
  return result;
}

}  // namespace

PretrainResult pretrain(const PretrainConfig& cfg, PretrainData& data, const std::string& output_dir,
                        const std::string& config_yaml, const std::string& resume_dir, ProcessGroup* pg) {
  Run run(cfg, data, output_dir, config_yaml, pg);
  return run.run(resume_dir);
}

}  // namespace bmfm::train

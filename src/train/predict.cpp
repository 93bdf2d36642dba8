#include "bmfm/train/predict.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/autograd.h>

#include "bmfm/data/gene_mapping.h"
#include "bmfm/data/labels.h"
#include "bmfm/data/loader.h"
#include "bmfm/io/h5ad.h"
#include "bmfm/model/classifier.h"
#include "bmfm/model/compat.h"
#include "bmfm/train/checkpoint.h"
#include "bmfm/train/embed.h"
#include "bmfm/train/finetune.h"
#include "bmfm/train/objective.h"
#include "bmfm/train/progress.h"
#include "bmfm/train/trainer.h"

namespace bmfm::train {
namespace fs = std::filesystem;

const config::Schema<PredictConfig>& predict_schema() {
  using P = PredictConfig;
  static const auto schema =
      config::Schema<P>("predict")
          .field("checkpoint", &P::checkpoint, "fine-tuned checkpoint, or a finetune run folder (checkpoints/best)")
          .field("input", &P::input, "h5ad with the cells to label")
          .field("gene_column", &P::gene_column, "var column with gene ids; '' = var index")
          .field("matrix", &P::matrix, "raw counts: X or layers/<name>")
          .field("batch_size", &P::batch_size, "cells per forward pass")
          .field("precision", &P::precision, "auto | fp32 | bf16")
          .field("device", &P::device, "auto | cpu | cuda | cuda:N")
          .field("threads", &P::threads, "torch intra-op threads; 0 = all cores")
          .field("write_logits", &P::write_logits, "also write logits.csv")
          .field("write_probabilities", &P::write_probabilities, "also write probabilities.csv")
          .field("slim", &P::slim, "predictions.h5ad with obs + predictions only")
          .field("output_dir", &P::output_dir, "where predictions.{csv,h5ad} go")
          .check([](const P& p, const config::Config& cfg, const std::string& pre) {
            if (p.checkpoint.empty()) config::fail(cfg, pre + "checkpoint", "required (--checkpoint DIR)");
            if (p.input.empty()) config::fail(cfg, pre + "input", "required (--input FILE.h5ad)");
            if (p.batch_size < 1) config::fail(cfg, pre + "batch_size", "must be >= 1");
            config::require_one_of(cfg, pre + "precision", p.precision, {"auto", "fp32", "bf16"});
          });
  return schema;
}

std::string LabelPredictions::predicted_text(int64_t i) const {
  if (kind == "classification") return classes.at(static_cast<size_t>(predicted.at(static_cast<size_t>(i))));
  if (kind == "regression") return fmt::format("{}", values.at(static_cast<size_t>(i)));
  std::string text;
  for (int64_t k = 0; k < probabilities.n_cols; ++k)
    if (probabilities.at(i, k) > 0.5f) text += (text.empty() ? "" : separator) + classes.at(static_cast<size_t>(k));
  return text;
}

Predictions predict(const PredictConfig& cfg) {
  const std::string dir = resolve_checkpoint_dir(cfg.checkpoint);
  const CheckpointContents c = read_checkpoint(dir);
  if (c.meta.value("kind", "") != "classifier")
    throw std::runtime_error(fmt::format("checkpoint {}: not a fine-tuned model (bmfm finetune writes one to "
                                         "<run>/checkpoints/best); for embeddings use bmfm embed", dir));
  for (const char* f : {"architecture.yaml", "config.yaml", "vocab.json", "labels.json"})
    if (!c.files.count(f)) throw std::runtime_error(fmt::format("checkpoint {}: no {} in it", dir, f));
  const PretrainConfig arch = pretrain_schema().read_file((fs::path(dir) / "architecture.yaml").string());
  const FinetuneConfig ft = finetune_schema().read_file((fs::path(dir) / "config.yaml").string());
  const data::Vocab vocab = data::Vocab::load((fs::path(dir) / "vocab.json").string());
  vocab.require_hash(c.meta.value("vocab_hash", ""), "checkpoint " + dir + "/index.json");
  const data::LabelDictionary dict = data::LabelDictionary::from_json(c.files.at("labels.json"), dir + "/labels.json");

  // The heads as fine-tuning built them (kinds and batch offsets from the dictionary).
  std::vector<model::LabelHeadSpec> specs;
  for (const auto& l : ft.labels) {
    LossConfig loss;
    loss.field = "label";
    loss.label = l.name;
    loss.kind = l.kind == "classification" ? "ce" : l.kind == "multilabel" ? "bce" : "mse";
    loss.grl_alpha = l.grl ? l.grl_alpha : 0.0;
    specs.push_back(label_head_spec(dict, loss));
  }
  const at::Tensor& gene = find_tensor(c, "model/bert.embeddings.gene.weight", dir);
  // The pooling fine-tuning used ("auto" resolved the same way, from the architecture).
  const std::string pooling = ft.pooling == "auto" ? arch.model.cell_pooling : ft.pooling;
  model::ClassifierModel net(arch.model, model_shape(vocab, arch.collator(), arch.losses, nullptr), gene.size(1), pooling,
                             ft.head_layers, specs);
  {
    torch::NoGradGuard ng;
    for (auto& p : net->named_parameters()) {
      const at::Tensor& t = find_tensor(c, "model/" + p.key(), dir);
      if (!t.sizes().equals(p.value().sizes()))
        throw std::runtime_error(fmt::format("checkpoint {}: 'model/{}' does not fit its own config", dir, p.key()));
      p.value().copy_(t);
    }
  }
  const at::Device device = resolve_device(cfg.device);
  net->to(device);
  net->eval();
  const bool bf16 = use_bf16(cfg.precision, device);

  const io::H5adReader reader(cfg.input);
  const io::DataFrame obs = reader.read_obs(), var = reader.read_var();
  data::GeneMappingOptions gm;
  gm.column = cfg.gene_column;
  const data::GeneMapping mapping = data::GeneMapping::from_var(var, vocab, gm, cfg.input);
  if (mapping.n_mapped() == 0)
    throw std::runtime_error(fmt::format("{}: none of its {} genes is in the model's vocabulary ({} genes)", cfg.input,
                                         mapping.n_vars(), vocab.n_genes()));
  Predictions out;
  out.cell_ids = obs.index;
  out.n_genes_input = mapping.n_vars();
  out.n_genes_mapped = mapping.n_mapped();
  out.n_vocab_genes_missing = vocab.n_genes() - static_cast<int64_t>(mapping.mapped_vocab_ids().size());
  spdlog::info("predict: {}; {} of the model's {} vocabulary genes are missing from this file", mapping.summary(),
               out.n_vocab_genes_missing, vocab.n_genes());
  const io::CsrMatrix X = reader.read_matrix(cfg.matrix);
  io::require_counts(X, cfg.input + " " + cfg.matrix);
  const data::MemoryCellSource source(X, mapping);
  const data::TransformPipeline pipeline(inference_transforms(arch), vocab);
  const data::Collator collator(vocab, inference_collator(arch), {}, static_cast<uint64_t>(ft.seed));
  data::LoaderConfig lc;
  lc.batch_size = cfg.batch_size;
  lc.threads = 2;
  lc.shuffle = false;
  lc.seed = ft.seed;
  lc.rank = 0;
  lc.world_size = 1;
  data::Loader loader(source, pipeline, collator, {}, lc);
  const int64_t n = source.n_cells();
  for (size_t h = 0; h < specs.size(); ++h) {
    LabelPredictions lp;
    lp.name = specs[h].name;
    lp.kind = specs[h].kind;
    lp.separator = dict.column(lp.name).separator;
    lp.classes = dict.column(lp.name).classes;
    const int64_t K = specs[h].width;
    if (lp.kind == "classification") lp.predicted.assign(static_cast<size_t>(n), -1);
    if (lp.kind == "regression") lp.values.assign(static_cast<size_t>(n), std::numeric_limits<double>::quiet_NaN());
    lp.logits = {n, K, std::vector<float>(static_cast<size_t>(n * K))};
    if (lp.kind != "regression") lp.probabilities = lp.logits;
    out.labels.push_back(std::move(lp));
  }
  torch::NoGradGuard no_grad;
  ProgressBar bar("predict", n);
  data::Batch batch;
  for (int64_t b = 0; b < loader.batches_per_epoch(); ++b) {
    loader.next(batch);
    const model::BatchTensors bt = model::to_tensors(batch, device);
    std::vector<at::Tensor> logits;
    {
      model::compat::AutocastGuard ac(device.type(), bf16);
      logits = net->forward(bt);
    }
    for (size_t h = 0; h < logits.size(); ++h) {
      auto& lp = out.labels[h];
      at::Tensor lg = logits[h].to(at::kFloat).to(at::kCPU).reshape({batch.B, -1}).contiguous();
      const int64_t K = lg.size(1);
      at::Tensor pr = lp.kind == "classification" ? at::softmax(lg, 1).contiguous()
                      : lp.kind == "multilabel"   ? at::sigmoid(lg).contiguous()
                                                  : at::Tensor();
      for (int64_t r = 0; r < batch.B; ++r) {
        const int64_t cell = batch.cell_index[static_cast<size_t>(r)];
        const float* row = lg.data_ptr<float>() + r * K;
        std::copy_n(row, K, lp.logits.data.begin() + cell * K);
        if (pr.defined()) std::copy_n(pr.data_ptr<float>() + r * K, K, lp.probabilities.data.begin() + cell * K);
        if (lp.kind == "classification")
          lp.predicted[static_cast<size_t>(cell)] = static_cast<int32_t>(std::max_element(row, row + K) - row);
        if (lp.kind == "regression") lp.values[static_cast<size_t>(cell)] = row[0];
      }
    }
    bar.advance(batch.B);
  }
  bar.finish();
  return out;
}

}  // namespace bmfm::train

#include "bmfm/train/embed.h"

#include <chrono>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/autograd.h>

#include "bmfm/data/gene_mapping.h"
#include "bmfm/data/loader.h"
#include "bmfm/io/h5ad.h"
#include "bmfm/eval/embedding_health.h"
#include "bmfm/model/compat.h"
#include "bmfm/model/pooling.h"
#include "bmfm/train/progress.h"
#include "bmfm/train/trainer.h"

namespace bmfm::train {

const config::Schema<EmbedConfig>& embed_schema() {
  using E = EmbedConfig;
  static const auto schema =
      config::Schema<E>("embed")
          .field("checkpoint", &E::checkpoint, "checkpoint folder, or a run folder (its checkpoints/last)")
          .field("input", &E::input, "h5ad with the cells to embed")
          .field("gene_column", &E::gene_column, "var column with gene ids; '' = var index")
          .field("matrix", &E::matrix, "raw counts: X or layers/<name>")
          .field("pooling", &E::pooling,
                 "auto (the checkpoint's model.cell_pooling) | cls | mean; several are concatenated in order")
          .field("batch_size", &E::batch_size, "cells per forward pass")
          .field("loader_threads", &E::loader_threads, "threads building batches")
          .field("precision", &E::precision, "auto (bf16 where supported) | fp32 | bf16")
          .field("device", &E::device, "auto | cpu | cuda | cuda:N")
          .field("threads", &E::threads, "torch intra-op threads; 0 = all cores")
          .field("obsm_key", &E::obsm_key, "obsm key of the embedding in the output h5ad")
          .field("slim", &E::slim, "output h5ad with obs and the embedding only")
          .field("output_dir", &E::output_dir, "where embeddings.{h5ad,npy,csv} go")
          .check([](const E& e, const config::Config& cfg, const std::string& p) {
            if (e.checkpoint.empty()) config::fail(cfg, p + "checkpoint", "required (--checkpoint DIR)");
            if (e.input.empty()) config::fail(cfg, p + "input", "required (--input FILE.h5ad)");
            if (e.pooling.empty()) config::fail(cfg, p + "pooling", "needs at least one of cls, mean");
            for (size_t i = 0; i < e.pooling.size(); ++i)
              config::require_one_of(cfg, fmt::format("{}pooling[{}]", p, i), e.pooling[i], {"auto", "cls", "mean"});
            if (e.batch_size < 1) config::fail(cfg, p + "batch_size", "must be >= 1");
            if (e.loader_threads < 1) config::fail(cfg, p + "loader_threads", "must be >= 1");
            config::require_one_of(cfg, p + "precision", e.precision, {"auto", "fp32", "bf16"});
            if (e.obsm_key.empty()) config::fail(cfg, p + "obsm_key", "must not be empty");
          });
  return schema;
}

// The training transforms with every random, batch-dependent or
// target-building step switched to its deterministic inference form.
data::TransformConfig inference_transforms(const PretrainConfig& pc) {
  data::TransformConfig t = pc.transforms;
  if (t.max_length == 0) t.max_length = pc.tokenizer.max_length - 2;
  t.dropout.mode = "none";
  // A random order only decides which genes survive truncation in training;
  // at inference it would give two copies of a cell two embeddings. Keep the
  // highest-expressed genes instead, deterministically.
  if (t.order.mode == "random") t.order.mode = "expression";
  if (t.zero_padding.mode == "batch_wise" || t.zero_padding.mode == "interleaved") t.zero_padding.mode = "random";
  if (t.rda.mode == "downsample") t.rda.mode = "equal";  // no thinning: [S] = [T] = the cell's depth
  return t;
}

data::CollatorConfig inference_collator(const PretrainConfig& pc) {
  data::CollatorConfig c = pc.collator();
  for (auto& f : c.tokenizer.fields) f.change_ratio = 0;  // nothing masked
  c.wced.enabled = false;
  return c;
}

io::DenseMatrix embed_source(const LoadedModel& m, const data::CellSource& source,
                             const std::vector<std::string>& pooling, int64_t batch_size, int64_t loader_threads,
                             bool bf16, bool progress) {
  const data::TransformPipeline pipeline(inference_transforms(m.config), m.vocab);
  const data::Collator collator(m.vocab, inference_collator(m.config), {}, static_cast<uint64_t>(m.config.seed));
  data::LoaderConfig lc;
  lc.batch_size = batch_size;
  lc.threads = loader_threads;
  lc.prefetch = 2 * loader_threads;
  lc.shuffle = false;
  lc.seed = m.config.seed;
  lc.rank = 0;
  lc.world_size = 1;
  data::Loader loader(source, pipeline, collator, {}, lc);

  const at::Device device = m.model->parameters()[0].device();
  const int64_t H = m.config.model.hidden_size, n = source.n_cells();
  const int64_t D = H * static_cast<int64_t>(pooling.size());
  io::DenseMatrix values;
  values.n_rows = n;
  values.n_cols = D;
  values.data.assign(static_cast<size_t>(n * D), 0.f);

  model::PretrainModel net = m.model;  // the holder shares the module; forward is not const
  const bool was_training = net->is_training();
  net->eval();
  torch::NoGradGuard no_grad;
  ProgressBar bar("embed", n, progress ? stderr : nullptr);
  data::Batch batch;
  // Unshuffled batches come in source order (loader.h); the running row, not
  // batch.cell_index, is the output row: a split's records keep the corpus's index.
  int64_t row = 0;
  for (int64_t b = 0; b < loader.batches_per_epoch(); ++b) {
    loader.next(batch);
    if (row + batch.B > n)
      throw std::logic_error(fmt::format("embed: the loader returned more than the source's {} cells", n));
    const model::BatchTensors bt = model::to_tensors(batch, device);
    at::Tensor hidden;
    {
      model::compat::AutocastGuard autocast(device.type(), bf16);
      hidden = net->bert()->forward(bt);
    }
    hidden = hidden.to(at::kFloat);
    std::vector<at::Tensor> parts;
    for (const auto& p : pooling) parts.push_back(model::pool_cells(hidden, bt, p));
    at::Tensor pooled = at::cat(parts, 1).to(at::kCPU).contiguous();
    const float* src = pooled.data_ptr<float>();
    std::copy(src, src + batch.B * D, values.data.begin() + row * D);
    row += batch.B;
    bar.advance(batch.B);
  }
  bar.finish();
  if (row != n) throw std::logic_error(fmt::format("embed: {} of the source's {} cells came through the loader", row, n));
  if (was_training) net->train();  // an in-training probe hands the model back as it found it
  return values;
}

Embeddings embed_cells(const LoadedModel& m, const EmbedConfig& cfg) {
  const auto t0 = std::chrono::steady_clock::now();
  const io::H5adReader reader(cfg.input);
  const io::DataFrame obs = reader.read_obs();
  const io::DataFrame var = reader.read_var();
  data::GeneMappingOptions gm;
  gm.column = cfg.gene_column;
  const data::GeneMapping mapping =
      data::GeneMapping::from_var(var, m.vocab, gm, cfg.input);
  if (mapping.n_mapped() == 0)
    throw std::runtime_error(fmt::format(
        "{}: none of its {} genes is in the checkpoint's vocabulary ({} genes, e.g. {}); wrong gene_column "
        "(symbols vs Ensembl ids) or another species?",
        cfg.input, mapping.n_vars(), m.vocab.n_genes(), m.vocab.n_genes() > 0 ? m.vocab.token(m.vocab.n_special()) : ""));
  Embeddings out;
  out.n_genes_input = mapping.n_vars();
  out.n_genes_mapped = mapping.n_mapped();
  out.n_vocab_genes_missing = m.vocab.n_genes() - static_cast<int64_t>(mapping.mapped_vocab_ids().size());
  spdlog::info("embed: {}; {} of the checkpoint's {} vocabulary genes are not measured in this file",
               mapping.summary(), out.n_vocab_genes_missing, m.vocab.n_genes());
  const io::CsrMatrix X = reader.read_matrix(cfg.matrix);
  io::require_counts(X, cfg.input + " " + cfg.matrix);

  const data::MemoryCellSource source(X, mapping);
  out.cell_ids = obs.index;
  // auto: the representation the checkpoint's objective trained (model.cell_pooling).
  std::vector<std::string> pooling = cfg.pooling;
  for (auto& p : pooling)
    if (p == "auto") p = m.config.model.cell_pooling;
  out.pooling = pooling;
  const at::Device device = m.model->parameters()[0].device();
  out.values = embed_source(m, source, pooling, cfg.batch_size, cfg.loader_threads, use_bf16(cfg.precision, device),
                            cfg.progress);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.health = eval::embedding_health({out.values.data.data(), out.values.n_rows, out.values.n_cols});
  return out;
}

}  // namespace bmfm::train

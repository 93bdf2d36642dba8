#include "bmfm/train/pretrain_config.h"

#include <fmt/format.h>

namespace bmfm::train {

const config::Schema<DataConfig>& data_schema() {
  using D = DataConfig;
  static const auto schema =
      config::Schema<D>("data")
          .field("corpus", &D::corpus, "prepared corpus folder (bmfm prepare); '' = prepare `inputs`")
          .field("inputs", &D::inputs, "h5ad files, SOMA experiment folders, folders of *.h5ad; prepared into <output_dir>/corpus")
          .field("vocab", &D::vocab, "inputs: vocabulary JSON; '' = union of the inputs' genes")
          .field("gene_column", &D::gene_column, "inputs: var column with gene ids; '' = var index")
          .field("matrix", &D::matrix, "inputs: raw counts, X or layers/<name>")
          .field("label_columns", &D::label_columns, "inputs: obs columns stored with each cell")
          .field("val_fraction", &D::val_fraction, "fraction of cells held out for validation")
          .field("batch_size", &D::batch_size, "cells per micro-batch")
          .field("loader_threads", &D::loader_threads, "background threads building batches")
          .field("prefetch", &D::prefetch, "batches built ahead of the trainer")
          .check([](const D& d, const config::Config& cfg, const std::string& p) {
            if (d.corpus.empty() && d.inputs.empty())
              config::fail(cfg, p + "inputs", "set data.corpus (a prepared corpus) or data.inputs (h5ad files)");
            if (!d.corpus.empty() && !d.inputs.empty())
              config::fail(cfg, p + "inputs", "set data.corpus or data.inputs, not both");
            if (d.val_fraction < 0 || d.val_fraction >= 1) config::fail(cfg, p + "val_fraction", "must be in [0, 1)");
            if (d.batch_size < 1) config::fail(cfg, p + "batch_size", "must be >= 1");
            if (d.loader_threads < 1) config::fail(cfg, p + "loader_threads", "must be >= 1");
            if (d.prefetch < 1) config::fail(cfg, p + "prefetch", "must be >= 1");
          });
  return schema;
}

const config::Schema<PretrainConfig>& pretrain_schema() {
  using P = PretrainConfig;
  static const auto schema =
      config::Schema<P>("pretrain")
          .field("seed", &P::seed, "seed of the split, data order, masking, initialisation and dropout")
          .field("threads", &P::threads, "torch intra-op threads; 0 = all available cores")
          .field("output_dir", &P::output_dir, "run folder: config, logs, metrics, checkpoints")
          .section("data", &P::data, data_schema(), "where the cells come from")
          .section("transforms", &P::transforms, data::transform_schema(), "per-cell transforms (docs/transforms.md)")
          .section("tokenizer", &P::tokenizer, data::tokenizer_schema(), "fields, length and padding")
          .section("masker", &P::masker, data::masker_schema(), "masked-language-model masking")
          .section("wced", &P::wced, data::wced_schema(), "whole-cell expression decoder targets")
          .section("model", &P::model, model::model_schema(), "encoder and embeddings")
          .section("trainer", &P::trainer, trainer_schema(), "optimisation, validation, checkpoints")
          .section("distributed", &P::distributed, distributed_schema(), "multi-process training (bmfm launch, torchrun, srun)")
          .field("losses", &P::losses, "objective terms: [{field, kind, set, weight}]")
          .check([](const P& p, const config::Config& cfg, const std::string& pre) {
            if (p.losses.empty()) config::fail(cfg, pre + "losses", "needs at least one loss term");
            // The collator's own cross-field rules (comask needs equal ratios).
            double pg = 0, pe = 0;
            for (const auto& f : p.tokenizer.fields) {
              if (f.name == "genes") pg = f.change_ratio;
              if (f.name == "expressions") pe = f.change_ratio;
            }
            if (p.masker.comask && pg > 0 && pe > 0 && pg != pe)
              config::fail(cfg, pre + "masker.comask",
                           fmt::format("co-masked fields need the same change_ratio, got genes {} and expressions {}",
                                       pg, pe));
            if (p.transforms.normalize.median_scaling)
              config::fail(cfg, pre + "transforms.normalize.median_scaling",
                           "not supported yet by the training loader (the per-dataset median is not carried in the "
                           "corpus); use the default target sum");
            if (p.transforms.max_length > 0 && p.transforms.max_length > p.tokenizer.max_length - 2)
              config::fail(cfg, pre + "transforms.max_length",
                           fmt::format("{} genes (+ [S] [T]) do not fit tokenizer.max_length {} with [CLS] and [SEP]",
                                       p.transforms.max_length, p.tokenizer.max_length));
          });
  return schema;
}

}  // namespace bmfm::train

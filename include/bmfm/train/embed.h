// Zero-shot cell embeddings from a checkpoint: an h5ad's cells go through the
// training data path with everything random switched off (no masking, no
// dropout transforms, no RDA thinning, per-cell instead of batch-wise zero
// padding), the encoder runs without autograd (bf16 where supported), and
// the hidden states are pooled per cell.
#pragma once

#include <string>
#include <vector>

#include "bmfm/config/schema.h"
#include "bmfm/data/collator.h"
#include "bmfm/data/transforms.h"
#include "bmfm/eval/embedding_health.h"
#include "bmfm/io/anndata.h"
#include "bmfm/train/checkpoint_model.h"

namespace bmfm::train {

struct EmbedConfig {
  std::string checkpoint;                  // checkpoint folder or run folder
  std::string input;                       // h5ad
  std::string gene_column;                 // var column with gene ids; '' = var index
  std::string matrix = "X";                // raw counts: X or layers/<name>
  std::vector<std::string> pooling{"auto"}; // auto (model.cell_pooling) | cls | mean (several: concatenated in order)
  int64_t batch_size = 64;
  int64_t loader_threads = 2;
  std::string precision = "auto";          // auto | fp32 | bf16
  std::string device = "auto";
  int64_t threads = 0;
  std::string obsm_key = "X_bmfm";
  bool slim = false;                       // h5ad output with obs + obsm only (no X / var columns / layers)
  std::string output_dir = "runs/embed";
  bool progress = true;                    // progress bar on stderr (not a config key: in-training probes turn it off)
};
const config::Schema<EmbedConfig>& embed_schema();

struct Embeddings {
  io::DenseMatrix values;             // (n_obs, D), input row order
  std::vector<std::string> cell_ids;  // obs index
  int64_t n_genes_mapped = 0, n_genes_input = 0;
  int64_t n_vocab_genes_missing = 0;  // vocabulary genes the input does not measure
  std::vector<std::string> pooling;   // as applied ("auto" resolved)
  eval::EmbeddingHealth health;       // is anything in it (collapse: eval/embedding_health.h)
  double seconds = 0;
};

// The run's data path in its deterministic inference form (docs/embed.md):
// no masking / WCED targets, no dropout transforms, RDA without thinning,
// per-cell zero padding. Fine-tuning reads cells the same way.
data::TransformConfig inference_transforms(const PretrainConfig& pc);
data::CollatorConfig inference_collator(const PretrainConfig& pc);

// Embeds the cells of `cfg.input` with an already loaded model.
Embeddings embed_cells(const LoadedModel& m, const EmbedConfig& cfg);

// The (n_cells, H x poolings) embedding of every cell of `source` (genes
// already in m's vocabulary ids), in source order: the inference data path of
// embed_cells without the file. `pooling`: cls | mean ("auto" resolved).
io::DenseMatrix embed_source(const LoadedModel& m, const data::CellSource& source,
                             const std::vector<std::string>& pooling, int64_t batch_size, int64_t loader_threads,
                             bool bf16, bool progress);

}  // namespace bmfm::train

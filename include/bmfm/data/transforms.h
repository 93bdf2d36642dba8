// The per-cell transform pipeline: one explicit order (docs/transforms.md),
//
//   (1) normalise  (2) order genes  (3) truncate  (4) dropout
//   (5) zero-gene padding  (6) RDA  (7) binning
//
// configured by one typed config section (`transforms:`) and applied per cell
// in loader threads. Token ids (genes, bins) and continuous values (inputs,
// targets) come out in separate arrays.
//
//   TransformPipeline pipeline(cfg, vocab, resources);   // once; immutable, shared by threads
//   TransformWorkspace ws;  TransformOutput out;         // once per thread, reused
//   Rng rng = cell_rng(seed, epoch, record.cell_index);  // per cell: deterministic
//   pipeline.apply(record, rng, ws, out, context);
//   // out.genes / out.values [/ out.targets / out.bins / out.depth_*] -> tokenizer
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bmfm/config/schema.h"
#include "bmfm/data/binning.h"
#include "bmfm/data/cell.h"
#include "bmfm/data/gene_locations.h"
#include "bmfm/data/random.h"
#include "bmfm/data/rda.h"
#include "bmfm/data/transform_steps.h"
#include "bmfm/data/vocab.h"
#include "bmfm/io/anndata.h"

namespace bmfm::data {

class GeneMapping;

// ---- config --------------------------------------------------------------------
struct NormalizeConfig {
  bool enabled = true;
  double target_sum = 1e4;
  bool median_scaling = false;    // target sum = the dataset's median total (CellContext::median_total)
  std::string gene_medians_file;  // Geneformer-style per-gene medians (TSV: gene, median); "" = off
};
struct OrderConfig {
  std::string mode = "none";  // none | random | expression | rank | chromosomal
  std::string rank_column;    // rank: numeric var column (ascending; see rank_descending)
  bool rank_descending = false;
  std::string locations_file;  // chromosomal: TSV (see gene_locations.h)
  std::string locations_gene_column = "symbol";
  bool shuffle_chromosomes = true;  // chromosomal: UCE's random chromosome order per cell
  bool keep_unlocated = false;      // chromosomal: keep genes without a location (after the rest)
  bool resample = false;            // chromosomal: UCE repeats (max_length draws weighted by log1p(count))
};
struct DropoutConfig {
  std::string mode = "none";    // none | random | chunk | ordered
  double rate = 0.1;            // random: per-position probability
  double chunk_fraction = 0.1;  // chunk: fraction of positions in the removed block
  int64_t top_k = 0;            // ordered: drop the k highest-expressed genes
};
struct ZeroPaddingConfig {
  std::string mode = "none";  // none | random | batch_wise | interleaved
  double zero_ratio = 0.5;    // interleaved: target fraction of zeros among the positions
};
struct RdaConfig {
  std::string mode = "none";  // none | downsample | equal | align
  double threshold = 1000;
  double probability = 0.5;
  double beta_a = 2, beta_b = 2;
  double target_sum = 1e4;
  double align_depth = 0;  // align: the [T] depth
};
struct BinningConfig {
  std::string method = "none";  // none | int_cast | percentile | scgpt | log
  int64_t n_bins = 51;
  std::string int_cast_rounding = "floor";  // floor (scBERT) | ceil (bmfm-targets BinTransform)
  bool random_ties = true;                  // scgpt: scGPT's side="both" tie spreading
  double log_min = 0.1, log_max = 10.0;
};
struct TransformConfig {
  int64_t max_length = 0;  // positions out of the transforms, [S] [T] included; 0 = no limit
  NormalizeConfig normalize;
  OrderConfig order;
  DropoutConfig dropout;
  ZeroPaddingConfig zero_padding;
  RdaConfig rda;
  BinningConfig binning;
};
const config::Schema<TransformConfig>& transform_schema();

// ---- inputs beyond the cell ------------------------------------------------------
// Per vocabulary, loaded once (load_transform_resources reads the config's files).
struct TransformResources {
  std::vector<float> gene_medians;  // vocab-sized, NaN = none (normalize.gene_medians_file)
  GeneLocations locations;          // order.mode = chromosomal
};
TransformResources load_transform_resources(const TransformConfig& cfg, const Vocab& vocab);
// A TSV with a header, gene in the first column and a `median` column.
std::vector<float> load_gene_medians(const std::string& path, const Vocab& vocab);

// Per dataset (and per batch for `batch`); pointers must outlive apply().
struct CellContext {
  const GeneSet* measured = nullptr;  // genes the cell's dataset measures (zero candidates); null = all genes
  const GeneSet* batch = nullptr;     // genes expressed in the batch (batch_wise / interleaved padding)
  double median_total = 0;            // normalize.median_scaling: median of the dataset's totals
  const std::vector<float>* gene_ranks = nullptr;  // order.mode = rank: vocab-sized (NaN = unranked)
};
// A var column as a vocab-sized rank vector (NaN where unmapped / missing;
// negated when `descending`). Throws naming the column when it is not numeric.
std::vector<float> ranks_from_var_column(const io::DataFrame& var, const std::string& column,
                                         const GeneMapping& mapping, bool descending);

// ---- per-cell output and scratch -----------------------------------------------------
// Field by field what the tokenizer's input (tokenizer.h TransformedCell)
// takes: genes -> genes, values -> expr_values, bins -> expr_bins, targets ->
// label_expressions, has_depth / depth_s / depth_t as they are. The [S] [T]
// tokens are not in `genes`: the tokenizer prepends them (vocab.depth_s_id(),
// depth_t_id()) with the continuous values depth_s / depth_t, in the inputs and
// the targets alike.
struct TransformOutput {
  int64_t cell_index = -1;
  std::vector<int32_t> genes;  // vocabulary gene ids, model input order
  std::vector<float> values;   // continuous input values, one per gene
  std::vector<float> targets;  // RDA: log1p(raw / R * target_sum) per gene; else empty
  std::vector<int32_t> bins;   // binning: bin id per gene, in [0, n_bins); else empty
  bool has_depth = false;      // RDA: [S] [T] go before the genes
  float depth_s = 0;           // log1p(S), S = input depth (after thinning)
  float depth_t = 0;           // log1p(T), T = R (align: align_depth)
  int32_t n_zero_padded = 0;   // genes added by zero-gene padding (value 0)
  RdaOutcome rda;              // what RDA did (downsampled, b, depths)
};

// One per loader thread.
struct TransformWorkspace {
  GeneSeq seq;
  StepScratch steps;
  BinEdges bin_edges;
};

// Per-cell RNG stream: a function of (seed, epoch, cell index) only, so
// results do not depend on thread count or visiting order.
Rng cell_rng(uint64_t seed, uint64_t epoch, int64_t cell_index);

// ---- the pipeline ----------------------------------------------------------------------
class TransformPipeline {
 public:
  // Checks the config against the vocabulary and resources (e.g. RDA needs
  // [S] [T] tokens, chromosomal order needs locations); throws ConfigError /
  // std::invalid_argument naming the key.
  TransformPipeline(const TransformConfig& cfg, const Vocab& vocab, TransformResources resources = {});

  // Thread-safe (const); allocation-free once `ws` and `out` are warm.
  // Throws std::invalid_argument naming the cell for a gene id outside the
  // vocabulary or a special token, a non-finite or negative value, or
  // non-integer counts under RDA downsampling.
  void apply(const CellRecord& cell, Rng& rng, TransformWorkspace& ws, TransformOutput& out,
             const CellContext& context = {}) const;
  void apply(int64_t cell_index, const int32_t* genes, const float* values, size_t n, Rng& rng, TransformWorkspace& ws,
             TransformOutput& out, const CellContext& context = {}) const;

  const TransformConfig& config() const { return cfg_; }
  // True when zero padding draws from the batch's expressed genes (CellContext::batch).
  bool needs_batch_genes() const { return padding_ == ZeroPadding::BatchWise || padding_ == ZeroPadding::Interleaved; }
  // Gene positions (max_length, less 2 for [S] [T] with RDA); 0 = no limit.
  size_t gene_budget() const { return gene_budget_; }
  int32_t n_depth_tokens() const { return rda_.mode == RdaMode::None ? 0 : 2; }
  // Every vocabulary gene: the zero candidates when CellContext::measured is null.
  const GeneSet& all_genes() const { return all_genes_; }

 private:
  enum class Order { None, Random, Expression, Rank, Chromosomal };
  enum class Dropout { None, Random, Chunk, Ordered };
  TransformConfig cfg_;
  TransformResources res_;
  int32_t vocab_size_ = 0, n_special_ = 0;
  size_t gene_budget_ = 0;
  Order order_ = Order::None;
  Dropout dropout_ = Dropout::None;
  ZeroPadding padding_ = ZeroPadding::None;
  ChromosomalOrder chromosomal_;
  RdaParams rda_;
  BinningParams binning_;
  GeneSet all_genes_;
};

}  // namespace bmfm::data

// Loader: cells -> transforms -> tokenizer / masker / WCED / labels -> ready
// Batches, built by background threads into a bounded prefetch queue.
//
// Order. Epoch e visits the rank's cells in a permutation that depends only on
// (seed, e): position p of the epoch is cell perm(p), perm a keyed Feistel
// bijection of [0, N) (cycle walking), so the shuffle is global across shards
// and costs O(1) memory whatever the corpus size. With W ranks, rank r takes
// positions r, r + W, r + 2W, ... (N / W of them, so every rank runs the same
// number of batches; the N mod W leftovers of an epoch are skipped). Batch j
// of an epoch holds the rank's positions [j B, (j+1) B) (the last one partial
// unless drop_last). Worker thread t builds the batches with
// (global batch number) mod T = t, and next() hands them out strictly by
// number, so the batches do not depend on the thread count, and every cell's
// random draws come from (seed, epoch, cell_index) streams (transforms.h,
// collator.h).
//
// Resuming: state() is {epoch, batches_consumed}; a Loader built with the same
// config and that state yields exactly the batches the first one would have.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bmfm/config/schema.h"
#include "bmfm/data/batch.h"
#include "bmfm/data/cell.h"
#include "bmfm/data/collator.h"
#include "bmfm/data/corpus.h"
#include "bmfm/data/gene_mapping.h"
#include "bmfm/data/labels.h"
#include "bmfm/data/transforms.h"

namespace bmfm::data {

// Where the loader's cells come from. read() must be thread-safe.
class CellSource {
 public:
  virtual ~CellSource() = default;
  virtual int64_t n_cells() const = 0;
  // Cell i: genes, values, label words (corpus.h layout); cell_index = i.
  virtual void read(int64_t i, CellRecord& out) const = 0;
  // Lets go of memory the source can get back (mapped corpus pages); the
  // loader calls it every LoaderConfig::release_every batches.
  virtual void release_memory() const {}
  // Genes cell i's dataset measures (zero-padding candidates); null = all genes.
  virtual const GeneSet* measured_genes(int64_t /*i*/) const { return nullptr; }
};

// A memory-mapped corpus.
class CorpusCellSource : public CellSource {
 public:
  // Cells are stored in source order, so the manifest's per-source counts say
  // which file (and which measured genes) each cell came from.
  explicit CorpusCellSource(const Corpus& corpus);
  int64_t n_cells() const override { return corpus_->n_cells(); }
  void read(int64_t i, CellRecord& out) const override { corpus_->read(i, out); }
  void release_memory() const override { corpus_->release_pages(); }
  const GeneSet* measured_genes(int64_t i) const override;

 private:
  const Corpus* corpus_;
  std::vector<int64_t> source_end_;      // cumulative cells per source
  std::vector<GeneSet> source_measured_; // empty set (vocab_size 0) = unknown
};

// One h5ad held in memory (fine-tuning a single dataset): the same records a
// corpus prepared from that file without QC would hold.
class MemoryCellSource : public CellSource {
 public:
  MemoryCellSource(const io::CsrMatrix& X, const GeneMapping& mapping, const EncodedLabels* labels = nullptr);
  int64_t n_cells() const override { return static_cast<int64_t>(records_.size()); }
  void read(int64_t i, CellRecord& out) const override { out = records_.at(static_cast<size_t>(i)); }
  const GeneSet* measured_genes(int64_t) const override { return &measured_; }

 private:
  std::vector<CellRecord> records_;
  GeneSet measured_;
};

// The cells `cells` of another source, in that order (a train / validation
// split). Records keep the base source's cell_index, so a cell's random
// streams are the same whichever split it is read through.
class SubsetCellSource : public CellSource {
 public:
  SubsetCellSource(const CellSource& base, std::vector<int64_t> cells);
  int64_t n_cells() const override { return static_cast<int64_t>(cells_.size()); }
  void read(int64_t i, CellRecord& out) const override { base_->read(cells_.at(static_cast<size_t>(i)), out); }
  void release_memory() const override { base_->release_memory(); }
  const GeneSet* measured_genes(int64_t i) const override {
    return base_->measured_genes(cells_.at(static_cast<size_t>(i)));
  }

 private:
  const CellSource* base_;
  std::vector<int64_t> cells_;
};

// Splits [0, n) into (train, validation): cell i goes to validation when a
// hash of (seed, i) falls below `val_fraction`, so membership does not depend
// on n or on the other cells. Both lists ascend.
std::pair<std::vector<int64_t>, std::vector<int64_t>> split_cells(int64_t n, double val_fraction, uint64_t seed);

struct LoaderConfig {
  int64_t batch_size = 32;
  int64_t threads = 2;       // worker threads
  int64_t prefetch = 4;      // batches ready ahead of the consumer (bounded queue)
  bool shuffle = true;
  bool drop_last = false;
  int64_t seed = 0;          // order, transforms and masking
  int64_t rank = -1;         // -1 = $RANK, else 0
  int64_t world_size = -1;   // -1 = $WORLD_SIZE, else 1
  int64_t release_every = 1024;  // batches between CellSource::release_memory() calls; 0 = never
  // 2: every cell is transformed twice with independent random draws (gene
  // subsets, dropout, RDA thinning), and the batch holds 2 B rows: the first
  // views of its cells, then their second views in the same order
  // (contrastive objectives). The second view's draws come from
  // Rng(seed, cell_stream(cell, epoch, stream_purpose::kView)).
  int64_t views = 1;
};
const config::Schema<LoaderConfig>& loader_schema();

struct LoaderState {
  int64_t epoch = 0;
  int64_t batches_consumed = 0;  // within the epoch
  bool operator==(const LoaderState& o) const { return epoch == o.epoch && batches_consumed == o.batches_consumed; }
};

// The epoch permutation: position p -> cell, a bijection of [0, n) keyed by (seed, epoch).
class EpochPermutation {
 public:
  EpochPermutation(int64_t n, uint64_t seed, uint64_t epoch, bool shuffle = true);
  int64_t operator()(int64_t p) const;

 private:
  int64_t n_;
  bool shuffle_;
  int half_bits_ = 1;
  uint64_t half_mask_ = 1;
  uint64_t keys_[4] = {};
};

class Loader {
 public:
  // `source`, `pipeline` and `collator` must outlive the Loader. `labels` is
  // the layout of the source's label words. Threads start at once, from `start`.
  Loader(const CellSource& source, const TransformPipeline& pipeline, const Collator& collator,
         const LabelLayout& labels, LoaderConfig cfg, LoaderState start = {});
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  int64_t rank() const { return rank_; }
  int64_t world_size() const { return world_; }
  int64_t batches_per_epoch() const { return n_batches_; }
  // Blocks until the next batch is ready; rethrows a worker's error. Swaps the
  // batch into `out`; out's previous buffers are recycled by the workers, so
  // pass the same Batch every time. Epochs follow each other.
  void next(Batch& out);
  // Position after the batches handed out so far.
  LoaderState state() const;
  // The source cells of global batch `g` (epoch g / batches_per_epoch), for tests and tools.
  std::vector<int64_t> batch_cells(int64_t g) const;

 private:
  struct Shared;
  void work(int64_t worker);
  const CellSource* source_;
  const TransformPipeline* pipeline_;
  const Collator* collator_;
  LabelLayout labels_;
  LoaderConfig cfg_;
  int64_t rank_ = 0, world_ = 1, per_rank_ = 0, n_batches_ = 0, first_batch_ = 0;
  std::unique_ptr<Shared> shared_;
};

}  // namespace bmfm::data

// Loader: worker threads build numbered batches; next() hands them out in order.
#include "bmfm/data/loader.h"

#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "bmfm/config/error.h"

namespace bmfm::data {

// ---- sources ---------------------------------------------------------------------

CorpusCellSource::CorpusCellSource(const Corpus& corpus) : corpus_(&corpus) {
  int64_t end = 0;
  for (const auto& src : corpus.manifest().sources) {
    end += src.n_written;
    source_end_.push_back(end);
    GeneSet set(src.measured_genes.empty() ? 0 : corpus.vocab().size());
    for (int32_t g : src.measured_genes) set.insert(g);
    source_measured_.push_back(std::move(set));
  }
}

const GeneSet* CorpusCellSource::measured_genes(int64_t i) const {
  const auto it = std::upper_bound(source_end_.begin(), source_end_.end(), i);
  if (it == source_end_.end()) return nullptr;
  const GeneSet& set = source_measured_[static_cast<size_t>(it - source_end_.begin())];
  return set.vocab_size() > 0 ? &set : nullptr;
}

MemoryCellSource::MemoryCellSource(const io::CsrMatrix& X, const GeneMapping& mapping, const EncodedLabels* labels)
    : measured_(mapping.vocab_size()) {
  for (int32_t g : mapping.mapped_vocab_ids()) measured_.insert(g);
  CellRecordBuilder builder(mapping);
  records_.resize(static_cast<size_t>(X.n_rows));
  for (int64_t r = 0; r < X.n_rows; ++r) {
    auto& rec = records_[static_cast<size_t>(r)];
    builder.build(X, r, r, rec);
    rec.cell_index = r;
    if (labels) label_words(*labels, r, rec.labels);
    else rec.labels.clear();
  }
}

// ---- config ------------------------------------------------------------------------

const config::Schema<LoaderConfig>& loader_schema() {
  static const auto schema =
      config::Schema<LoaderConfig>("loader")
          .field("batch_size", &LoaderConfig::batch_size, "cells per batch")
          .field("threads", &LoaderConfig::threads, "worker threads (batches do not depend on it)")
          .field("prefetch", &LoaderConfig::prefetch, "batches built ahead of the consumer")
          .field("shuffle", &LoaderConfig::shuffle, "global shuffle, deterministic in (seed, epoch)")
          .field("drop_last", &LoaderConfig::drop_last, "drop a final partial batch")
          .field("seed", &LoaderConfig::seed, "order, transform and masking seed")
          .field("rank", &LoaderConfig::rank, "this process's rank; -1 = $RANK (else 0)")
          .field("world_size", &LoaderConfig::world_size, "number of ranks; -1 = $WORLD_SIZE (else 1)")
          .field("release_every", &LoaderConfig::release_every,
                 "batches between dropping mapped corpus pages from the RSS; 0 = never")
          .check([](const LoaderConfig& c, const config::Config& cfg, const std::string& prefix) {
            if (c.batch_size < 1) config::fail(cfg, prefix + "batch_size", "must be >= 1");
            if (c.threads < 1) config::fail(cfg, prefix + "threads", "must be >= 1");
            if (c.prefetch < 1) config::fail(cfg, prefix + "prefetch", "must be >= 1");
          });
  return schema;
}

// ---- permutation -------------------------------------------------------------------

namespace {

uint64_t mix64(uint64_t z) {  // splitmix64 finaliser
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

int64_t env_int(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const long long x = std::strtoll(v, &end, 10);
  if (*end != '\0' || x < 0)
    throw std::invalid_argument(fmt::format("loader: environment variable {}='{}' is not a non-negative integer", name, v));
  return x;
}

}  // namespace

SubsetCellSource::SubsetCellSource(const CellSource& base, std::vector<int64_t> cells)
    : base_(&base), cells_(std::move(cells)) {
  for (int64_t c : cells_)
    if (c < 0 || c >= base.n_cells())
      throw std::out_of_range(fmt::format("subset: cell {} outside the source's {} cells", c, base.n_cells()));
}

std::pair<std::vector<int64_t>, std::vector<int64_t>> split_cells(int64_t n, double val_fraction, uint64_t seed) {
  std::vector<int64_t> train, val;
  // Compare the top 53 bits of the hash with the fraction: exact for any double.
  const uint64_t key = mix64(seed ^ 0x73706c6974ULL);  // "split"
  for (int64_t i = 0; i < n; ++i) {
    const double u = static_cast<double>(mix64(key ^ mix64(static_cast<uint64_t>(i))) >> 11) * 0x1.0p-53;
    (u < val_fraction ? val : train).push_back(i);
  }
  return {std::move(train), std::move(val)};
}

EpochPermutation::EpochPermutation(int64_t n, uint64_t seed, uint64_t epoch, bool shuffle) : n_(n), shuffle_(shuffle) {
  int bits = 1;
  while ((int64_t{1} << bits) < n) ++bits;
  half_bits_ = (bits + 1) / 2;
  half_mask_ = (uint64_t{1} << half_bits_) - 1;
  uint64_t k = mix64(seed ^ mix64(epoch + 0x5eed));
  for (auto& key : keys_) key = k = mix64(k);
}

int64_t EpochPermutation::operator()(int64_t p) const {
  if (!shuffle_) return p;
  // Balanced Feistel network over 2 * half_bits bits; cycle walking keeps it in [0, n).
  uint64_t x = static_cast<uint64_t>(p);
  do {
    uint64_t left = x >> half_bits_, right = x & half_mask_;
    for (uint64_t key : keys_) {
      const uint64_t f = mix64(right ^ key) & half_mask_;
      const uint64_t next = left ^ f;
      left = right;
      right = next;
    }
    x = (left << half_bits_) | right;
  } while (x >= static_cast<uint64_t>(n_));
  return static_cast<int64_t>(x);
}

// ---- loader -------------------------------------------------------------------------

struct Loader::Shared {
  std::mutex mu;
  std::condition_variable cv;
  std::map<int64_t, Batch> ready;
  std::vector<Batch> pool;  // buffers handed back by next(), reused by workers (no re-allocation per batch)
  int64_t next = 0;  // global batch number next() hands out
  bool stop = false;
  std::exception_ptr error;  // of the lowest failing batch number, error_batch
  int64_t error_batch = 0;
  std::vector<std::thread> threads;
};

Loader::Loader(const CellSource& source, const TransformPipeline& pipeline, const Collator& collator,
               const LabelLayout& labels, LoaderConfig cfg, LoaderState start)
    : source_(&source), pipeline_(&pipeline), collator_(&collator), labels_(labels), cfg_(cfg),
      shared_(std::make_unique<Shared>()) {
  if (cfg_.views != 1 && cfg_.views != 2) throw std::invalid_argument("loader: views must be 1 or 2");
  if (cfg_.batch_size < 1 || cfg_.threads < 1 || cfg_.prefetch < 1)
    throw std::invalid_argument("loader: batch_size, threads and prefetch must be >= 1");
  world_ = cfg_.world_size >= 0 ? cfg_.world_size : env_int("WORLD_SIZE", 1);
  rank_ = cfg_.rank >= 0 ? cfg_.rank : env_int("RANK", 0);
  if (world_ < 1 || rank_ >= world_)
    throw std::invalid_argument(fmt::format("loader: rank {} is not in [0, world_size {})", rank_, world_));
  const int64_t n = source_->n_cells();
  per_rank_ = n / world_;
  n_batches_ = cfg_.drop_last ? per_rank_ / cfg_.batch_size : (per_rank_ + cfg_.batch_size - 1) / cfg_.batch_size;
  if (n_batches_ == 0)
    throw std::invalid_argument(fmt::format("loader: {} cells over {} rank(s) make no batch of {}{}", n, world_,
                                            cfg_.batch_size, cfg_.drop_last ? " (drop_last)" : ""));
  if (start.epoch < 0 || start.batches_consumed < 0 || start.batches_consumed > n_batches_)
    throw std::invalid_argument(fmt::format("loader: cannot resume at epoch {}, batch {} (an epoch has {} batches)",
                                            start.epoch, start.batches_consumed, n_batches_));
  first_batch_ = start.epoch * n_batches_ + start.batches_consumed;
  shared_->next = first_batch_;
  for (int64_t t = 0; t < cfg_.threads; ++t) shared_->threads.emplace_back([this, t] { work(t); });
}

Loader::~Loader() {
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    shared_->stop = true;
  }
  shared_->cv.notify_all();
  for (auto& t : shared_->threads) t.join();
}

std::vector<int64_t> Loader::batch_cells(int64_t g) const {
  const int64_t epoch = g / n_batches_, j = g % n_batches_;
  const EpochPermutation perm(source_->n_cells(), static_cast<uint64_t>(cfg_.seed), static_cast<uint64_t>(epoch),
                              cfg_.shuffle);
  std::vector<int64_t> cells;
  const int64_t end = std::min(per_rank_, (j + 1) * cfg_.batch_size);
  for (int64_t k = j * cfg_.batch_size; k < end; ++k) cells.push_back(perm(rank_ + world_ * k));
  return cells;
}

void Loader::work(int64_t worker) {
  Shared& sh = *shared_;
  std::vector<CellRecord> records;
  std::vector<TransformedCell> cells;
  std::vector<const TransformedCell*> ptrs;
  TransformWorkspace ws;
  TransformOutput out;
  GeneSet batch_genes;
  const bool binned = collator_->tokenizer().expr_binned();
  const bool continuous = collator_->tokenizer().expr_continuous();
  const bool label_expr = collator_->tokenizer().field(FieldKind::LabelExpressions) != nullptr;
  int64_t g = first_batch_ + worker;
  try {
    for (;; g += cfg_.threads) {
      {
        std::unique_lock<std::mutex> lock(sh.mu);
        sh.cv.wait(lock, [&] { return sh.stop || g < sh.next + cfg_.prefetch; });
        if (sh.stop) return;
      }
      const uint64_t epoch = static_cast<uint64_t>(g / n_batches_);
      const std::vector<int64_t> ids = batch_cells(g);
      const size_t n = ids.size(), views = static_cast<size_t>(cfg_.views);
      records.resize(n);
      cells.resize(n * views);
      ptrs.resize(n * views);
      for (size_t b = 0; b < ids.size(); ++b) source_->read(ids[b], records[b]);
      // Batch-wise padding prefers zeros of genes expressed elsewhere in the
      // batch, so every cell of the batch is read before any is transformed.
      CellContext ctx;
      if (pipeline_->needs_batch_genes()) {
        if (batch_genes.vocab_size() == 0) batch_genes = GeneSet(pipeline_->all_genes().vocab_size());
        batch_genes.clear();
        for (const CellRecord& rec : records)
          batch_genes.insert_expressed(rec.genes.data(), rec.values.data(), rec.genes.size());
        ctx.batch = &batch_genes;
      }
      for (size_t k = 0; k < n * views; ++k) {
        const size_t b = k % n;
        CellRecord& rec = records[b];
        Rng rng = k < n ? cell_rng(static_cast<uint64_t>(cfg_.seed), epoch, rec.cell_index)
                        : Rng(static_cast<uint64_t>(cfg_.seed), cell_stream(rec.cell_index, epoch, stream_purpose::kView));
        ctx.measured = source_->measured_genes(ids[b]);
        pipeline_->apply(rec, rng, ws, out, ctx);
        TransformedCell& tc = cells[k];
        tc.cell_index = rec.cell_index;
        tc.genes.swap(out.genes);
        if (continuous) tc.expr_values.swap(out.values);
        if (binned) tc.expr_bins.swap(out.bins);
        if (label_expr) tc.label_expressions.swap(out.targets);
        tc.has_depth = out.has_depth;
        tc.depth_s = out.depth_s;
        tc.depth_t = out.depth_t;
        tc.raw = &rec;
        split_label_words(rec.labels.data(), labels_, tc.class_labels, tc.multilabel, tc.regression);
        ptrs[k] = &tc;
      }
      Batch batch;
      {
        std::lock_guard<std::mutex> lock(sh.mu);
        if (!sh.pool.empty()) {
          batch = std::move(sh.pool.back());
          sh.pool.pop_back();
        }
      }
      collator_->collate(ptrs.data(), ptrs.size(), epoch, batch);
      batch.views = cfg_.views;
      {
        std::lock_guard<std::mutex> lock(sh.mu);
        sh.ready.emplace(g, std::move(batch));
      }
      sh.cv.notify_all();
    }
  } catch (...) {
    // Batches before g are still built by the other workers, so the consumer
    // sees the error at the same batch whatever the thread count.
    std::lock_guard<std::mutex> lock(sh.mu);
    if (!sh.error || g < sh.error_batch) {
      sh.error = std::current_exception();
      sh.error_batch = g;
    }
    sh.cv.notify_all();
  }
}

void Loader::next(Batch& out) {
  Shared& sh = *shared_;
  int64_t handed_out = 0;
  {
    std::unique_lock<std::mutex> lock(sh.mu);
    sh.cv.wait(lock, [&] { return (sh.error && sh.next >= sh.error_batch) || sh.ready.count(sh.next) > 0; });
    auto it = sh.ready.find(sh.next);
    if (it == sh.ready.end()) std::rethrow_exception(sh.error);
    std::swap(out, it->second);  // the caller's previous buffers go back to the workers
    if (sh.pool.size() < static_cast<size_t>(cfg_.prefetch + cfg_.threads)) sh.pool.push_back(std::move(it->second));
    sh.ready.erase(it);
    handed_out = ++sh.next;
  }
  sh.cv.notify_all();
  if (cfg_.release_every > 0 && handed_out % cfg_.release_every == 0) source_->release_memory();
}

LoaderState Loader::state() const {
  std::lock_guard<std::mutex> lock(shared_->mu);
  return {shared_->next / n_batches_, shared_->next % n_batches_};
}

}  // namespace bmfm::data

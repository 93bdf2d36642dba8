// Loader: deterministic order, thread-count independence, rank split, resume,
// and identical batches from the in-memory and corpus sources.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <set>
#include <string>
#include <vector>

#include "bmfm/data/corpus.h"
#include "bmfm/data/loader.h"
#include "bmfm/data/prepare.h"
#include "bmfm/io/h5ad.h"
#include "test_util.h"

using namespace bmfm::data;

namespace {

// One process (rank 0 of 1, not read from $RANK), `threads` workers.
LoaderConfig one_process(int64_t batch_size, int64_t seed, int64_t threads) {
  LoaderConfig lc;
  lc.batch_size = batch_size;
  lc.seed = seed;
  lc.world_size = 1;
  lc.rank = 0;
  lc.threads = threads;
  return lc;
}

// A synthetic source: cell i has genes 5 .. 5 + (i % 7) with values i + k.
class FakeSource : public CellSource {
 public:
  explicit FakeSource(int64_t n) : n_(n) {}
  int64_t n_cells() const override { return n_; }
  void read(int64_t i, CellRecord& out) const override {
    out.cell_index = i;
    out.genes.clear();
    out.values.clear();
    for (int32_t k = 0; k <= i % 7; ++k) {
      out.genes.push_back(5 + k);
      out.values.push_back(static_cast<float>(i + k + 1));
    }
    out.labels.clear();
  }

 private:
  int64_t n_;
};

Vocab ten_genes() { return Vocab::from_genes({"g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7", "g8", "g9"}); }

CollatorConfig mlm_config(int32_t max_length) {
  CollatorConfig c;
  c.tokenizer.max_length = max_length;
  c.tokenizer.fields = {{"genes", "token", 0, 0.3}, {"expressions", "continuous", 0, 0.3}};
  return c;
}

void expect_same(const Batch& a, const Batch& b) {
  EXPECT_EQ(a.cell_index, b.cell_index);
  EXPECT_EQ(a.gene_ids, b.gene_ids);
  EXPECT_EQ(a.expr_values, b.expr_values);
  EXPECT_EQ(a.gene_labels, b.gene_labels);
  EXPECT_EQ(a.expr_label_values, b.expr_label_values);
  EXPECT_EQ(a.wced_values, b.wced_values);
  EXPECT_EQ(a.class_labels, b.class_labels);
}

std::vector<Batch> take(Loader& l, int n) {
  std::vector<Batch> out(static_cast<size_t>(n));
  for (auto& b : out) l.next(b);
  return out;
}

}  // namespace

TEST(LoaderPermutation, IsABijectionDeterministicInSeedAndEpoch) {
  for (int64_t n : {1, 2, 3, 5, 17, 64, 100, 1000}) {
    const EpochPermutation p(n, 7, 3);
    std::vector<int64_t> seen;
    for (int64_t i = 0; i < n; ++i) seen.push_back(p(i));
    std::sort(seen.begin(), seen.end());
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(seen[static_cast<size_t>(i)], i) << "n " << n;
  }
  const EpochPermutation a(1000, 7, 3), b(1000, 7, 3), c(1000, 7, 4), d(1000, 8, 3);
  int same_c = 0, same_d = 0;
  for (int64_t i = 0; i < 1000; ++i) {
    EXPECT_EQ(a(i), b(i));
    same_c += a(i) == c(i);
    same_d += a(i) == d(i);
  }
  EXPECT_LT(same_c, 20);  // a random permutation has ~1 fixed point in common
  EXPECT_LT(same_d, 20);
  const EpochPermutation id(10, 7, 3, false);
  for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(id(i), i);
}

TEST(Loader, BatchesDoNotDependOnThreadCount) {
  const Vocab vocab = ten_genes();
  const FakeSource src(100);
  TransformConfig tc;
  const TransformPipeline pipe(tc, vocab);
  const Collator col(vocab, mlm_config(16), {}, 5);
  LoaderConfig lc = one_process(8, 11, 1);
  Loader one(src, pipe, col, {}, lc);
  lc.threads = 3;
  lc.prefetch = 2;
  Loader three(src, pipe, col, {}, lc);
  EXPECT_EQ(one.batches_per_epoch(), 13);  // ceil(100 / 8)
  const auto a = take(one, 30), b = take(three, 30);  // crosses two epoch boundaries
  for (size_t i = 0; i < a.size(); ++i) expect_same(a[i], b[i]);
  EXPECT_EQ(a[12].B, 4);  // last batch of an epoch: 100 - 12 * 8
  // Every cell once per epoch.
  std::set<int64_t> epoch0;
  for (int i = 0; i < 13; ++i) epoch0.insert(a[static_cast<size_t>(i)].cell_index.begin(), a[static_cast<size_t>(i)].cell_index.end());
  EXPECT_EQ(epoch0.size(), 100u);
  EXPECT_NE(a[0].cell_index, a[13].cell_index);  // epoch 1 is shuffled differently
  EXPECT_EQ(one.state(), (LoaderState{2, 4}));
}

TEST(Loader, ResumeFromStateGivesTheSameBatches) {
  const Vocab vocab = ten_genes();
  const FakeSource src(50);
  const TransformPipeline pipe(TransformConfig{}, vocab);
  const Collator col(vocab, mlm_config(16), {}, 5);
  LoaderConfig lc = one_process(6, 3, 2);  // 2 = the default workers
  Loader first(src, pipe, col, {}, lc);
  const auto head = take(first, 7);
  const LoaderState saved = first.state();
  EXPECT_EQ(saved, (LoaderState{0, 7}));
  const auto tail = take(first, 8);  // into epoch 1 (9 batches per epoch)
  Loader resumed(src, pipe, col, {}, lc, saved);
  const auto again = take(resumed, 8);
  for (size_t i = 0; i < tail.size(); ++i) expect_same(tail[i], again[i]);
  EXPECT_EQ(resumed.state(), first.state());
}

TEST(Loader, RanksReadDisjointEqualShares) {
  const Vocab vocab = ten_genes();
  const FakeSource src(101);
  const TransformPipeline pipe(TransformConfig{}, vocab);
  const Collator col(vocab, mlm_config(16), {}, 5);
  LoaderConfig lc;
  lc.batch_size = 10;
  lc.world_size = 2;
  std::set<int64_t> all;
  for (int64_t r = 0; r < 2; ++r) {
    lc.rank = r;
    Loader l(src, pipe, col, {}, lc);
    EXPECT_EQ(l.batches_per_epoch(), 5);  // 101 / 2 = 50 cells per rank
    int64_t n = 0;
    for (int64_t g = 0; g < l.batches_per_epoch(); ++g)
      for (int64_t c : l.batch_cells(g)) {
        all.insert(c);
        ++n;
      }
    EXPECT_EQ(n, 50);
  }
  EXPECT_EQ(all.size(), 100u);  // disjoint
}

TEST(Loader, UnshuffledSingleRankIsFileOrder) {
  const Vocab vocab = ten_genes();
  const FakeSource src(10);
  const TransformPipeline pipe(TransformConfig{}, vocab);
  const Collator col(vocab, mlm_config(16), {}, 5);
  LoaderConfig lc;
  lc.batch_size = 4;
  lc.shuffle = false;
  lc.world_size = 1;
  lc.rank = 0;
  Loader l(src, pipe, col, {}, lc);
  EXPECT_EQ(l.batch_cells(1), (std::vector<int64_t>{4, 5, 6, 7}));
  Batch b;
  l.next(b);
  // Row 1 = cell 1: [CLS] g0 g1 [SEP], values 2, 3 (unmasked positions) -- see FakeSource.
  EXPECT_EQ(b.cell_index, (std::vector<int64_t>{0, 1, 2, 3}));
}

TEST(Loader, MemorySourceMatchesCorpusSource) {
  BMFM_REQUIRE_DATA("bmfm_cellxgene_pretrain.h5ad");
  PrepareConfig pc;
  pc.inputs = {bmfm::test::data_path("bmfm_cellxgene_pretrain.h5ad")};
  pc.output = bmfm::test::temp_dir("loader_mem") + "/corpus";
  pc.cells_per_shard = 64;
  LabelColumnConfig ct;
  ct.name = "cell_type";
  pc.label_columns = {ct};
  prepare_corpus(pc);
  const Corpus corpus = Corpus::open(pc.output);
  const CorpusCellSource from_corpus(corpus);

  const bmfm::io::H5adReader reader(pc.inputs[0]);
  const GeneMapping mapping = GeneMapping::from_var(reader.read_var(), corpus.vocab());
  const EncodedLabels enc = encode_labels(reader.read_obs(), corpus.labels(), pc.label_columns, "test");
  const bmfm::io::CsrMatrix X = reader.read_matrix();
  const MemoryCellSource in_memory(X, mapping, &enc);

  TransformConfig tc;
  tc.max_length = 1024;
  tc.order.mode = "random";
  const TransformPipeline pipe(tc, corpus.vocab());
  CollatorConfig cc = mlm_config(1024);
  cc.wced.enabled = true;
  const Collator col(corpus.vocab(), cc, corpus.labels().layout(), 9);
  LoaderConfig lc = one_process(16, 21, 2);  // 2 = the default workers
  Loader a(from_corpus, pipe, col, corpus.labels().layout(), lc);
  lc.threads = 1;
  Loader b(in_memory, pipe, col, corpus.labels().layout(), lc);
  for (int i = 0; i < 16; ++i) {  // 14 batches per epoch: into epoch 1
    Batch x, y;
    a.next(x);
    b.next(y);
    ASSERT_EQ(x.B, y.B);
    expect_same(x, y);
    EXPECT_TRUE(x.has_wced);
    EXPECT_EQ(x.C, 1);
  }
}

namespace {
class ThrowingSource : public FakeSource {
 public:
  ThrowingSource() : FakeSource(40) {}
  void read(int64_t i, CellRecord& out) const override {
    if (i == 13) throw std::runtime_error("cell 13 is unreadable");
    FakeSource::read(i, out);
  }
};
}  // namespace

TEST(Loader, WorkerErrorReachesTheConsumer) {
  const Vocab vocab = ten_genes();
  const ThrowingSource src;
  const TransformPipeline pipe(TransformConfig{}, vocab);
  const Collator col(vocab, mlm_config(16), {}, 5);
  LoaderConfig lc;
  lc.batch_size = 4;
  lc.shuffle = false;
  lc.world_size = 1;
  lc.rank = 0;
  Loader l(src, pipe, col, {}, lc);
  Batch b;
  for (int i = 0; i < 3; ++i) l.next(b);  // cells 0..11 are fine
  try {
    l.next(b);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cell 13"), std::string::npos);
  }
}

TEST(Loader, RankFromEnvironment) {
  const Vocab vocab = ten_genes();
  const FakeSource src(20);
  const TransformPipeline pipe(TransformConfig{}, vocab);
  const Collator col(vocab, mlm_config(16), {}, 5);
  setenv("RANK", "1", 1);
  setenv("WORLD_SIZE", "4", 1);
  LoaderConfig lc;
  lc.batch_size = 5;
  lc.shuffle = false;
  Loader l(src, pipe, col, {}, lc);
  unsetenv("RANK");
  unsetenv("WORLD_SIZE");
  EXPECT_EQ(l.rank(), 1);
  EXPECT_EQ(l.world_size(), 4);
  EXPECT_EQ(l.batch_cells(0), (std::vector<int64_t>{1, 5, 9, 13, 17}));
}

TEST(Loader, BatchWisePaddingUsesTheBatchsExpressedGenes) {
  // Unshuffled batch 0 holds cells 0..7; cell 6 expresses vocab ids 5..11, so
  // cell 0 (id 5 only), padded to 8 genes, must get the batch's other
  // expressed genes 6..11 as its first zeros, then one more zero gene.
  const Vocab vocab = ten_genes();
  const FakeSource src(16);
  TransformConfig tc;
  tc.max_length = 8;
  tc.zero_padding.mode = "batch_wise";
  const TransformPipeline pipe(tc, vocab);
  ASSERT_TRUE(pipe.needs_batch_genes());
  CollatorConfig cc = mlm_config(16);
  cc.tokenizer.fields = {{"genes", "token", 0, 0.0}, {"expressions", "continuous", 0, 0.0}};  // no masking
  const Collator col(vocab, cc, {}, 5);
  LoaderConfig lc;
  lc.batch_size = 8;
  lc.shuffle = false;
  lc.world_size = 1;
  lc.rank = 0;
  lc.threads = 2;
  Loader loader(src, pipe, col, {}, lc);
  Batch b;
  loader.next(b);
  ASSERT_EQ(b.cell_index.front(), 0);
  std::set<int32_t> row0;
  int real = 0;
  for (int64_t j = 0; j < b.L; ++j) {
    if (!b.pad_mask[static_cast<size_t>(j)]) continue;
    ++real;
    row0.insert(b.gene_ids[static_cast<size_t>(j)]);
  }
  EXPECT_EQ(real, 8 + 2);  // [CLS] + 8 genes + [SEP]
  for (int32_t g = 5; g <= 11; ++g) EXPECT_TRUE(row0.count(g)) << g;
}

TEST(Loader, RandomZeroPaddingStaysWithinTheDatasetsMeasuredGenes) {
  // The file measures g0..g3 (vocab ids 5..8) of a ten-gene vocabulary; every
  // cell expresses g0 only, so padding to 4 genes must add exactly g1..g3 and
  // never an unmeasured gene (ids 9..14).
  const Vocab vocab = ten_genes();
  const GeneMapping mapping = GeneMapping::build({"g0", "g1", "g2", "g3"}, vocab);
  bmfm::io::CsrMatrix X;
  X.n_rows = 6;
  X.n_cols = 4;
  for (int r = 0; r < 6; ++r) {
    X.indices.push_back(0);
    X.data.push_back(static_cast<float>(r + 1));
    X.indptr.push_back(static_cast<int64_t>(X.data.size()));
  }
  const MemoryCellSource src(X, mapping);
  TransformConfig tc;
  tc.max_length = 4;
  tc.zero_padding.mode = "random";
  const TransformPipeline pipe(tc, vocab);
  CollatorConfig cc = mlm_config(16);
  cc.tokenizer.fields = {{"genes", "token", 0, 0.0}, {"expressions", "continuous", 0, 0.0}};  // no masking
  const Collator col(vocab, cc, {}, 5);
  LoaderConfig lc;
  lc.batch_size = 6;
  lc.world_size = 1;
  lc.rank = 0;
  lc.threads = 1;
  Loader loader(src, pipe, col, {}, lc);
  Batch b;
  loader.next(b);
  for (int64_t i = 0; i < b.B; ++i) {
    std::set<int32_t> genes;
    for (int64_t j = 0; j < b.L; ++j)
      if (b.pad_mask[static_cast<size_t>(i * b.L + j)]) genes.insert(b.gene_ids[static_cast<size_t>(i * b.L + j)]);
    EXPECT_EQ(genes, (std::set<int32_t>{vocab.cls_id(), vocab.sep_id(), 5, 6, 7, 8})) << "cell " << i;
  }
}

// Two views (contrastive objectives): rows i and i + B hold the same cell,
// each view's first B rows are exactly the one-view batch, and the second
// view draws its own random gene order (so a different subset survives
// truncation); the same for any thread count.
TEST(Loader, TwoViewsHoldEachCellTwiceWithIndependentDraws) {
  const Vocab vocab = ten_genes();
  const FakeSource src(40);
  TransformConfig tc;
  tc.order.mode = "random";
  tc.max_length = 3;  // cells have up to 7 genes: truncation keeps a random 3
  const TransformPipeline pipe(tc, vocab);
  CollatorConfig cc;
  cc.tokenizer.max_length = 16;
  cc.tokenizer.fields = {{"genes", "token", 0, 0.0}, {"expressions", "continuous", 0, 0.0}};
  const Collator col(vocab, cc, {}, 5);
  LoaderConfig lc = one_process(8, 3, 1);
  Loader one_view(src, pipe, col, {}, lc);
  lc.views = 2;
  Loader two(src, pipe, col, {}, lc);
  lc.threads = 2;
  Loader two_threads(src, pipe, col, {}, lc);
  Batch a, b, c;
  int differing = 0;
  for (int k = 0; k < 5; ++k) {
    one_view.next(a);
    two.next(b);
    two_threads.next(c);
    expect_same(b, c);
    ASSERT_EQ(b.B, 2 * a.B);
    EXPECT_EQ(b.views, 2);
    const int64_t n = a.B, L = b.L;
    for (int64_t i = 0; i < n; ++i) {
      EXPECT_EQ(b.cell_index[i], a.cell_index[i]);
      EXPECT_EQ(b.cell_index[i + n], a.cell_index[i]);
      const std::vector<int32_t> v1(b.gene_ids.begin() + i * L, b.gene_ids.begin() + (i + 1) * L);
      const std::vector<int32_t> v2(b.gene_ids.begin() + (i + n) * L, b.gene_ids.begin() + (i + n + 1) * L);
      differing += v1 != v2;
    }
    EXPECT_EQ(std::vector<int64_t>(b.cell_index.begin(), b.cell_index.begin() + n), a.cell_index);
  }
  EXPECT_GT(differing, 10);  // most cells with > 3 genes get another subset or order
  lc.views = 3;
  EXPECT_THROW(Loader(src, pipe, col, {}, lc), std::invalid_argument);
}

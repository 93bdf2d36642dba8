// Collator: a whole batch written out (inputs, sequence labels, flags and
// shapes), buffer reuse, per-cell errors, and a throughput report
// (DISABLED_: run with --gtest_also_run_disabled_tests; it prints ns/cell and
// asserts nothing about time).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <vector>

#include "bmfm/data/batch.h"
#include "bmfm/data/collator.h"
#include "tokenizer_test_util.h"

using namespace bmfm::data;
using bmfm::test::continuous_cell;
using bmfm::test::small_vocab;

namespace {

using I = std::vector<int32_t>;
using F = std::vector<float>;
using U = std::vector<uint8_t>;

CollatorConfig plain_config() {
  CollatorConfig c;
  c.tokenizer.fields = {{"genes", "", 0, 0}, {"expressions", "continuous", 0, 0}};
  c.tokenizer.max_length = 16;
  c.tokenizer.pad_to_multiple_of = 4;
  c.tokenizer.padding = "longest";
  return c;
}

}  // namespace

TEST(Collator, WholeBatchWithSequenceLabels) {
  const Vocab vocab = small_vocab(10);
  const LabelLayout layout{2, 3, 1};
  const Collator collator(vocab, plain_config(), layout);
  auto a = continuous_cell(7, {5, 6, 7}, {1, 2, 3});
  a.class_labels = {1, -100};
  a.multilabel = {0, 1, 1};
  a.regression = {0.5f};
  auto b = continuous_cell(9, {8}, {4});
  b.class_labels = {0, 2};
  b.multilabel = {-100, -100, -100};
  b.regression = {std::numeric_limits<float>::quiet_NaN()};
  Batch batch;
  collator.collate({a, b}, 0, batch);
  EXPECT_EQ(batch.B, 2);
  EXPECT_EQ(batch.L, 8);  // longest row 5 -> multiple of 4
  EXPECT_EQ(batch.cell_index, (std::vector<int64_t>{7, 9}));
  EXPECT_EQ(batch.gene_ids, (I{3, 5, 6, 7, 1, 2, 2, 2, /**/ 3, 8, 1, 2, 2, 2, 2, 2}));
  EXPECT_EQ(batch.pad_mask, (U{1, 1, 1, 1, 1, 0, 0, 0, /**/ 1, 1, 1, 0, 0, 0, 0, 0}));
  EXPECT_EQ(batch.expr_values, (F{0, 1, 2, 3, 0, 0, 0, 0, /**/ 0, 4, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(batch.expr_special, (U{3, 0, 0, 0, 1, 2, 2, 2, /**/ 3, 0, 1, 2, 2, 2, 2, 2}));
  EXPECT_EQ(batch.class_labels, (I{1, -100, 0, 2}));
  EXPECT_EQ(batch.multilabel, (F{0, 1, 1, -100, -100, -100}));
  EXPECT_EQ(batch.regression, (F{0.5f, -100}));
  EXPECT_EQ(batch.regression_mask, (U{1, 0}));
  EXPECT_TRUE(batch.has_expr_values);
  EXPECT_FALSE(batch.has_expr_tokens || batch.has_gene_labels || batch.has_expr_label_values || batch.has_wced ||
               batch.has_perturbations);
  EXPECT_TRUE(batch.expr_token_ids.empty() && batch.gene_labels.empty() && batch.wced_values.empty());
  EXPECT_EQ(batch.n_truncated, 0);
}

TEST(Collator, ReusesBuffersAndCountsTruncation) {
  const Vocab vocab = small_vocab(40);
  auto cfg = plain_config();
  cfg.tokenizer.fields[0].change_ratio = 0.3;
  const Collator collator(vocab, cfg, {}, 1);
  std::vector<TransformedCell> cells;
  for (int c = 0; c < 8; ++c) {
    std::vector<int32_t> g;
    std::vector<float> v;
    for (int i = 0; i < 5 + 3 * c; ++i) {
      g.push_back(5 + i);
      v.push_back(static_cast<float>(i));
    }
    cells.push_back(continuous_cell(c, g, v));
  }
  Batch batch;
  collator.collate(cells, 0, batch);
  EXPECT_EQ(batch.L, 16);
  EXPECT_EQ(batch.n_truncated, 4);  // 5 + 3c genes + 2 > 16 for c >= 3
  const int32_t* ids = batch.gene_ids.data();
  const int32_t* labels = batch.gene_labels.data();
  collator.collate({cells[0], cells[1]}, 0, batch);  // smaller: no reallocation
  EXPECT_EQ(batch.gene_ids.data(), ids);
  EXPECT_EQ(batch.gene_labels.data(), labels);
  EXPECT_EQ(batch.B, 2);
  EXPECT_EQ(batch.gene_ids.size(), static_cast<size_t>(2 * batch.L));
  EXPECT_EQ(batch.n_truncated, 0);
}

TEST(Collator, CellErrors) {
  const Vocab vocab = small_vocab(10);
  const Collator with_labels(vocab, plain_config(), LabelLayout{1, 0, 0});
  Batch batch;
  auto cell = continuous_cell(3, {5}, {1});
  EXPECT_HAS(bmfm::test::error_of<std::invalid_argument>([&] { with_labels.collate({cell}, 0, batch); }),
             "cell 3: class_labels has 0 entries but the label dictionary needs 1");
  auto masked = plain_config();
  masked.tokenizer.fields[1].change_ratio = 0.1;
  const Collator masking(vocab, masked);
  cell.cell_index = -1;
  EXPECT_HAS(bmfm::test::error_of<std::invalid_argument>([&] { masking.collate({cell}, 0, batch); }), "cell_index -1 is unset");
}

// One 1024-row cell (1022 genes, continuous values) through tokenize + mask
// (genes and expressions, 15%) + collate, batches of 32; and the same with
// WCED targets over a 20,000-gene vocabulary (zeros: none).
TEST(Collator, DISABLED_ThroughputReport) {
  const int n_vocab_genes = 20000, n_genes = 1022, B = 32, n_batches = 200;
  const Vocab vocab = small_vocab(n_vocab_genes);
  std::vector<TransformedCell> cells(B);
  std::vector<CellRecord> raws(B);
  Rng rng(5);
  for (int b = 0; b < B; ++b) {
    std::set<int32_t> used;
    auto& c = cells[static_cast<size_t>(b)];
    c.cell_index = b;
    while (static_cast<int>(c.genes.size()) < n_genes) {
      const auto g = static_cast<int32_t>(5 + rng.uniform_int(n_vocab_genes));
      if (used.insert(g).second) c.genes.push_back(g);
    }
    for (int i = 0; i < n_genes; ++i) c.expr_values.push_back(static_cast<float>(rng.uniform() * 5));
    auto& r = raws[static_cast<size_t>(b)];
    r.cell_index = b;
    r.genes = c.genes;
    for (int i = 0; i < n_genes; ++i) r.values.push_back(static_cast<float>(1 + rng.uniform_int(20)));
    c.raw = &r;
  }
  auto run = [&](bool wced, const char* what) {
    CollatorConfig cfg;
    cfg.tokenizer.fields = {{"genes", "", 0, 0.15}, {"expressions", "continuous", 0, 0.15}};
    cfg.tokenizer.max_length = 1024;
    cfg.wced.enabled = wced;
    const Collator collator(vocab, cfg, {}, 1);
    Batch batch;
    collator.collate(cells, 0, batch);  // warm the buffers
    const auto t0 = std::chrono::steady_clock::now();
    for (int k = 0; k < n_batches; ++k) collator.collate(cells, static_cast<uint64_t>(k), batch);
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%s: %.0f ns/cell (%.0f cells/s on one thread), L = %lld\n", what, ns / (B * n_batches),
                1e9 * B * n_batches / ns, static_cast<long long>(batch.L));
  };
  run(false, "tokenize+mask+collate (MLM, 1022 genes)");
  run(true, "tokenize+mask+collate+WCED (V = 20000)");
}

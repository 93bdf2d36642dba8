// Masker: rates over many cells against their binomial expectations, the
// mask / switch / keep split, positions that must never change, co-masking,
// and determinism in (seed, cell_index, epoch) whatever the batch around the
// cell. Tolerances are 5 binomial standard deviations: a correct masker fails
// with probability < 1e-6 per check, and seeds are fixed, so the test is stable.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <thread>
#include <vector>

#include "bmfm/data/batch.h"
#include "bmfm/data/collator.h"
#include "tokenizer_test_util.h"

using namespace bmfm::data;
using bmfm::test::small_vocab;

namespace {

constexpr int kVocabGenes = 1000;

// n_cells cells of n_genes distinct genes each, values 1 + position.
std::vector<TransformedCell> make_cells(int n_cells, int n_genes, uint64_t seed, bool binned = false,
                                        int n_bins = 10) {
  std::vector<TransformedCell> cells(static_cast<size_t>(n_cells));
  Rng rng(seed);
  for (int c = 0; c < n_cells; ++c) {
    auto& cell = cells[static_cast<size_t>(c)];
    cell.cell_index = 1000 + c;
    std::set<int32_t> used;
    while (static_cast<int>(cell.genes.size()) < n_genes) {
      const auto g = static_cast<int32_t>(5 + rng.uniform_int(kVocabGenes));
      if (used.insert(g).second) cell.genes.push_back(g);
    }
    for (int i = 0; i < n_genes; ++i) {
      if (binned)
        cell.expr_bins.push_back(static_cast<int32_t>(rng.uniform_int(n_bins)));
      else
        cell.expr_values.push_back(1.0f + static_cast<float>(i));
    }
  }
  return cells;
}

CollatorConfig mlm_config(double p_genes, double p_expr, double mask_ratio, double switch_ratio, bool comask = false,
                          bool binned = false) {
  CollatorConfig c;
  c.tokenizer.fields = {{"genes", "", 0, p_genes},
                        {"expressions", binned ? "binned" : "continuous", binned ? 10 : 0, p_expr}};
  c.tokenizer.max_length = 256;
  c.tokenizer.pad_to_multiple_of = 8;
  c.tokenizer.padding = "longest";
  c.masker.mask_ratio = mask_ratio;
  c.masker.switch_ratio = switch_ratio;
  c.masker.comask = comask;
  return c;
}

// |observed - n p| <= 5 sd of Binomial(n, p).
void expect_binomial(int64_t observed, int64_t n, double p, const char* what) {
  const double mean = static_cast<double>(n) * p;
  const double sd = std::sqrt(static_cast<double>(n) * p * (1 - p));
  EXPECT_LE(std::abs(static_cast<double>(observed) - mean), 5 * sd + 1e-9)
      << what << ": observed " << observed << " of " << n << ", expected " << mean << " +- " << 5 * sd;
}

struct Tally {
  int64_t positions = 0, gene_changed = 0, gene_masked = 0, gene_switched = 0;
  int64_t expr_changed = 0, expr_masked = 0, expr_switched = 0, gene_masked_expr_eligible = 0;
};

}  // namespace

TEST(Masker, RatesAndSplitWithinBinomialTolerance) {
  const Vocab vocab = small_vocab(kVocabGenes);
  const Collator collator(vocab, mlm_config(0.15, 0.15, 0.8, 0.1), {}, /*seed=*/7);
  const auto cells = make_cells(2000, 200, 1);
  Batch batch;
  Tally t;
  for (size_t start = 0; start < cells.size(); start += 100) {
    std::vector<TransformedCell> part(cells.begin() + static_cast<long>(start),
                                      cells.begin() + static_cast<long>(start + 100));
    collator.collate(part, /*epoch=*/0, batch);
    for (int64_t b = 0; b < batch.B; ++b) {
      const auto& cell = part[static_cast<size_t>(b)];
      for (int64_t i = 0; i < 200; ++i) {
        const auto pos = static_cast<size_t>(b * batch.L + 1 + i);
        ++t.positions;
        const int32_t label = batch.gene_labels[pos], id = batch.gene_ids[pos];
        const bool gene_masked = id == vocab.mask_id();
        if (label != -100) {
          ++t.gene_changed;
          EXPECT_EQ(label, cell.genes[static_cast<size_t>(i)]);
          if (gene_masked) ++t.gene_masked;
          else if (id != label) ++t.gene_switched;
          EXPECT_TRUE(id == label || gene_masked || (id >= vocab.n_special() && id < vocab.size()));
        } else {
          EXPECT_EQ(id, cell.genes[static_cast<size_t>(i)]);
        }
        if (!gene_masked) ++t.gene_masked_expr_eligible;
        if (batch.expr_label_mask[pos]) {
          ++t.expr_changed;
          EXPECT_FALSE(gene_masked) << "a position whose gene is [MASK] must not be changed in expressions";
          EXPECT_EQ(batch.expr_label_values[pos], cell.expr_values[static_cast<size_t>(i)]);
          if (batch.expr_special[pos] == field_token::kMask) {
            ++t.expr_masked;
            EXPECT_EQ(batch.expr_values[pos], 0.0f);
          } else if (batch.expr_values[pos] != cell.expr_values[static_cast<size_t>(i)]) {
            ++t.expr_switched;
          }
        } else {
          EXPECT_EQ(batch.expr_label_values[pos], -100.0f);
          EXPECT_EQ(batch.expr_values[pos], cell.expr_values[static_cast<size_t>(i)]);
          EXPECT_EQ(batch.expr_special[pos], 0);
        }
      }
    }
  }
  ASSERT_EQ(t.positions, 400000);
  expect_binomial(t.gene_changed, t.positions, 0.15, "genes changed");
  expect_binomial(t.gene_masked, t.gene_changed, 0.8, "genes masked among changed");
  // A switch to a random gene hits the original gene with probability 1/1000.
  expect_binomial(t.gene_switched, t.gene_changed, 0.1 * (1 - 1.0 / kVocabGenes), "genes switched among changed");
  // Expressions are changed only where the gene was not masked: p = 0.15 (1 - 0.15 * 0.8).
  expect_binomial(t.expr_changed, t.positions, 0.15 * (1 - 0.15 * 0.8), "expressions changed");
  expect_binomial(t.expr_masked, t.expr_changed, 0.8, "expressions masked among changed");
  // Switched values come from the cell's 200 distinct values: 1/200 pick the position itself.
  expect_binomial(t.expr_switched, t.expr_changed, 0.1 * (1 - 1.0 / 200), "expressions switched among changed");
}

TEST(Masker, BinnedSwitchDrawsUniformBins) {
  const Vocab vocab = small_vocab(kVocabGenes);
  const Collator collator(vocab, mlm_config(0, 0.5, 0.0, 1.0, false, /*binned=*/true), {}, 3);
  const auto cells = make_cells(200, 100, 2, /*binned=*/true);
  Batch batch;
  collator.collate(cells, 0, batch);
  std::vector<int64_t> per_bin(10, 0);
  int64_t changed = 0;
  for (int64_t b = 0; b < batch.B; ++b)
    for (int64_t i = 0; i < 100; ++i) {
      const auto pos = static_cast<size_t>(b * batch.L + 1 + i);
      EXPECT_EQ(batch.gene_ids[pos], cells[static_cast<size_t>(b)].genes[static_cast<size_t>(i)]);
      if (batch.expr_label_ids[pos] == -100) continue;
      ++changed;
      const int32_t bin = cells[static_cast<size_t>(b)].expr_bins[static_cast<size_t>(i)];
      EXPECT_EQ(batch.expr_label_ids[pos], field_token::kFirstValue + bin);
      const int32_t tok = batch.expr_token_ids[pos];
      ASSERT_GE(tok, field_token::kFirstValue);
      ASSERT_LT(tok, field_token::kFirstValue + 10);
      ++per_bin[static_cast<size_t>(tok - field_token::kFirstValue)];
    }
  expect_binomial(changed, 200 * 100, 0.5, "binned changed");
  for (int k = 0; k < 10; ++k) expect_binomial(per_bin[static_cast<size_t>(k)], changed, 0.1, "switched bin");
  EXPECT_TRUE(batch.gene_labels.empty());  // genes not masked: no gene label array
}

TEST(Masker, SpecialPositionsAndUnknownGenesNeverChange) {
  const Vocab vocab = small_vocab(50, /*depth_tokens=*/true);
  CollatorConfig cfg = mlm_config(1.0, 1.0, 0.5, 0.5);  // every eligible position changes
  const Collator collator(vocab, cfg, {}, 11);
  std::vector<TransformedCell> cells;
  for (int c = 0; c < 30; ++c) {
    TransformedCell cell = bmfm::test::continuous_cell(c, {7, vocab.unk_id(), 9, 10}, {1, 2, 3, 4});
    if (c % 2) {
      cell.has_depth = true;
      cell.depth_s = 5;
      cell.depth_t = 6;
      cell.genes.push_back(11);
      cell.expr_values.push_back(5);
    }
    cells.push_back(cell);
  }
  Batch batch;
  collator.collate(cells, 0, batch);
  for (int64_t b = 0; b < batch.B; ++b) {
    const bool depth = b % 2;
    const int64_t first = depth ? 3 : 1, n = depth ? 5 : 4;
    for (int64_t p = 0; p < batch.L; ++p) {
      const auto pos = static_cast<size_t>(b * batch.L + p);
      const bool gene_pos = p >= first && p < first + n;
      const bool unk = gene_pos && p == first + 1;
      if (!gene_pos || unk) {
        EXPECT_EQ(batch.gene_labels[pos], -100) << "row " << b << " pos " << p;
        EXPECT_EQ(batch.expr_label_mask[pos], 0);
        EXPECT_NE(batch.gene_ids[pos], vocab.mask_id());
        EXPECT_NE(batch.expr_special[pos], field_token::kMask);
      } else {
        EXPECT_NE(batch.gene_labels[pos], -100);
      }
    }
    if (depth) {
      EXPECT_EQ(batch.gene_ids[static_cast<size_t>(b * batch.L + 1)], *vocab.depth_s_id());
      EXPECT_EQ(batch.expr_values[static_cast<size_t>(b * batch.L + 2)], 6.0f);
    }
  }
}

TEST(Masker, CoMaskingChangesTheSamePositionsInBothFields) {
  const Vocab vocab = small_vocab(kVocabGenes);
  const Collator collator(vocab, mlm_config(0.3, 0.3, 0.7, 0.0, /*comask=*/true), {}, 5);
  const auto cells = make_cells(300, 100, 4);
  Batch batch;
  collator.collate(cells, 2, batch);
  int64_t changed = 0, masked = 0;
  for (int64_t b = 0; b < batch.B; ++b)
    for (int64_t i = 0; i < 100; ++i) {
      const auto pos = static_cast<size_t>(b * batch.L + 1 + i);
      const bool g_changed = batch.gene_labels[pos] != -100, e_changed = batch.expr_label_mask[pos] == 1;
      ASSERT_EQ(g_changed, e_changed);
      const bool g_masked = batch.gene_ids[pos] == vocab.mask_id();
      ASSERT_EQ(g_masked, batch.expr_special[pos] == field_token::kMask);
      changed += g_changed;
      masked += g_masked;
      if (g_changed && !g_masked) {  // kept in both
        EXPECT_EQ(batch.gene_ids[pos], batch.gene_labels[pos]);
        EXPECT_EQ(batch.expr_values[pos], batch.expr_label_values[pos]);
      }
    }
  expect_binomial(changed, 300 * 100, 0.3, "co-masked changed");
  expect_binomial(masked, changed, 0.7, "co-masked masked among changed");
}

TEST(Masker, RejectsInconsistentCoMasking) {
  const Vocab vocab = small_vocab(10);
  EXPECT_HAS(bmfm::test::error_of<std::invalid_argument>([&] { Collator(vocab, mlm_config(0.1, 0.2, 1.0, 0.0, true)); }),
             "same change_ratio");
  EXPECT_HAS(bmfm::test::error_of<std::invalid_argument>([&] { Collator(vocab, mlm_config(0.1, 0.1, 0.8, 0.1, true)); }),
             "switch_ratio 0");
  EXPECT_HAS(bmfm::test::error_of<std::invalid_argument>([&] { Collator(vocab, mlm_config(0.1, 0.1, 0.8, 0.3)); }),
             "mask_ratio + switch_ratio must be <= 1");
}

TEST(Masker, DeterministicPerCellWhateverTheBatch) {
  const Vocab vocab = small_vocab(kVocabGenes);
  const Collator collator(vocab, mlm_config(0.2, 0.2, 0.8, 0.1), {}, 99);
  auto cells = make_cells(6, 40, 8);
  cells[3].genes.resize(10);  // a short cell changes the padded length of its batch
  cells[3].expr_values.resize(10);

  // The rows of cell `c` (real positions only) in a batch.
  auto row_of = [](const Batch& batch, int64_t b, int64_t n_real) {
    std::vector<int64_t> out;
    for (int64_t p = 0; p < n_real; ++p) {
      const auto pos = static_cast<size_t>(b * batch.L + p);
      out.push_back(batch.gene_ids[pos]);
      out.push_back(batch.gene_labels[pos]);
      out.push_back(batch.expr_special[pos]);
      out.push_back(static_cast<int64_t>(batch.expr_values[pos] * 1000));
      out.push_back(batch.expr_label_mask[pos]);
    }
    return out;
  };
  Batch all, some, solo, again, later;
  collator.collate(cells, 1, all);
  const std::vector<TransformedCell> reordered{cells[5], cells[3], cells[0]};
  collator.collate(reordered, 1, some);
  EXPECT_EQ(row_of(all, 0, 42), row_of(some, 2, 42));
  EXPECT_EQ(row_of(all, 5, 42), row_of(some, 0, 42));
  EXPECT_EQ(row_of(all, 3, 12), row_of(some, 1, 12));
  collator.collate({cells[3]}, 1, solo);
  EXPECT_EQ(solo.L, 16);
  EXPECT_EQ(all.L, 48);
  EXPECT_EQ(row_of(all, 3, 12), row_of(solo, 0, 12));

  // Another thread, same answer.
  std::thread th([&] { collator.collate(cells, 1, again); });
  th.join();
  EXPECT_EQ(all.gene_ids, again.gene_ids);
  EXPECT_EQ(all.expr_values, again.expr_values);
  EXPECT_EQ(all.gene_labels, again.gene_labels);

  // Another epoch (or seed) masks differently.
  collator.collate(cells, 2, later);
  EXPECT_NE(all.gene_labels, later.gene_labels);
  const Collator other_seed(vocab, mlm_config(0.2, 0.2, 0.8, 0.1), {}, 100);
  Batch reseeded;
  other_seed.collate(cells, 1, reseeded);
  EXPECT_NE(all.gene_labels, reseeded.gene_labels);
}

TEST(Masker, LabelExpressionsAreTheValueTargets) {
  const Vocab vocab = small_vocab(20);
  CollatorConfig cfg;
  cfg.tokenizer.fields = {{"genes", "", 0, 0}, {"expressions", "continuous", 0, 1.0}, {"label_expressions", "", 0, 0}};
  cfg.tokenizer.max_length = 16;
  cfg.tokenizer.pad_to_multiple_of = 8;
  cfg.tokenizer.padding = "longest";
  cfg.masker.mask_ratio = 1.0;
  cfg.masker.switch_ratio = 0.0;
  auto cell = bmfm::test::continuous_cell(0, {5, 6}, {1.0f, 2.0f});
  cell.label_expressions = {10.0f, 20.0f};
  Batch batch;
  Collator(vocab, cfg).collate({cell}, 0, batch);
  EXPECT_EQ(batch.expr_label_values, (std::vector<float>{-100, 10, 20, -100, -100, -100, -100, -100}));
  EXPECT_EQ(batch.expr_label_mask, (std::vector<uint8_t>{0, 1, 1, 0, 0, 0, 0, 0}));
  EXPECT_EQ(batch.expr_special, (std::vector<uint8_t>{3, 4, 4, 1, 2, 2, 2, 2}));

  // Without masking, label_expressions make every gene position a target (sequence labelling).
  cfg.tokenizer.fields[1].change_ratio = 0;
  Collator(vocab, cfg).collate({cell}, 0, batch);
  EXPECT_EQ(batch.expr_label_values, (std::vector<float>{-100, 10, 20, -100, -100, -100, -100, -100}));
  EXPECT_EQ(batch.expr_values, (std::vector<float>{0, 1, 2, 0, 0, 0, 0, 0}));
  EXPECT_FALSE(batch.has_gene_labels);
}

// WCED targets on hand-computed cells, the exposed-zero modes and their
// sampling distribution, and the record errors.
//
// Hand computation used below. Vocabulary: 5 specials, genes G0..G9 = ids
// 5..14, so WCED column j is gene id 5 + j (V = 10).
// Raw record: G0 (id 5) = 3, G2 (id 7) = 1, G4 (id 9) = 0 (a stored zero),
// G7 (id 12) = 6; total = 3 + 1 + 0 + 6 = 10; target_sum = 1e4:
//   G0: log1p(3 / 10 * 1e4) = log1p(3000) = 8.006700845...
//   G2: log1p(1000)                       = 6.908754779...
//   G4: log1p(0)                          = 0
//   G7: log1p(6000)                       = 8.699681400...
// Model input genes: G2, G7, G8 (id 13: a zero-padded gene, not in the record).
//   input     = record genes in the input      = {G2, G7}        (columns 2, 7)
//   non-input = record genes not in the input  = {G0, G4}        (columns 0, 4)
//   zeros none: G8 is no target; zeros all: G8 -> input 0, columns
//   1, 3, 5, 6, 9 -> non-input 0.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "bmfm/data/batch.h"
#include "bmfm/data/collator.h"
#include "bmfm/data/loader.h"
#include "bmfm/data/wced_targets.h"
#include "tokenizer_test_util.h"

using namespace bmfm::data;
using bmfm::test::small_vocab;

namespace {

constexpr float kX = -100.0f;  // not a target

CellRecord hand_record() {
  CellRecord r;
  r.cell_index = 42;
  r.genes = {5, 7, 9, 12};
  r.values = {3, 1, 0, 6};
  return r;
}

struct Out {
  std::vector<float> values = std::vector<float>(10), is_zero = std::vector<float>(10);
  std::vector<uint8_t> set = std::vector<uint8_t>(10);
  WcedCounts counts;
};

Out build(const WcedTargets& w, const CellRecord& r, std::vector<int32_t> input, uint64_t stream = 0) {
  Out o;
  Rng rng(1, stream);
  o.counts = w.build(r, input.data(), static_cast<int64_t>(input.size()), rng, o.values.data(), o.is_zero.data(),
                     o.set.data());
  return o;
}

WcedConfig zeros(const std::string& mode, int64_t n = 0) {
  WcedConfig c;
  c.enabled = true;
  c.zeros = mode;
  c.n_zeros = n;
  return c;
}

const float kG0 = static_cast<float>(std::log1p(3000.0));
const float kG2 = static_cast<float>(std::log1p(1000.0));
const float kG7 = static_cast<float>(std::log1p(6000.0));

}  // namespace

TEST(WcedTargets, HandComputedCellWithoutZeros) {
  const Vocab vocab = small_vocab(10);
  const WcedTargets w(vocab, zeros("none"));
  ASSERT_EQ(w.width(), 10);
  const Out o = build(w, hand_record(), {7, 12, 13});
  EXPECT_NEAR(kG0, 8.006700845, 1e-6);
  EXPECT_EQ(o.values, (std::vector<float>{kG0, kX, kG2, kX, 0, kX, kX, kG7, kX, kX}));
  EXPECT_EQ(o.is_zero, (std::vector<float>{0, kX, 0, kX, 1, kX, kX, 0, kX, kX}));
  using S = std::vector<uint8_t>;
  EXPECT_EQ(o.set, (S{2, 0, 1, 0, 2, 0, 0, 1, 0, 0}));
  EXPECT_EQ(o.counts.n_input, 2);
  EXPECT_EQ(o.counts.n_non_input, 2);
  EXPECT_EQ(o.counts.n_exposed_zeros, 0);
}

TEST(WcedTargets, AllZerosExposed) {
  const Vocab vocab = small_vocab(10);
  const Out o = build(WcedTargets(vocab, zeros("all")), hand_record(), {7, 12, 13});
  EXPECT_EQ(o.values, (std::vector<float>{kG0, 0, kG2, 0, 0, 0, 0, kG7, 0, 0}));
  EXPECT_EQ(o.is_zero, (std::vector<float>{0, 1, 0, 1, 1, 1, 1, 0, 1, 1}));
  EXPECT_EQ(o.set, (std::vector<uint8_t>{2, 2, 1, 2, 2, 2, 2, 1, 1, 2}));
  EXPECT_EQ(o.counts.n_input, 3);
  EXPECT_EQ(o.counts.n_non_input, 7);
  EXPECT_EQ(o.counts.n_exposed_zeros, 6);
}

TEST(WcedTargets, MaskedInputGeneCountsAsNonInput) {
  // The reference looks genes up in the masked input: G2 replaced by [MASK] (id 4).
  const Vocab vocab = small_vocab(10);
  const Out o = build(WcedTargets(vocab, zeros("none")), hand_record(), {4, 12, 13});
  EXPECT_EQ(o.set, (std::vector<uint8_t>{2, 0, 2, 0, 2, 0, 0, 1, 0, 0}));
  EXPECT_EQ(o.values[2], kG2);
}

TEST(WcedTargets, ZeroTotalGivesZeroTargets) {
  const Vocab vocab = small_vocab(10);
  CellRecord r;
  r.cell_index = 1;
  r.genes = {6, 8};
  r.values = {0, 0};
  const Out o = build(WcedTargets(vocab, zeros("none")), r, {6});
  EXPECT_EQ(o.values, (std::vector<float>{kX, 0, kX, 0, kX, kX, kX, kX, kX, kX}));
}

TEST(WcedTargets, SampledZerosAreUniformWithoutReplacement) {
  // Free genes of the hand cell: columns 1, 3, 5, 6, 9 (5 of them). Rejection
  // sampling serves n_zeros = 2 (2 * 2 <= 5), selection sampling n_zeros = 4;
  // either way each free gene is picked with probability n_zeros / 5.
  const Vocab vocab = small_vocab(10);
  const std::vector<size_t> free_cols{1, 3, 5, 6, 9};
  for (int64_t k : {2, 4}) {
    const WcedTargets w(vocab, zeros("sampled", k));
    std::vector<int64_t> picked(10, 0);
    const int n = 5000;
    for (int s = 0; s < n; ++s) {
      const Out o = build(w, hand_record(), {7, 12, 13}, static_cast<uint64_t>(s));
      EXPECT_EQ(o.counts.n_exposed_zeros, k + 1);  // + the zero-padded input gene G8
      EXPECT_EQ(o.set[8], wced_set::kInput);
      int64_t here = 0;
      for (size_t j : free_cols)
        if (o.set[j] == wced_set::kNonInput) {
          ++picked[j];
          ++here;
          EXPECT_EQ(o.values[j], 0.0f);
          EXPECT_EQ(o.is_zero[j], 1.0f);
        }
      EXPECT_EQ(here, k);
    }
    const double p = static_cast<double>(k) / 5, sd = std::sqrt(n * p * (1 - p));
    for (size_t j : free_cols) EXPECT_NEAR(static_cast<double>(picked[j]), n * p, 5 * sd) << "k " << k << " col " << j;
  }
  // More zeros asked for than exist: all of them.
  const Out o = build(WcedTargets(vocab, zeros("sampled", 50)), hand_record(), {7, 12, 13});
  EXPECT_EQ(o.counts.n_exposed_zeros, 6);
}

TEST(WcedTargets, RecordErrorsNameTheCell) {
  const Vocab vocab = small_vocab(10);
  const WcedTargets w(vocab, zeros("none"));
  CellRecord r = hand_record();
  r.genes[1] = 5;
  EXPECT_HAS(bmfm::test::error_of<std::invalid_argument>([&] { build(w, r, {}); }), "cell 42: gene id 5 appears twice");
  r = hand_record();
  r.genes[0] = 3;
  EXPECT_HAS(bmfm::test::error_of<std::invalid_argument>([&] { build(w, r, {}); }), "record gene id 3 at position 0");
  r = hand_record();
  r.values[3] = -1;
  EXPECT_HAS(bmfm::test::error_of<std::invalid_argument>([&] { build(w, r, {}); }), "raw value -1 of gene id 12");
  EXPECT_HAS(bmfm::test::error_of<std::invalid_argument>([&] { WcedTargets(vocab, zeros("sampled", 0)); }), "wced.n_zeros");
}

TEST(WcedTargets, CollatorBuildsTargetsAfterMasking) {
  const Vocab vocab = small_vocab(10);
  CollatorConfig cfg;
  cfg.tokenizer.fields = {{"genes", "", 0, 0}, {"expressions", "continuous", 0, 0}};
  cfg.tokenizer.max_length = 8;
  cfg.tokenizer.pad_to_multiple_of = 8;
  cfg.wced = zeros("none");
  const Collator collator(vocab, cfg, {}, 3);
  const CellRecord raw = hand_record();
  auto cell = bmfm::test::continuous_cell(42, {7, 12, 13}, {1.0f, 2.0f, 0.0f});
  cell.raw = &raw;
  Batch batch;
  collator.collate({cell, cell}, 0, batch);
  ASSERT_TRUE(batch.has_wced);
  EXPECT_EQ(batch.V, 10);
  const std::vector<float> row0(batch.wced_values.begin(), batch.wced_values.begin() + 10);
  EXPECT_EQ(row0, (std::vector<float>{kG0, kX, kG2, kX, 0, kX, kX, kG7, kX, kX}));
  EXPECT_EQ(std::vector<uint8_t>(batch.wced_set.begin() + 10, batch.wced_set.end()),
            (std::vector<uint8_t>{2, 0, 1, 0, 2, 0, 0, 1, 0, 0}));

  cell.raw = nullptr;
  EXPECT_HAS(bmfm::test::error_of<std::invalid_argument>([&] { collator.collate({cell}, 0, batch); }), "no raw record");
}

// wced_gene_stats, by hand. Cell A = hand_record(): G0 = 3, G2 = 1, G4 = 0
// (stored zero: not expressed), G7 = 6 (total 10). Cell B: G0 = 1, G1 = 1
// (total 2): log1p(1 / 2 * 1e4) = log1p(5000) = 8.517393171.
//   G0: expressed in both: (log1p(3000) + log1p(5000)) / 2 = 8.262047008;
//       zeros all: never a zero target: log((0 + 0.5) / (2 + 0.5)) = log 0.2
//   G4: never expressed: the mean of all expressed values,
//       (log1p(3000) + log1p(1000) + log1p(6000) + 2 log1p(5000)) / 5 = 8.129984674;
//       a zero target in both cells: log((2 + 0.5) / 0.5) = log 5
//   G2: expressed in A only: log1p(1000); one zero, one expressed: log(1.5 / 1.5) = 0
//   zeros sampled, n_zeros 2: an absent gene is a target with probability 2/7 in A
//   (3 expressed of V = 10) and 2/8 in B: G9: log((2/7 + 2/8 + 0.5) / 0.5) = 0.728238500
namespace {
class TwoCells : public CellSource {
 public:
  int64_t n_cells() const override { return 2; }
  void read(int64_t i, CellRecord& out) const override {
    if (i == 0) {
      out = hand_record();
    } else {
      out = CellRecord{};
      out.cell_index = 1;
      out.genes = {5, 6};
      out.values = {1, 1};
    }
  }
};
}  // namespace

TEST(WcedGeneStats, HandValues) {
  const Vocab vocab = small_vocab(10);
  const TwoCells cells;
  const WcedGeneStats s = wced_gene_stats(cells, vocab, zeros("all"), 100);
  ASSERT_EQ(s.n_cells, 2);
  ASSERT_EQ(s.value_mean.size(), 10u);
  EXPECT_NEAR(s.value_mean[0], 8.262047008, 1e-5);
  EXPECT_NEAR(s.value_mean[4], 8.129984674, 1e-5);
  EXPECT_NEAR(s.value_mean[2], std::log1p(1000.0), 1e-5);
  EXPECT_NEAR(s.zero_logit[0], std::log(0.2), 1e-6);
  EXPECT_NEAR(s.zero_logit[4], std::log(5.0), 1e-6);
  EXPECT_NEAR(s.zero_logit[2], 0.0, 1e-6);
  EXPECT_NEAR(s.expressed[0], 1.0, 1e-7);
  EXPECT_NEAR(s.expressed[2], 0.5, 1e-7);
  EXPECT_NEAR(s.expressed[4], 0.0, 1e-7);
  const WcedGeneStats sampled = wced_gene_stats(cells, vocab, zeros("sampled", 2), 100);
  EXPECT_NEAR(sampled.zero_logit[9], 0.728238500, 1e-6);
  // max_cells 1: only the first cell is read.
  EXPECT_EQ(wced_gene_stats(cells, vocab, zeros("all"), 1).n_cells, 1);
}

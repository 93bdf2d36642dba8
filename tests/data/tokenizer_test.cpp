// Tokenizer: exact row layouts of hand-made cells (every array written out),
// padding rules, truncation, per-cell validation and the config schema.
// Vocabulary of the tests (tokenizer_test_util.h): [UNK]=0 [SEP]=1 [PAD]=2
// [CLS]=3 [MASK]=4, genes G0.. from id 5 (from 7 when [S]=5 [T]=6 exist).
// Field tokens (batch.h): kUnk=0 kSep=1 kPad=2 kCls=3 kMask=4, values from 5.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "bmfm/data/batch.h"
#include "bmfm/data/collator.h"
#include "bmfm/data/tokenizer.h"
#include "tokenizer_test_util.h"

using namespace bmfm::data;
using bmfm::test::continuous_cell;
using bmfm::test::small_vocab;

namespace {

using I = std::vector<int32_t>;
using F = std::vector<float>;
using U = std::vector<uint8_t>;

TokenizerConfig config_with(std::vector<FieldConfig> fields, int32_t max_length = 16, int32_t multiple = 8) {
  TokenizerConfig c;
  c.fields = std::move(fields);
  c.max_length = max_length;
  c.pad_to_multiple_of = multiple;
  c.padding = "longest";
  return c;
}

struct Row {
  I gene_ids, expr_token_ids, perturbation_ids;
  F expr_values;
  U pad_mask, expr_special;
  RowLayout layout;
};

Row encode(const Tokenizer& tok, const TransformedCell& cell, int64_t L) {
  Row r;
  const auto n = static_cast<size_t>(L);
  r.gene_ids.assign(n, -7);
  r.pad_mask.assign(n, 7);
  r.expr_special.assign(n, 7);
  r.expr_values.assign(n, -7.0f);
  r.expr_token_ids.assign(n, -7);
  r.perturbation_ids.assign(n, -7);
  tok.validate(cell);
  RowView v{r.gene_ids.data(), r.pad_mask.data(), tok.expr_binned() ? r.expr_token_ids.data() : nullptr,
            tok.expr_continuous() ? r.expr_values.data() : nullptr, r.expr_special.data(),
            tok.field(FieldKind::Perturbations) ? r.perturbation_ids.data() : nullptr};
  r.layout = tok.encode(cell, L, v);
  return r;
}

}  // namespace

TEST(Tokenizer, ContinuousLayout) {
  const Vocab vocab = small_vocab(10);
  const Tokenizer tok(vocab, config_with({{"genes", "", 0, 0}, {"expressions", "continuous", 0, 0}}));
  const auto cell = continuous_cell(0, {5, 7, 9}, {1.5f, 0.0f, 2.0f});
  const Row r = encode(tok, cell, 8);
  EXPECT_EQ(r.gene_ids, (I{3, 5, 7, 9, 1, 2, 2, 2}));
  EXPECT_EQ(r.pad_mask, (U{1, 1, 1, 1, 1, 0, 0, 0}));
  EXPECT_EQ(r.expr_values, (F{0, 1.5f, 0, 2.0f, 0, 0, 0, 0}));
  EXPECT_EQ(r.expr_special, (U{3, 0, 0, 0, 1, 2, 2, 2}));
  EXPECT_EQ(r.layout.n_real, 5);
  EXPECT_EQ(r.layout.first_gene, 1);
  EXPECT_EQ(r.layout.n_genes, 3);
  EXPECT_FALSE(r.layout.truncated);
  EXPECT_EQ(r.expr_token_ids, I(8, -7));  // binned array untouched
}

TEST(Tokenizer, BinnedAndPerturbationLayout) {
  const Vocab vocab = small_vocab(10);
  const Tokenizer tok(vocab, config_with({{"genes", "token", 0, 0},
                                          {"expressions", "binned", 3, 0},
                                          {"perturbations", "", 2, 0}}));
  TransformedCell cell;
  cell.cell_index = 4;
  cell.genes = {14, 6};
  cell.expr_bins = {0, 2};
  cell.perturbations = {1, 0};
  const Row r = encode(tok, cell, 6);
  EXPECT_EQ(r.gene_ids, (I{3, 14, 6, 1, 2, 2}));
  EXPECT_EQ(r.expr_token_ids, (I{3, 5, 7, 1, 2, 2}));
  EXPECT_EQ(r.expr_special, (U{3, 0, 0, 1, 2, 2}));
  EXPECT_EQ(r.perturbation_ids, (I{3, 6, 5, 1, 2, 2}));
  EXPECT_EQ(r.pad_mask, (U{1, 1, 1, 1, 0, 0}));
  EXPECT_EQ(r.expr_values, F(6, -7.0f));  // continuous array untouched
}

TEST(Tokenizer, DepthTokensLayout) {
  const Vocab vocab = small_vocab(10, /*depth_tokens=*/true);  // [S]=5 [T]=6, genes from 7
  const Tokenizer tok(vocab, config_with({{"genes", "", 0, 0}, {"expressions", "continuous", 0, 0},
                                          {"label_expressions", "", 0, 0}}));
  auto cell = continuous_cell(1, {7, 9}, {0.5f, 0.25f});
  cell.label_expressions = {0.7f, 0.1f};
  cell.has_depth = true;
  cell.depth_s = 6.5f;
  cell.depth_t = 7.25f;
  const Row r = encode(tok, cell, 8);
  EXPECT_EQ(r.gene_ids, (I{3, 5, 6, 7, 9, 1, 2, 2}));
  EXPECT_EQ(r.expr_values, (F{0, 6.5f, 7.25f, 0.5f, 0.25f, 0, 0, 0}));
  EXPECT_EQ(r.expr_special, (U{3, 0, 0, 0, 0, 1, 2, 2}));  // [S] [T] carry values
  EXPECT_EQ(r.pad_mask, (U{1, 1, 1, 1, 1, 1, 0, 0}));
  EXPECT_EQ(r.layout.first_gene, 3);
  EXPECT_EQ(r.layout.n_real, 6);
}

TEST(Tokenizer, PaddingRules) {
  const Vocab vocab = small_vocab(40);
  auto cfg = config_with({{"genes", "", 0, 0}}, /*max_length=*/32, /*multiple=*/8);
  {
    const Tokenizer tok(vocab, cfg);
    EXPECT_EQ(tok.padded_length(5), 8);
    EXPECT_EQ(tok.padded_length(8), 8);
    EXPECT_EQ(tok.padded_length(9), 16);
    EXPECT_EQ(tok.padded_length(31), 32);
    EXPECT_EQ(tok.padded_length(500), 32);  // longer rows are truncated to max_length
  }
  cfg.pad_to_multiple_of = 1;
  EXPECT_EQ(Tokenizer(vocab, cfg).padded_length(9), 9);
  cfg.padding = "max_length";
  EXPECT_EQ(Tokenizer(vocab, cfg).padded_length(3), 32);
}

TEST(Tokenizer, TruncationKeepsTheFirstGenes) {
  const Vocab vocab = small_vocab(40);
  auto cfg = config_with({{"genes", "", 0, 0}, {"expressions", "continuous", 0, 0}}, 8, 8);
  const Tokenizer tok(vocab, cfg);
  std::vector<int32_t> genes;
  std::vector<float> values;
  for (int i = 0; i < 10; ++i) {
    genes.push_back(5 + i);
    values.push_back(static_cast<float>(i));
  }
  const auto cell = continuous_cell(2, genes, values);
  EXPECT_EQ(tok.row_length(cell), 12);
  const Row r = encode(tok, cell, tok.padded_length(tok.row_length(cell)));
  EXPECT_EQ(r.gene_ids, (I{3, 5, 6, 7, 8, 9, 10, 1}));
  EXPECT_EQ(r.expr_values, (F{0, 0, 1, 2, 3, 4, 5, 0}));
  EXPECT_TRUE(r.layout.truncated);
  EXPECT_EQ(r.layout.n_genes, 6);

  cfg.truncation = false;
  const Tokenizer strict(vocab, cfg);
  EXPECT_HAS(bmfm::test::error_of<std::invalid_argument>([&] { strict.validate(cell); }), "truncation is off");
}

TEST(Tokenizer, ValidateNamesTheCellAndTheProblem) {
  const Vocab vocab = small_vocab(10);
  const Tokenizer tok(vocab, config_with({{"genes", "", 0, 0}, {"expressions", "binned", 4, 0}}));
  TransformedCell c;
  c.cell_index = 17;
  c.genes = {5, 3};  // [CLS] is not a gene
  c.expr_bins = {0, 1};
  EXPECT_HAS(bmfm::test::error_of<std::invalid_argument>([&] { tok.validate(c); }), "cell 17: genes[1] = 3");
  c.genes = {5, 0};  // [UNK] is allowed
  tok.validate(c);
  c.expr_bins = {0, 4};
  EXPECT_HAS(bmfm::test::error_of<std::invalid_argument>([&] { tok.validate(c); }), "expr_bins[1] = 4 is outside [0, n_values = 4)");
  c.expr_bins = {0};
  EXPECT_HAS(bmfm::test::error_of<std::invalid_argument>([&] { tok.validate(c); }), "expr_bins has 1 entries but genes has 2");
  c.expr_bins = {0, 1};
  c.label_expressions = {1, 2};
  EXPECT_HAS(bmfm::test::error_of<std::invalid_argument>([&] { tok.validate(c); }), "no label_expressions field is configured");
  c.label_expressions.clear();
  c.has_depth = true;
  EXPECT_HAS(bmfm::test::error_of<std::invalid_argument>([&] { tok.validate(c); }), "vocabulary has none");

  c.has_depth = false;
  c.expr_values = {1.0f, 2.0f};  // a representation the field does not use is an error, not ignored
  EXPECT_HAS(bmfm::test::error_of<std::invalid_argument>([&] { tok.validate(c); }), "expr_values has 2 entries but the expressions field");

  const Tokenizer cont(vocab, config_with({{"genes", "", 0, 0}, {"expressions", "continuous", 0, 0}}));
  auto nan_cell = continuous_cell(3, {5}, {std::nanf("")});
  EXPECT_HAS(bmfm::test::error_of<std::invalid_argument>([&] { cont.validate(nan_cell); }), "expr_values[0] = nan is not finite");
}

TEST(Tokenizer, ConstructorRejectsBadConfigs) {
  const Vocab vocab = small_vocab(10);
  EXPECT_HAS(bmfm::test::error_of<std::invalid_argument>([&] { Tokenizer(vocab, config_with({{"expressions", "continuous", 0, 0}})); }),
             "the genes field is required");
  EXPECT_HAS(bmfm::test::error_of<std::invalid_argument>([&] { Tokenizer(vocab, config_with({{"genes", "", 0, 0}}, 20, 8)); }),
             "must divide max_length (20)");
  EXPECT_HAS(bmfm::test::error_of<std::invalid_argument>(
                 [&] { Tokenizer(vocab, config_with({{"genes", "", 0, 0}, {"perturbations", "", 2, 0.1}})); }),
             "only the genes and expressions fields can be masked");
}

TEST(TokenizerConfig, ReadsFieldsFromYaml) {
  const auto cfg = bmfm::test::config_from_yaml(R"(
tokenizer:
  fields:
    - {name: genes, change_ratio: 0.15}
    - {name: expressions, tokenize: binned, n_values: 51, change_ratio: 0.15}
    - {name: perturbations, n_values: 2}
  max_length: 512
  padding: longest
)");
  const TokenizerConfig t = tokenizer_schema().read(cfg, "tokenizer");
  ASSERT_EQ(t.fields.size(), 3u);
  EXPECT_EQ(t.fields[1].name, "expressions");
  EXPECT_EQ(t.fields[1].tokenize, "binned");
  EXPECT_EQ(t.fields[1].n_values, 51);
  EXPECT_DOUBLE_EQ(t.fields[0].change_ratio, 0.15);
  EXPECT_EQ(t.max_length, 512);
  EXPECT_EQ(t.padding, "longest");
  EXPECT_EQ(t.pad_to_multiple_of, 16);
  // Defaults print with their field list.
  EXPECT_HAS(tokenizer_schema().help(), "fields");
  EXPECT_HAS(tokenizer_schema().help(), "name: genes");
}

TEST(TokenizerConfig, StrictErrorsNameTheKey) {
  using bmfm::test::config_from_yaml;
  auto read = [](const std::string& yaml) { tokenizer_schema().read(config_from_yaml(yaml), "tokenizer"); };
  EXPECT_HAS(bmfm::test::error_of<bmfm::ConfigError>([&] { read("tokenizer:\n  fields: [{name: genes, chnage_ratio: 0.1}]\n"); }),
             "change_ratio");
  EXPECT_HAS(bmfm::test::error_of<bmfm::ConfigError>([&] { read("tokenizer:\n  fields: [{name: genes}, {name: expressions}]\n"); }),
             "tokenizer.fields[1].tokenize");
  EXPECT_HAS(bmfm::test::error_of<bmfm::ConfigError>([&] { read("tokenizer:\n  fields: [{name: gene}]\n"); }), "tokenizer.fields[0].name");
  EXPECT_HAS(bmfm::test::error_of<bmfm::ConfigError>([&] { read("tokenizer:\n  max_length: 100\n"); }), "tokenizer.pad_to_multiple_of");
  EXPECT_HAS(bmfm::test::error_of<bmfm::ConfigError>([&] { read("tokenizer:\n  padding: longst\n"); }), "not one of: longest, max_length");
  EXPECT_HAS(bmfm::test::error_of<bmfm::ConfigError>([&] {
               read("tokenizer:\n  fields: [{name: genes}, {name: expressions, tokenize: binned}]\n");
             }),
             "tokenizer.fields[1].n_values");
}

TEST(TokenizerConfig, CollatorSchemaChecksAcrossSections) {
  const auto cfg = bmfm::test::config_from_yaml(R"(
collator:
  tokenizer:
    fields: [{name: genes, change_ratio: 0.15}, {name: expressions, tokenize: continuous, change_ratio: 0.3}]
  masker: {comask: true, switch_ratio: 0}
)");
  EXPECT_HAS(bmfm::test::error_of<bmfm::ConfigError>([&] { collator_schema().read(cfg, "collator"); }), "collator.masker.comask");
  const auto ok = bmfm::test::config_from_yaml(R"(
collator:
  masker: {mask_ratio: 0.9, switch_ratio: 0.05}
  wced: {enabled: true, zeros: sampled, n_zeros: 100}
)");
  const CollatorConfig c = collator_schema().read(ok, "collator");
  EXPECT_DOUBLE_EQ(c.masker.mask_ratio, 0.9);
  EXPECT_TRUE(c.wced.enabled);
  EXPECT_EQ(c.wced.n_zeros, 100);
  EXPECT_EQ(c.tokenizer.fields.size(), 2u);  // default genes + continuous expressions
  const auto bad = bmfm::test::config_from_yaml("collator:\n  wced: {zeros: sampled}\n");
  EXPECT_HAS(bmfm::test::error_of<bmfm::ConfigError>([&] { collator_schema().read(bad, "collator"); }), "collator.wced.n_zeros");
  const auto bad2 = bmfm::test::config_from_yaml("collator:\n  masker: {mask_ratio: 0.95, switch_ratio: 0.1}\n");
  EXPECT_HAS(bmfm::test::error_of<bmfm::ConfigError>([&] { collator_schema().read(bad2, "collator"); }), "mask_ratio + switch_ratio");
}

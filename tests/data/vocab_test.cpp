// Vocabulary: layout of special tokens and genes, JSON round trip, content
// hash stability and the hash-mismatch error.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "bmfm/data/vocab.h"
#include "test_util.h"

using bmfm::data::GeneOrder;
using bmfm::data::union_genes;
using bmfm::data::Vocab;
using bmfm::data::VocabOptions;

using bmfm::test::error_of;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace

TEST(Vocab, SpecialsThenGenesInGivenOrder) {
  auto v = Vocab::from_genes({"TP53", "CD4", "ACTB"});
  ASSERT_EQ(v.size(), 8);
  EXPECT_EQ(v.n_special(), 5);
  EXPECT_EQ(v.n_genes(), 3);
  EXPECT_EQ(v.token(0), "[UNK]");
  EXPECT_EQ(v.token(1), "[SEP]");
  EXPECT_EQ(v.token(2), "[PAD]");
  EXPECT_EQ(v.token(3), "[CLS]");
  EXPECT_EQ(v.token(4), "[MASK]");
  EXPECT_EQ(v.unk_id(), 0);
  EXPECT_EQ(v.sep_id(), 1);
  EXPECT_EQ(v.pad_id(), 2);
  EXPECT_EQ(v.cls_id(), 3);
  EXPECT_EQ(v.mask_id(), 4);
  EXPECT_EQ(v.id("TP53"), 5);
  EXPECT_EQ(v.id("CD4"), 6);
  EXPECT_EQ(v.id("ACTB"), 7);
  EXPECT_EQ(v.id("tp53"), -1);  // case-sensitive
  EXPECT_TRUE(v.is_special(4));
  EXPECT_FALSE(v.is_special(5));
  EXPECT_FALSE(v.depth_s_id().has_value());
  EXPECT_FALSE(v.depth_t_id().has_value());
}

TEST(Vocab, DepthAndExtraClsTokens) {
  VocabOptions o;
  o.depth_tokens = true;
  o.extra_cls_tokens = 2;
  auto v = Vocab::from_genes({"A", "B"}, o);
  // [UNK] [SEP] [PAD] [CLS] [MASK] [S] [T] [CLS_1] [CLS_2] A B
  ASSERT_EQ(v.size(), 11);
  EXPECT_EQ(v.n_special(), 9);
  EXPECT_EQ(*v.depth_s_id(), 5);
  EXPECT_EQ(*v.depth_t_id(), 6);
  EXPECT_EQ(v.token(7), "[CLS_1]");
  EXPECT_EQ(v.token(8), "[CLS_2]");
  EXPECT_EQ(v.id("A"), 9);
  EXPECT_TRUE(v.is_special(8));
}

TEST(Vocab, DuplicatesAndBadTokensAreErrors) {
  EXPECT_NE(error_of([] { Vocab::from_genes({"A", "B", "A"}); }).find("duplicate gene names"), std::string::npos);
  EXPECT_NE(error_of([] { Vocab::from_genes({"A", "[PAD]"}); }).find("[PAD]"), std::string::npos);
  EXPECT_NE(error_of([] { Vocab::from_genes({"A", ""}); }).find("empty token"), std::string::npos);
  EXPECT_NE(error_of([] { Vocab::from_genes({"A\nB"}); }).find("line break"), std::string::npos);
}

TEST(Vocab, HashIsStableAndContentSensitive) {
  // FNV-1a 64 of "[UNK]\n[SEP]\n[PAD]\n[CLS]\n[MASK]\nTP53\nCD4", computed by hand-written
  // python: h=0xcbf29ce484222325; for b in s.encode(): h=((h^b)*0x100000001b3)%2**64
  auto v = Vocab::from_genes({"TP53", "CD4"});
  EXPECT_EQ(v.hash(), "4dddd67a25c37b45");
  EXPECT_EQ(v.hash().size(), 16u);
  EXPECT_EQ(Vocab::from_genes({"TP53", "CD4"}).hash(), v.hash());
  EXPECT_NE(Vocab::from_genes({"CD4", "TP53"}).hash(), v.hash());  // order matters: ids differ
  VocabOptions o;
  o.depth_tokens = true;
  EXPECT_NE(Vocab::from_genes({"TP53", "CD4"}, o).hash(), v.hash());
}

TEST(Vocab, SaveLoadRoundTrip) {
  const auto dir = bmfm::test::temp_dir("vocab");
  VocabOptions o;
  o.depth_tokens = true;
  o.extra_cls_tokens = 1;
  auto v = Vocab::from_genes({"TP53", "CD4", "ENSG00000141510"}, o);
  const std::string path = dir + "/vocab.json";
  v.save(path);
  auto w = Vocab::load(path);
  EXPECT_EQ(w.tokens(), v.tokens());
  EXPECT_EQ(w.hash(), v.hash());
  EXPECT_EQ(w.n_special(), v.n_special());
  EXPECT_EQ(*w.depth_t_id(), *v.depth_t_id());
  const auto text = read_file(path);
  EXPECT_NE(text.find("\"format\": \"bmfm-vocab\""), std::string::npos);
  EXPECT_NE(text.find("\"hash\": \"" + v.hash() + "\""), std::string::npos);
}

TEST(Vocab, LoadRejectsEditedOrMalformedFiles) {
  const auto dir = bmfm::test::temp_dir("vocab_bad");
  const std::string path = dir + "/v.json";
  auto v = Vocab::from_genes({"A", "B"});
  v.save(path);
  std::string text = read_file(path);
  // An edited gene list no longer matches the stored hash.
  std::string edited = text;
  edited.replace(edited.find("\"B\""), 3, "\"C\"");
  write_file(path, edited);
  auto e = error_of([&] { Vocab::load(path); });
  EXPECT_NE(e.find("stored hash " + v.hash()), std::string::npos) << e;
  EXPECT_NE(e.find(path), std::string::npos) << e;

  write_file(path, "{\"format\": \"bmfm-vocab\", \"version\": 1, \"specials\": [\"[UNK]\"], \"genes\": [\"A\"]}");
  e = error_of([&] { Vocab::load(path); });
  EXPECT_NE(e.find("\"specials\""), std::string::npos) << e;
  write_file(path, "{\"format\": \"other\"}");
  EXPECT_NE(error_of([&] { Vocab::load(path); }).find("\"format\""), std::string::npos);
  write_file(path, "not json");
  EXPECT_NE(error_of([&] { Vocab::load(path); }).find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of([&] { Vocab::load(dir + "/missing.json"); }).find("cannot open"), std::string::npos);
}

TEST(Vocab, RequireHashNamesBothHashesAndTheSource) {
  auto v = Vocab::from_genes({"A", "B"});
  EXPECT_NO_THROW(v.require_hash(v.hash(), "corpus c/manifest.json"));
  const auto e = error_of([&] { v.require_hash("0123456789abcdef", "corpus c/manifest.json"); });
  EXPECT_NE(e.find("0123456789abcdef"), std::string::npos) << e;
  EXPECT_NE(e.find(v.hash()), std::string::npos) << e;
  EXPECT_NE(e.find("corpus c/manifest.json"), std::string::npos) << e;
}

TEST(Vocab, UnionOfDatasetGenes) {
  const std::vector<std::vector<std::string>> lists = {{"B", "A", "C"}, {"C", "D", "A", "E"}, {"E"}};
  EXPECT_EQ(union_genes(lists), (std::vector<std::string>{"B", "A", "C", "D", "E"}));
  EXPECT_EQ(union_genes(lists, GeneOrder::Sorted), (std::vector<std::string>{"A", "B", "C", "D", "E"}));
  EXPECT_NE(error_of([] {
              union_genes({{"A", ""}});
            }).find("list 0 has an empty name at position 1"),
            std::string::npos);
}

TEST(Vocab, ProteinCodingVocabularyFromHgncTable) {
  BMFM_REQUIRE_DATA("genes/hgnc_genes.tsv");
  // Minimal TSV read: symbol (field 1) where locus_group (field 4) is protein-coding.
  std::ifstream in(bmfm::test::data_path("genes/hgnc_genes.tsv"));
  std::string line;
  std::getline(in, line);
  std::vector<std::string> genes;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    size_t s = 0;
    for (size_t t; (t = line.find('\t', s)) != std::string::npos; s = t + 1) f.push_back(line.substr(s, t - s));
    f.push_back(line.substr(s));
    if (f.size() > 3 && f[3] == "protein-coding gene") genes.push_back(f[0]);
  }
  auto v = Vocab::from_genes(genes);
  EXPECT_EQ(v.n_genes(), 19225);  // the count the data README gives
  EXPECT_GE(v.id("TP53"), v.n_special());
  EXPECT_EQ(v.id("A1BG-AS1"), -1);  // non-coding
}

TEST(Vocab, EmptyGeneIdsAreLeftOutOfAVocabulary) {
  // A var column with missing symbols (cellbench's gene_symbol: 448 of 11533 empty).
  const std::vector<std::string> ids = {"CD3E", "", "MS4A1", "", "CD3E"};
  EXPECT_EQ(bmfm::data::nonempty_gene_ids(ids, "test.h5ad var 'gene_symbol'"),
            (std::vector<std::string>{"CD3E", "MS4A1", "CD3E"}));
  EXPECT_THROW(bmfm::data::union_genes({ids}), std::invalid_argument);  // union_genes itself still refuses them
  const auto v = bmfm::data::Vocab::from_genes(bmfm::data::union_genes({bmfm::data::nonempty_gene_ids(ids, "x")}));
  EXPECT_EQ(v.n_genes(), 2);
  EXPECT_EQ(v.id(""), -1);
}

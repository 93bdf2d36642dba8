// Streaming corpus: shard format round trip, validation errors, atomic
// writing, and `prepare_corpus` on real files. Expected values were computed
// independently with /usr/bin/python3 + h5py from the shared files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bmfm/data/corpus.h"
#include "bmfm/data/corpus_writer.h"
#include "bmfm/data/prepare.h"
#include "test_util.h"

using namespace bmfm::data;
namespace fs = std::filesystem;

namespace {

Vocab small_vocab() { return Vocab::from_genes({"A", "B", "C", "D"}); }  // ids 5..8

LabelDictionary one_class_column(std::vector<std::string> classes) {
  std::string json = R"({"format": "bmfm-label-dictionary", "version": 1, "columns": {"ct": {"kind": "classification", "classes": [)";
  for (size_t i = 0; i < classes.size(); ++i) json += (i ? ", \"" : "\"") + classes[i] + "\"";
  return LabelDictionary::from_json(json + "]}}}", "test");
}

// Three cells, two per shard: shard 0 holds 2 + 3 genes, shard 1 one gene.
std::string write_small(const std::string& dir, const Vocab& vocab) {
  CorpusWriter w(dir, vocab, one_class_column({"x", "y"}), 2);
  const int32_t g0[] = {5, 7}, g1[] = {6, 7, 8}, g2[] = {8};
  const float v0[] = {1, 2}, v1[] = {3, 4, 5}, v2[] = {6};
  const int32_t l0[] = {0}, l1[] = {-100}, l2[] = {1};
  w.add(g0, v0, 2, l0);
  w.add(g1, v1, 3, l1);
  w.add(g2, v2, 1, l2);
  EXPECT_TRUE(fs::exists(w.temp_dir()));
  EXPECT_FALSE(fs::exists(dir));
  w.finish();
  return dir;
}

}  // namespace

TEST(CorpusFormat, ShardSizeIsHeaderRecordsIndexLabels) {
  // 64 header + 8 * 5 values + 8 * (2 + 1) offsets + 4 * 2 cells * 1 word
  EXPECT_EQ(corpus_format::shard_bytes(2, 5, 1), 136u);
  EXPECT_EQ(corpus_format::shard_name(3), "shard-00003.bin");
}

TEST(CorpusWriter, RoundTripThroughMmap) {
  const std::string dir = bmfm::test::temp_dir("corpus_rt") + "/c";
  const Vocab vocab = small_vocab();
  write_small(dir, vocab);
  EXPECT_EQ(fs::file_size(dir + "/shard-00000.bin"), 136u);
  EXPECT_EQ(fs::file_size(dir + "/shard-00001.bin"), 64u + 8 + 16 + 4);
  const Corpus c = Corpus::open(dir, &vocab);
  ASSERT_EQ(c.n_cells(), 3);
  EXPECT_EQ(c.n_shards(), 2);
  EXPECT_EQ(c.vocab().hash(), vocab.hash());
  ASSERT_EQ(c.labels().columns().size(), 1u);
  CellRecord r;
  c.read(1, r);
  EXPECT_EQ(r.cell_index, 1);
  EXPECT_EQ(r.genes, (std::vector<int32_t>{6, 7, 8}));
  EXPECT_EQ(r.values, (std::vector<float>{3, 4, 5}));
  EXPECT_EQ(r.labels, (std::vector<int32_t>{-100}));
  c.read(2, r);
  EXPECT_EQ(r.genes, (std::vector<int32_t>{8}));
  EXPECT_EQ(r.values, (std::vector<float>{6}));
  EXPECT_EQ(r.labels, (std::vector<int32_t>{1}));
  const CellView v = c.cell(0);
  ASSERT_EQ(v.n, 2u);
  EXPECT_EQ(v.genes[1], 7);
  EXPECT_EQ(v.values[1], 2.0f);
  EXPECT_THROW(c.cell(3), std::out_of_range);
  EXPECT_EQ(c.manifest().shards[0].nnz, 5);
  c.release_pages();  // pages come back from the file on the next access
  c.read(1, r);
  EXPECT_EQ(r.values, (std::vector<float>{3, 4, 5}));
}

TEST(CorpusWriter, UnfinishedWriterLeavesNoCorpus) {
  const std::string dir = bmfm::test::temp_dir("corpus_unfinished") + "/c";
  const Vocab vocab = small_vocab();
  std::string tmp;
  {
    CorpusWriter w(dir, vocab, LabelDictionary{}, 10);
    const int32_t g[] = {5};
    const float v[] = {1};
    w.add(g, v, 1, nullptr);
    tmp = w.temp_dir();
    EXPECT_TRUE(fs::exists(tmp));
  }
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_FALSE(fs::exists(tmp));
  EXPECT_THROW(Corpus::open(dir), std::runtime_error);
}

TEST(CorpusWriter, ExistingOutputIsAnError) {
  const std::string dir = bmfm::test::temp_dir("corpus_exists") + "/c";
  const Vocab vocab = small_vocab();
  write_small(dir, vocab);
  EXPECT_THROW(CorpusWriter(dir, vocab, LabelDictionary{}, 10), std::runtime_error);
}

TEST(CorpusReader, TruncatedShardNamesFileAndShard) {
  const std::string dir = bmfm::test::temp_dir("corpus_trunc") + "/c";
  write_small(dir, small_vocab());
  fs::resize_file(dir + "/shard-00001.bin", 70);
  try {
    Corpus::open(dir);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("shard 1"), std::string::npos) << msg;
    EXPECT_NE(msg.find("shard-00001.bin"), std::string::npos) << msg;
    EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  }
}

TEST(CorpusReader, BadMagicIsAnError) {
  const std::string dir = bmfm::test::temp_dir("corpus_magic") + "/c";
  write_small(dir, small_vocab());
  {
    std::fstream f(dir + "/shard-00000.bin", std::ios::in | std::ios::out | std::ios::binary);
    f.write("XXXX", 4);
  }
  try {
    Corpus::open(dir);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("magic"), std::string::npos) << e.what();
  }
}

TEST(CorpusReader, WrongVocabularyHashIsAnError) {
  const std::string dir = bmfm::test::temp_dir("corpus_hash") + "/c";
  write_small(dir, small_vocab());
  const Vocab other = Vocab::from_genes({"A", "B", "C", "E"});
  EXPECT_THROW(Corpus::open(dir, &other), std::runtime_error);
}

TEST(CorpusReader, ManifestShardDisagreementIsAnError) {
  const std::string dir = bmfm::test::temp_dir("corpus_manifest") + "/c";
  write_small(dir, small_vocab());
  std::ifstream in(dir + "/manifest.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  // Shard 1 claims 2 cells: totals disagree.
  const auto pos = text.rfind("\"n_cells\": 1");
  ASSERT_NE(pos, std::string::npos);
  text.replace(pos, 12, "\"n_cells\": 2");
  std::ofstream(dir + "/manifest.json") << text;
  EXPECT_THROW(Corpus::open(dir), std::runtime_error);
}

TEST(PrepareCorpus, TwoRealFilesWithUnionVocabulary) {
  BMFM_REQUIRE_DATA("bmfm_zheng68k.h5ad");
  BMFM_REQUIRE_DATA("bmfm_cellxgene_pretrain.h5ad");
  PrepareConfig cfg;
  cfg.inputs = {bmfm::test::data_path("bmfm_cellxgene_pretrain.h5ad"), bmfm::test::data_path("bmfm_zheng68k.h5ad")};
  cfg.output = bmfm::test::temp_dir("prepare_two") + "/corpus";
  cfg.cells_per_shard = 100;
  cfg.chunk_rows = 50;
  const PrepareStats st = prepare_corpus(cfg);
  EXPECT_EQ(st.n_obs, 220 + 165);
  EXPECT_EQ(st.n_written, 385);
  const Corpus c = Corpus::open(cfg.output);
  EXPECT_EQ(c.n_cells(), 385);
  EXPECT_EQ(c.n_shards(), 4);
  EXPECT_EQ(c.vocab().n_genes(), 19444);  // python: union of the two var indexes
  int64_t nnz = 0;
  for (const auto& s : c.manifest().shards) nnz += s.nnz;
  EXPECT_EQ(nnz, 414148 + 96500);
  CellRecord r;
  c.read(0, r);  // cellxgene row 0: first columns 2, 6, 25 (vocab id = 5 + column)
  ASSERT_EQ(r.genes.size(), 1844u);
  EXPECT_EQ(r.genes[0], 7);
  EXPECT_EQ(r.genes[1], 11);
  EXPECT_EQ(r.values[0], 7.0f);
  c.read(219, r);
  EXPECT_EQ(r.genes.size(), 1906u);
  double sum = 0;
  for (float v : r.values) sum += v;
  EXPECT_DOUBLE_EQ(sum, 6227.0);
  c.read(220, r);  // zheng68k row 0
  ASSERT_EQ(r.genes.size(), 506u);
  EXPECT_EQ((std::vector<int32_t>(r.genes.begin(), r.genes.begin() + 3)), (std::vector<int32_t>{6220, 9919, 18378}));
  c.read(384, r);
  EXPECT_EQ(r.genes.size(), 577u);
  ASSERT_EQ(c.manifest().sources.size(), 2u);
  EXPECT_EQ(c.manifest().sources[1].n_written, 165);
}

TEST(PrepareCorpus, LabelColumnsAndQc) {
  BMFM_REQUIRE_DATA("bmfm_cellxgene_pretrain.h5ad");
  PrepareConfig cfg;
  cfg.inputs = {bmfm::test::data_path("bmfm_cellxgene_pretrain.h5ad")};
  cfg.output = bmfm::test::temp_dir("prepare_labels") + "/corpus";
  LabelColumnConfig ct;
  ct.name = "cell_type";
  cfg.label_columns = {ct};
  prepare_corpus(cfg);
  const Corpus c = Corpus::open(cfg.output);
  ASSERT_EQ(c.labels().columns().size(), 1u);
  EXPECT_EQ(c.labels().columns()[0].classes.size(), 22u);  // observed categories (python)
  EXPECT_EQ(c.cell(0).labels[0], 19);
  EXPECT_EQ(c.cell(219).labels[0], 11);

  // Several columns, not in alphabetical order: the reopened dictionary keeps
  // the order of the label words (a sorted JSON object once swapped them).
  // Expected codes from anndata (observed categories in category order).
  PrepareConfig several = cfg;
  several.output = bmfm::test::temp_dir("prepare_labels_order") + "/corpus";
  LabelColumnConfig tissue, donor;
  tissue.name = "tissue";
  donor.name = "donor_id";
  several.label_columns = {tissue, ct, donor};
  prepare_corpus(several);
  const Corpus cs = Corpus::open(several.output);
  ASSERT_EQ(cs.labels().columns().size(), 3u);
  EXPECT_EQ(cs.labels().columns()[0].name, "tissue");
  EXPECT_EQ(cs.labels().columns()[1].name, "cell_type");
  EXPECT_EQ(cs.labels().columns()[2].name, "donor_id");
  EXPECT_EQ(cs.cell(0).labels[0], 0);
  EXPECT_EQ(cs.cell(0).labels[1], 19);
  EXPECT_EQ(cs.cell(0).labels[2], 13);
  EXPECT_EQ(cs.cell(219).labels[0], 3);
  EXPECT_EQ(cs.cell(219).labels[1], 11);
  EXPECT_EQ(cs.cell(219).labels[2], 24);

  // QC min_genes 1900 keeps the cells with >= 1900 stored genes; row 219 has 1906.
  PrepareConfig q = cfg;
  q.output = bmfm::test::temp_dir("prepare_qc") + "/corpus";
  q.label_columns.clear();
  q.qc.min_genes = 1900;
  const auto st = prepare_corpus(q);
  EXPECT_EQ(st.n_written, 72);  // python: rows with >= 1900 stored (all non-zero) values
  const Corpus cq = Corpus::open(q.output);
  for (int64_t i = 0; i < cq.n_cells(); ++i) EXPECT_GE(cq.cell(i).n, 1900u);
}

TEST(PrepareCorpus, BadInputsAreClearErrors) {
  PrepareConfig cfg;
  cfg.inputs = {"/nonexistent/x.h5ad"};
  cfg.output = bmfm::test::temp_dir("prepare_bad") + "/corpus";
  try {
    prepare_corpus(cfg);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/x.h5ad"), std::string::npos);
  }
  const std::string empty_dir = bmfm::test::temp_dir("prepare_empty");
  cfg.inputs = {empty_dir};
  EXPECT_THROW(prepare_corpus(cfg), std::runtime_error);
  EXPECT_FALSE(fs::exists(cfg.output));
}

TEST(CorpusLabels, WordsRoundTripEveryLabelKind) {
  EncodedLabels enc;
  enc.n_obs = 1;
  enc.layout = {2, 3, 1};
  enc.class_labels = {4, -100};
  enc.multilabel = {1, 0, 1};
  enc.regression = {2.5f};
  std::vector<int32_t> words;
  label_words(enc, 0, words);
  ASSERT_EQ(words.size(), 6u);
  EXPECT_EQ(words[0], 4);
  EXPECT_EQ(words[1], -100);
  EXPECT_EQ(words[2], 1);
  EXPECT_EQ(words[3], 0);
  EXPECT_EQ(words[5], 0x40200000);  // IEEE-754 bits of 2.5f
  std::vector<int32_t> cls;
  std::vector<float> ml, reg;
  split_label_words(words.data(), enc.layout, cls, ml, reg);
  EXPECT_EQ(cls, (std::vector<int32_t>{4, -100}));
  EXPECT_EQ(ml, (std::vector<float>{1, 0, 1}));
  EXPECT_EQ(reg, (std::vector<float>{2.5f}));
}

TEST(PrepareCorpus, SamplerKeepsExactlyTheTarget) {
  BMFM_REQUIRE_DATA("bmfm_cellxgene_pretrain.h5ad");
  PrepareConfig cfg;
  cfg.inputs = {bmfm::test::data_path("bmfm_cellxgene_pretrain.h5ad")};
  cfg.output = bmfm::test::temp_dir("prepare_sample") + "/corpus";
  cfg.sample.method = "uniform";
  cfg.sample.fraction = 0.25;  // round(0.25 * 220) = 55
  cfg.chunk_rows = 16;
  EXPECT_EQ(prepare_corpus(cfg).n_written, 55);
  const Corpus c = Corpus::open(cfg.output);
  EXPECT_EQ(c.n_cells(), 55);
  EXPECT_EQ(c.manifest().sources.at(0).n_obs, 220);

  // With a label column too (the sampler's obs table then also feeds the labels).
  LabelColumnConfig ct;
  ct.name = "cell_type";
  cfg.label_columns = {ct};
  cfg.output += "-labelled";
  EXPECT_EQ(prepare_corpus(cfg).n_written, 55);
  const Corpus cl = Corpus::open(cfg.output);
  for (int64_t i = 0; i < cl.n_cells(); ++i) {
    EXPECT_GE(cl.cell(i).labels[0], 0);
    EXPECT_LT(cl.cell(i).labels[0], 22);
  }
}

// Pretrained gene embeddings: gene2vec / word2vec text, .npy (hand-built bytes
// and, when available, files written by numpy itself), alignment onto a
// vocabulary, and every error naming its file, line and gene.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "bmfm/data/pretrained_genes.h"
#include "bmfm/data/vocab.h"
#include "test_util.h"

using bmfm::data::align_to_vocab;
using bmfm::data::load_pretrained_genes;
using bmfm::data::PretrainedGenes;
using bmfm::data::Vocab;
using bmfm::test::error_of;

// gtest's own substring predicate: the failure prints both strings.
#define EXPECT_HAS(haystack, needle) EXPECT_PRED_FORMAT2(::testing::IsSubstring, needle, haystack)

namespace {

std::string write_file(const std::string& dir, const std::string& name, const std::string& bytes) {
  const std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

template <class T>
std::string raw_bytes(const std::vector<T>& values) {  // host order: the tests run on little-endian machines
  std::string out(values.size() * sizeof(T), '\0');
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

// A .npy file as numpy.save writes it: magic, version, header length, a
// space-padded dict literal ending in '\n' so the data starts 64-byte aligned.
std::string npy_bytes(const std::string& descr, const std::string& shape, const std::string& data,
                      bool fortran = false, int major = 1) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
                     ", 'shape': " + shape + ", }";
  const size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + dict.size() + 1) % 64 != 0) dict += ' ';
  dict += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  const size_t len = dict.size();
  for (size_t i = 0; i < prefix - 8; ++i) out += static_cast<char>((len >> (8 * i)) & 0xff);
  return out + dict + data;
}

class PretrainedGenesTest : public ::testing::Test {
 protected:
  std::string dir = bmfm::test::temp_dir("pretrained_genes");
  std::string load_error(const std::string& name, const std::string& text, const std::string& genes_file = "") {
    const auto path = write_file(dir, name, text);
    return error_of<std::runtime_error>([&] { load_pretrained_genes(path, genes_file); });
  }
};

}  // namespace

TEST_F(PretrainedGenesTest, ReadsGene2vecText) {
  const auto path = write_file(dir, "gene2vec.txt", "TP53 0.5 -1 2e-1\n\nCD4\t1\t2\t3\r\n  ACTB  -0.25 0 1e3  \n");
  const auto p = load_pretrained_genes(path);
  EXPECT_EQ(p.dim, 3);
  EXPECT_EQ(p.genes, (std::vector<std::string>{"TP53", "CD4", "ACTB"}));
  EXPECT_EQ(p.values, (std::vector<float>{0.5f, -1.f, 0.2f, 1.f, 2.f, 3.f, -0.25f, 0.f, 1000.f}));
  EXPECT_EQ(p.source, path);
}

TEST_F(PretrainedGenesTest, ReadsWord2vecHeader) {
  const auto path = write_file(dir, "w2v.txt", "2 2\nA 1 2\nB 3 4\n");
  const auto p = load_pretrained_genes(path);
  EXPECT_EQ(p.dim, 2);
  EXPECT_EQ(p.genes, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(p.values, (std::vector<float>{1, 2, 3, 4}));
}

TEST_F(PretrainedGenesTest, TextErrorsNameFileLineAndGene) {
  auto e = load_error("ragged.txt", "A 1 2 3\nB 1 2 3\n\nC 1 2\n");
  EXPECT_HAS(e, "ragged.txt");
  EXPECT_HAS(e, "line 4: gene 'C' has 2 values, expected 3");
  EXPECT_HAS(e, "first row on line 1");

  e = load_error("hdr_dim.txt", "2 3\nA 1 2\nB 1 2\n");
  EXPECT_HAS(e, "hdr_dim.txt");
  EXPECT_HAS(e, "line 2: gene 'A' has 2 values, expected 3 (the header on line 1)");

  e = load_error("hdr_n.txt", "3 2\nA 1 2\nB 1 2\n");
  EXPECT_HAS(e, "hdr_n.txt");
  EXPECT_HAS(e, "header on line 1 declares 3 genes but the file has 2");

  e = load_error("hdr_zero.txt", "0 2\n");
  EXPECT_HAS(e, "hdr_zero.txt: line 1: header '0 2'");

  e = load_error("dup.txt", "A 1 2\nB 1 2\nA 3 4\n");
  EXPECT_HAS(e, "dup.txt");
  EXPECT_HAS(e, "duplicate gene 'A' on lines 1 and 3");

  for (const char* bad : {"nan", "inf", "-inf", "1e39"}) {
    e = load_error("nonfinite.txt", std::string("A 1 2\nB 1 ") + bad + "\n");
    EXPECT_HAS(e, "nonfinite.txt");
    EXPECT_HAS(e, "line 2: gene 'B' value 2");
    EXPECT_HAS(e, "not finite");
  }

  e = load_error("nan_word.txt", "A 1 x2\n");
  EXPECT_HAS(e, "nan_word.txt: line 1: gene 'A' value 2 'x2' is not a number");

  e = load_error("novalues.txt", "\nA\n");
  EXPECT_HAS(e, "novalues.txt: line 2: gene 'A' has no values");

  e = load_error("empty.txt", "\n  \n");
  EXPECT_HAS(e, "empty.txt: no gene vectors found");

  e = error_of<std::runtime_error>([&] { load_pretrained_genes(dir + "/absent.txt"); });
  EXPECT_HAS(e, "absent.txt: cannot open");

  e = load_error("with_list.txt", "A 1\n", dir + "/genes.txt");
  EXPECT_HAS(e, "with_list.txt");
  EXPECT_HAS(e, "only used with .npy");
}

TEST_F(PretrainedGenesTest, ReadsHandBuiltNpy) {
  const auto genes = write_file(dir, "genes.txt", "TP53\nCD4\r\n\n");  // trailing blank line is fine
  const std::vector<float> f4 = {1.5f, -2.f, 3.f, 0.25f, 5.f, -6.f};
  const std::vector<double> f8 = {1.5, -2, 3, 0.25, 5, -6};
  const std::vector<std::pair<std::string, std::string>> files = {
      {"v1_f4.npy", npy_bytes("<f4", "(2, 3)", raw_bytes(f4))},
      {"v2_f8.npy", npy_bytes("<f8", "(2, 3)", raw_bytes(f8), false, 2)},
      {"v3_f4.NPY", npy_bytes("<f4", "(2,3)", raw_bytes(f4), false, 3)},
  };
  for (const auto& [name, bytes] : files) {
    SCOPED_TRACE(name);
    const auto p = load_pretrained_genes(write_file(dir, name, bytes), genes);
    EXPECT_EQ(p.dim, 3);
    EXPECT_EQ(p.genes, (std::vector<std::string>{"TP53", "CD4"}));
    EXPECT_EQ(p.values, f4);
  }
}

TEST_F(PretrainedGenesTest, NpyErrorsNameFileLineAndGene) {
  const auto genes = write_file(dir, "genes.txt", "A\nB\n");
  const auto data = raw_bytes(std::vector<float>{1, 2, 3, 4});
  auto e = load_error("nolist.npy", npy_bytes("<f4", "(2, 2)", data));
  EXPECT_HAS(e, "nolist.npy");
  EXPECT_HAS(e, "genes_file");

  e = load_error("fortran.npy", npy_bytes("<f4", "(2, 2)", data, true), genes);
  EXPECT_HAS(e, "fortran.npy: fortran_order is True");

  e = load_error("big.npy", npy_bytes(">f4", "(2, 2)", data), genes);
  EXPECT_HAS(e, "big.npy: dtype '>f4' is not supported");

  e = load_error("int.npy", npy_bytes("<i4", "(2, 2)", data), genes);
  EXPECT_HAS(e, "int.npy: dtype '<i4'");

  e = load_error("rank3.npy", npy_bytes("<f4", "(1, 2, 2)", data), genes);
  EXPECT_HAS(e, "rank3.npy: shape (1, 2, 2) is not (N genes, D)");

  e = load_error("rank1.npy", npy_bytes("<f4", "(4,)", data), genes);
  EXPECT_HAS(e, "rank1.npy: shape (4) is not (N genes, D)");

  e = load_error("short.npy", npy_bytes("<f4", "(2, 2)", data.substr(0, 12)), genes);
  EXPECT_HAS(e, "short.npy: data is 12 bytes but shape (2, 2) of '<f4' needs 16");

  e = load_error("magic.npy", "not numpy at all", genes);
  EXPECT_HAS(e, "magic.npy: not a .npy file");

  e = load_error("v9.npy", npy_bytes("<f4", "(2, 2)", data, false, 9), genes);
  EXPECT_HAS(e, "v9.npy: unsupported .npy format version 9.0");

  const auto three = write_file(dir, "three.txt", "A\nB\nC\n");
  e = load_error("rows.npy", npy_bytes("<f4", "(2, 2)", data), three);
  EXPECT_HAS(e, "rows.npy: has 2 rows but gene list");
  EXPECT_HAS(e, "three.txt has 3 names");

  const auto dup = write_file(dir, "dup_genes.txt", "A\nA\n");
  e = load_error("dup.npy", npy_bytes("<f4", "(2, 2)", data), dup);
  EXPECT_HAS(e, "dup_genes.txt: duplicate gene 'A' on lines 1 and 2");

  const auto blank = write_file(dir, "blank_genes.txt", "A\n\nB\n");
  e = load_error("blank.npy", npy_bytes("<f4", "(2, 2)", data), blank);
  EXPECT_HAS(e, "blank_genes.txt: line 2 is blank");

  const auto two_cols = write_file(dir, "two_cols.txt", "A\nB 7\n");
  e = load_error("cols.npy", npy_bytes("<f4", "(2, 2)", data), two_cols);
  EXPECT_HAS(e, "two_cols.txt: line 2: 'B 7' is more than one field");

  const auto nan_data = raw_bytes(std::vector<double>{1, 2, 3, std::nan("")});
  e = load_error("nan.npy", npy_bytes("<f8", "(2, 2)", nan_data), genes);
  EXPECT_HAS(e, "nan.npy: gene 'B' (line 2 of");
  EXPECT_HAS(e, "genes.txt) value 2 is not finite");

  const auto huge = raw_bytes(std::vector<double>{1e300, 2, 3, 4});
  e = load_error("huge.npy", npy_bytes("<f8", "(2, 2)", huge), genes);
  EXPECT_HAS(e, "huge.npy: gene 'A' (line 1 of");
}

TEST_F(PretrainedGenesTest, ReadsNpyWrittenByNumpy) {
  const std::string py = bmfm::test::python3_with("numpy");
  if (py.empty()) GTEST_SKIP() << "/usr/bin/python3 with numpy not available";
  const std::string script =
      "import numpy as np, sys; d = sys.argv[1]; x = np.arange(6).reshape(2, 3) / 4 - 0.5; "
      "np.save(d + '/np_f4.npy', x.astype('<f4')); np.save(d + '/np_f8.npy', x.astype('<f8')); "
      "np.save(d + '/np_fortran.npy', np.asfortranarray(x.astype('<f4')))";
  ASSERT_EQ(std::system((py + " -c \"" + script + "\" " + dir).c_str()), 0);
  const auto genes = write_file(dir, "np_genes.txt", "G1\nG2\n");
  const std::vector<float> expected = {-0.5f, -0.25f, 0.f, 0.25f, 0.5f, 0.75f};
  for (const char* name : {"np_f4.npy", "np_f8.npy"}) {
    SCOPED_TRACE(name);
    const auto p = load_pretrained_genes(dir + "/" + name, genes);
    EXPECT_EQ(p.dim, 3);
    EXPECT_EQ(p.genes, (std::vector<std::string>{"G1", "G2"}));
    EXPECT_EQ(p.values, expected);
  }
  const auto e = error_of<std::runtime_error>([&] { load_pretrained_genes(dir + "/np_fortran.npy", genes); });
  EXPECT_HAS(e, "np_fortran.npy: fortran_order is True");
}

TEST_F(PretrainedGenesTest, AlignsOntoVocabulary) {
  // "[PAD]" in the file must not initialise the special token; "tp53" != "TP53".
  const auto path = write_file(dir, "align.txt", "TP53 1 2\nCD4 3 4\n[PAD] 9 9\nACTB 5 6\nEXTRA 7 8\n");
  const auto p = load_pretrained_genes(path);
  const auto vocab = Vocab::from_genes({"ACTB", "tp53", "GAPDH", "CD4"});
  const auto a = align_to_vocab(p, vocab);
  ASSERT_EQ(a.dim, 2);
  ASSERT_EQ(a.values.size(), static_cast<size_t>(vocab.size()) * 2);
  ASSERT_EQ(a.covered.size(), static_cast<size_t>(vocab.size()));
  EXPECT_EQ(a.n_covered, 2);
  EXPECT_EQ(a.missing_examples, (std::vector<std::string>{"tp53", "GAPDH"}));
  for (int32_t id = 0; id < vocab.n_special(); ++id) {
    EXPECT_EQ(a.covered[static_cast<size_t>(id)], 0) << vocab.token(id);
    EXPECT_EQ(a.values[static_cast<size_t>(id) * 2], 0.f) << vocab.token(id);
  }
  auto row = [&](const std::string& gene) {
    const auto id = static_cast<size_t>(vocab.id(gene));
    return std::vector<float>{a.values[id * 2], a.values[id * 2 + 1]};
  };
  EXPECT_EQ(row("ACTB"), (std::vector<float>{5, 6}));
  EXPECT_EQ(row("CD4"), (std::vector<float>{3, 4}));
  EXPECT_EQ(row("tp53"), (std::vector<float>{0, 0}));
  EXPECT_EQ(row("GAPDH"), (std::vector<float>{0, 0}));
  EXPECT_EQ(a.covered[static_cast<size_t>(vocab.id("ACTB"))], 1);
  EXPECT_EQ(a.covered[static_cast<size_t>(vocab.id("GAPDH"))], 0);
}

TEST_F(PretrainedGenesTest, AlignRejectsInconsistentInput) {
  const auto vocab = Vocab::from_genes({"A"});
  PretrainedGenes p;
  p.dim = 2;
  p.genes = {"A", "B"};
  p.values = {1, 2, 3};
  p.source = "hand.txt";
  auto e = error_of<std::runtime_error>([&] { align_to_vocab(p, vocab); });
  EXPECT_HAS(e, "hand.txt: 3 values for 2 genes x dim 2");
  p.genes = {"A", "A"};
  p.values = {1, 2, 3, 4};
  e = error_of<std::runtime_error>([&] { align_to_vocab(p, vocab); });
  EXPECT_HAS(e, "hand.txt: duplicate gene 'A' in rows 0 and 1");
  p.dim = 0;
  e = error_of<std::runtime_error>([&] { align_to_vocab(p, vocab); });
  EXPECT_HAS(e, "dim must be >= 1");
}

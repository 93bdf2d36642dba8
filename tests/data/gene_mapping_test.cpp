// Gene mapping: var names -> vocabulary ids, unmapped reporting, CSR rows ->
// CellRecords; real-data counts against tests/data/vocab_gene_mapping_expected.py.
#include <gtest/gtest.h>

#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "bmfm/data/gene_mapping.h"
#include "bmfm/io/error.h"
#include "bmfm/io/h5ad.h"
#include "test_util.h"

using namespace bmfm::data;
using bmfm::io::CsrMatrix;

namespace {

// rows: per row a list of (column, value)
CsrMatrix csr(int64_t n_cols, const std::vector<std::vector<std::pair<int32_t, float>>>& rows) {
  CsrMatrix m;
  m.n_rows = static_cast<int64_t>(rows.size());
  m.n_cols = n_cols;
  for (const auto& r : rows) {
    for (auto [c, v] : r) {
      m.indices.push_back(c);
      m.data.push_back(v);
    }
    m.indptr.push_back(static_cast<int64_t>(m.indices.size()));
  }
  return m;
}

// Columns `symbol` and `ensembl_gene_id` of the HGNC table.
struct Hgnc {
  std::vector<std::string> symbols, ensembl;
};
Hgnc read_hgnc() {
  std::ifstream in(bmfm::test::data_path("genes/hgnc_genes.tsv"));
  std::string line;
  std::getline(in, line);
  Hgnc h;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    size_t s = 0;
    for (size_t t; (t = line.find('\t', s)) != std::string::npos; s = t + 1) f.push_back(line.substr(s, t - s));
    f.push_back(line.substr(s));
    h.symbols.push_back(f.at(0));
    if (!f.at(1).empty()) h.ensembl.push_back(f.at(1));
  }
  return h;
}

}  // namespace

TEST(GeneMapping, ExactCaseSensitiveMatchWithReport) {
  auto vocab = Vocab::from_genes({"A", "B", "C"});  // ids 5, 6, 7
  auto m = GeneMapping::build({"B", "X", "A", "B", "a", ""}, vocab, {}, "test var");
  EXPECT_EQ(m.var_to_vocab(), (std::vector<int32_t>{6, -1, 5, 6, -1, -1}));
  EXPECT_EQ(m.n_vars(), 6);
  EXPECT_EQ(m.n_mapped(), 3);
  EXPECT_EQ(m.n_unmapped(), 3);
  EXPECT_EQ(m.n_duplicates(), 1);  // the second "B"
  EXPECT_EQ(m.mapped_vocab_ids(), (std::vector<int32_t>{5, 6}));
  EXPECT_EQ(m.unmapped_examples(), (std::vector<std::string>{"X", "a", "<empty>"}));
  EXPECT_EQ(m.vocab_hash(), vocab.hash());
  const auto s = m.summary();
  EXPECT_NE(s.find("test var: 6 genes, 3 mapped to the vocabulary, 3 unmapped (e.g. X, a, <empty>)"), std::string::npos)
      << s;
  EXPECT_NE(s.find("1 duplicates"), std::string::npos) << s;
}

TEST(GeneMapping, SpecialTokenNamesAreNotGenes) {
  auto vocab = Vocab::from_genes({"A"});
  auto m = GeneMapping::build({"[PAD]", "A"}, vocab);
  EXPECT_EQ(m.var_to_vocab(), (std::vector<int32_t>{-1, 5}));
}

TEST(GeneMapping, EnsemblVersionStripping) {
  auto vocab = Vocab::from_genes({"ENSG00000141510", "ENSG00000000003.14", "RP11-34P13.7"});  // 5, 6, 7
  const std::vector<std::string> var = {"ENSG00000141510.16", "ENSG00000000003", "ENSG00000000003.15",
                                        "RP11-34P13.7",       "RP11-34P13",      "ENSG00000141510.x"};
  auto plain = GeneMapping::build(var, vocab);
  EXPECT_EQ(plain.var_to_vocab(), (std::vector<int32_t>{-1, -1, -1, 7, -1, -1}));
  GeneMappingOptions o;
  o.strip_ensembl_version = true;
  auto stripped = GeneMapping::build(var, vocab, o);
  // Only "ENS..." ids lose a trailing ".<digits>"; "RP11-34P13.7" must match exactly.
  EXPECT_EQ(stripped.var_to_vocab(), (std::vector<int32_t>{5, 6, 6, 7, -1, -1}));
  EXPECT_EQ(stripped.n_duplicates(), 1);

  auto ambiguous = Vocab::from_genes({"ENSG00000000003.1", "ENSG00000000003.2"});
  try {
    GeneMapping::build({"x"}, ambiguous, o);
    FAIL() << "expected an ambiguity error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'ENSG00000000003.1' and 'ENSG00000000003.2'"), std::string::npos) << e.what();
  }
}

TEST(GeneMapping, CellRecordsDropUnmappedAndZerosAndSumDuplicates) {
  auto vocab = Vocab::from_genes({"A", "B", "C"});                // ids 5, 6, 7
  auto m = GeneMapping::build({"B", "X", "A", "B", "C"}, vocab);  // cols -> 6, -1, 5, 6, 7
  // row 0: B=1 X=9 A=2 B(dup)=4 C=0(stored zero) -> B: 1+4=5 (at B's first place), A: 2
  // row 1: C=3 A=1 -> file order kept: C, A
  auto X = csr(5, {{{0, 1}, {1, 9}, {2, 2}, {3, 4}, {4, 0}}, {{4, 3}, {2, 1}}});
  CellRecordBuilder b(m);
  CellRecord r;
  r.labels = {7};
  b.build(X, 0, 100, r);
  EXPECT_EQ(r.cell_index, 100);
  EXPECT_EQ(r.genes, (std::vector<int32_t>{6, 5}));
  EXPECT_EQ(r.values, (std::vector<float>{5, 2}));
  EXPECT_EQ(r.labels, (std::vector<int32_t>{7}));  // left for the caller
  b.build(X, 1, 101, r);
  EXPECT_EQ(r.genes, (std::vector<int32_t>{7, 5}));
  EXPECT_EQ(r.values, (std::vector<float>{3, 1}));
  // Row 0 again: the duplicate scratch was reset.
  b.build(X, 0, 100, r);
  EXPECT_EQ(r.values, (std::vector<float>{5, 2}));

  EXPECT_THROW(b.build(X, 2, 0, r), std::out_of_range);
  auto wrong = csr(4, {{{0, 1}}});
  EXPECT_THROW(b.build(wrong, 0, 0, r), std::invalid_argument);
}

TEST(GeneMapping, UnmappedCountFractionInMemory) {
  auto vocab = Vocab::from_genes({"A", "B"});
  auto m = GeneMapping::build({"A", "X", "B", "Y"}, vocab);
  // Unmapped columns 1 and 3. total = 1+2+3+4+5 = 15; unmapped = 2 + 4 = 6; fraction 0.4.
  auto X = csr(4, {{{0, 1}, {1, 2}}, {{2, 3}, {3, 4}, {0, 5}}});
  auto c = count_unmapped(X, m);
  EXPECT_EQ(c.n_cells, 2);
  EXPECT_DOUBLE_EQ(c.total, 15);
  EXPECT_DOUBLE_EQ(c.unmapped, 6);
  EXPECT_DOUBLE_EQ(c.fraction(), 0.4);
  EXPECT_DOUBLE_EQ(UnmappedCounts{}.fraction(), 0.0);
}

TEST(GeneMapping, MissingVarColumnListsColumns) {
  bmfm::io::DataFrame var;
  var.index = {"a", "b"};
  auto vocab = Vocab::from_genes({"a"});
  GeneMappingOptions o;
  o.column = "gene_symbols";
  try {
    GeneMapping::from_var(var, vocab, o, "x.h5ad");
    FAIL();
  } catch (const bmfm::io::FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("gene_symbols"), std::string::npos) << e.what();
  }
}

// Expected values: /usr/bin/python3 tests/data/vocab_gene_mapping_expected.py
//   cellbench var index vs HGNC Ensembl ids
//     n_vars=11533 n_mapped=11085 n_unmapped=448 n_duplicates=0
//     unmapped_examples=['ENSG00000146677', 'ENSG00000165121', 'ENSG00000169253', ...]
//     all rows: total=37332578.0 unmapped=1167737.0 fraction=0.0312793024901736
//     rows [100, 600): total=14298184.0 unmapped=367315.0 fraction=0.025689626039222882
//   cellbench gene_symbol vs HGNC symbols
//     n_vars=11533 n_mapped=11085 n_unmapped=448 n_duplicates=0
//     unmapped_examples=['', '', ...] (the 448 unmapped symbols are empty strings)
//     same totals as above
TEST(GeneMapping, CellbenchEnsemblIndexAndSymbolColumn) {
  BMFM_REQUIRE_DATA("cellbench_lung_celllines_5batch.h5ad");
  BMFM_REQUIRE_DATA("genes/hgnc_genes.tsv");
  const auto hgnc = read_hgnc();
  const auto ensembl_vocab = Vocab::from_genes(union_genes({hgnc.ensembl}));
  const auto symbol_vocab = Vocab::from_genes(hgnc.symbols);
  EXPECT_EQ(ensembl_vocab.n_genes(), 38976);

  bmfm::io::H5adReader reader(bmfm::test::data_path("cellbench_lung_celllines_5batch.h5ad"));
  const auto var = reader.read_var();
  auto by_id = GeneMapping::from_var(var, ensembl_vocab, {}, "cellbench");
  EXPECT_EQ(by_id.n_vars(), 11533);
  EXPECT_EQ(by_id.n_mapped(), 11085);
  EXPECT_EQ(by_id.n_unmapped(), 448);
  EXPECT_EQ(by_id.n_duplicates(), 0);
  ASSERT_GE(by_id.unmapped_examples().size(), 3u);
  EXPECT_EQ(by_id.unmapped_examples()[0], "ENSG00000146677");
  EXPECT_EQ(by_id.unmapped_examples()[2], "ENSG00000169253");

  GeneMappingOptions o;
  o.column = "gene_symbol";
  auto by_symbol = GeneMapping::from_var(var, symbol_vocab, o, "cellbench");
  EXPECT_EQ(by_symbol.n_mapped(), 11085);
  EXPECT_EQ(by_symbol.n_unmapped(), 448);
  EXPECT_EQ(by_symbol.unmapped_examples()[0], "<empty>");

  // Streaming, in chunks that do not divide the row count.
  for (const auto* m : {&by_id, &by_symbol}) {
    auto all = count_unmapped(reader, *m, "X", 0, -1, 300);
    EXPECT_EQ(all.n_cells, 1408);
    EXPECT_DOUBLE_EQ(all.total, 37332578.0);
    EXPECT_DOUBLE_EQ(all.unmapped, 1167737.0);
    EXPECT_NEAR(all.fraction(), 0.0312793024901736, 1e-15);
    auto part = count_unmapped(reader, *m, "X", 100, 600, 77);
    EXPECT_EQ(part.n_cells, 500);
    EXPECT_DOUBLE_EQ(part.total, 14298184.0);
    EXPECT_DOUBLE_EQ(part.unmapped, 367315.0);
    EXPECT_NEAR(part.fraction(), 0.025689626039222882, 1e-15);
  }
  // Totals over mapped genes add up to total - unmapped.
  auto totals = mapped_totals(reader, by_id, "X", 100, 600, 64);
  ASSERT_EQ(totals.size(), 500u);
  EXPECT_DOUBLE_EQ(std::accumulate(totals.begin(), totals.end(), 0.0), 14298184.0 - 367315.0);

  // Records of one cell hold only mapped genes and sum to its mapped total.
  auto X = reader.read_matrix("X", 100, 101);
  CellRecordBuilder b(by_id);
  CellRecord r;
  b.build(X, 0, 100, r);
  EXPECT_DOUBLE_EQ(std::accumulate(r.values.begin(), r.values.end(), 0.0), totals[0]);
  for (int32_t g : r.genes) EXPECT_GE(g, ensembl_vocab.n_special());

  EXPECT_THROW(count_unmapped(reader, by_id, "X", 10, 5), std::out_of_range);
  EXPECT_THROW(count_unmapped(reader, by_id, "X", 0, 5000), std::out_of_range);
}

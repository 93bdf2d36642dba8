// Gene table loading and lookups. Expected counts on the HGNC table come from
// tests/data/qc_expected.py (Python's csv module over the same TSV) and from
// ../shared/data/README.md (19,225 protein-coding genes).
#include <gtest/gtest.h>

#include <fstream>

#include "bmfm/data/gene_table.h"
#include "bmfm/io/error.h"
#include "test_util.h"

using bmfm::data::GeneRecord;
using bmfm::data::GeneTable;

namespace {

std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = bmfm::test::temp_dir("gene_table") + "/" + name;
  std::ofstream(path) << text;
  return path;
}

std::string error_of(const std::string& path) {
  try {
    GeneTable::load(path);
  } catch (const bmfm::io::FormatError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(GeneTable, EnsemblIdHelpers) {
  using bmfm::data::looks_like_ensembl_id;
  using bmfm::data::strip_ensembl_version;
  EXPECT_TRUE(looks_like_ensembl_id("ENSG00000141510"));
  EXPECT_TRUE(looks_like_ensembl_id("ENSG00000141510.12"));
  EXPECT_TRUE(looks_like_ensembl_id("ENSMUSG00000051951"));
  EXPECT_FALSE(looks_like_ensembl_id("TP53"));
  EXPECT_FALSE(looks_like_ensembl_id("ENSG"));
  EXPECT_FALSE(looks_like_ensembl_id("ENSG0001x"));
  EXPECT_FALSE(looks_like_ensembl_id("ENSG00000141510."));
  EXPECT_EQ(strip_ensembl_version("ENSG00000141510.12"), "ENSG00000141510");
  EXPECT_EQ(strip_ensembl_version("ENSG00000141510"), "ENSG00000141510");
  // Clone-based lncRNA symbols end in .<digits> too and must survive.
  EXPECT_EQ(strip_ensembl_version("RP11-34P13.7"), "RP11-34P13.7");
  EXPECT_EQ(strip_ensembl_version("AC000061.1"), "AC000061.1");
}

TEST(GeneTable, LoadsHgncTable) {
  BMFM_REQUIRE_DATA("genes/hgnc_genes.tsv");
  const GeneTable t = GeneTable::load(bmfm::test::data_path("genes/hgnc_genes.tsv"));
  EXPECT_EQ(t.size(), 42017);
  EXPECT_EQ(static_cast<int64_t>(t.protein_coding_symbols().size()), 19225);
  const GeneRecord* tp53 = t.by_symbol("TP53");
  ASSERT_NE(tp53, nullptr);
  EXPECT_EQ(tp53->ensembl_id, "ENSG00000141510");
  EXPECT_TRUE(tp53->protein_coding());
  ASSERT_EQ(t.by_ensembl("ENSG00000141510.12").size(), 1u);
  EXPECT_EQ(t.by_ensembl("ENSG00000141510.12")[0]->symbol, "TP53");
  EXPECT_TRUE(t.is_protein_coding("TP53"));
  EXPECT_TRUE(t.is_protein_coding("ENSG00000141510.3"));
  EXPECT_FALSE(t.is_protein_coding("ENSG00000141510", GeneTable::Match::Symbol));
  EXPECT_FALSE(t.is_protein_coding("TP53", GeneTable::Match::Ensembl));
  // Case-sensitive: the mouse-style spelling is not the human symbol.
  EXPECT_EQ(t.by_symbol("Tp53"), nullptr);
  // A non-coding RNA and an unknown id.
  EXPECT_FALSE(t.is_protein_coding("A1BG-AS1"));
  EXPECT_TRUE(t.contains("A1BG-AS1"));
  EXPECT_FALSE(t.contains("NOT_A_GENE"));
  // HGNC maps one Ensembl id to two symbols (TAS2R43, TAS2R45): both come back.
  const auto shared = t.by_ensembl("ENSG00000255374");
  ASSERT_EQ(shared.size(), 2u);
  EXPECT_EQ(shared[0]->symbol, "TAS2R43");
  EXPECT_EQ(shared[1]->symbol, "TAS2R45");
  // Quoted fields elsewhere on the line do not shift the columns.
  ASSERT_NE(t.by_symbol("A1CF"), nullptr);
  EXPECT_EQ(t.by_symbol("A1CF")->locus_group, "protein-coding gene");
}

TEST(GeneTable, ColumnsByNameQuotesAndCrlf) {
  const std::string path = write_file(
      "t.tsv",
      "extra\tlocus_group\tsymbol\tensembl_gene_id\r\n"
      "x\tprotein-coding gene\tGENE1\tENSG00000000001.5\r\n"
      "\r\n"
      "y\t\"non-coding RNA\"\t\"GE\"\"NE2\"\t\r\n");
  const GeneTable t = GeneTable::load(path);
  ASSERT_EQ(t.size(), 2);
  EXPECT_EQ(t.records()[0].ensembl_id, "ENSG00000000001");
  EXPECT_TRUE(t.is_protein_coding("ENSG00000000001.9"));
  EXPECT_EQ(t.records()[1].symbol, "GE\"NE2");
  EXPECT_EQ(t.records()[1].locus_group, "non-coding RNA");
  EXPECT_TRUE(t.records()[1].ensembl_id.empty());
  EXPECT_EQ(t.source(), path);
}

TEST(GeneTable, MissingColumnNamesFileAndColumn) {
  const std::string path = write_file("no_group.tsv", "symbol\tensembl_gene_id\nTP53\tENSG00000141510\n");
  const std::string err = error_of(path);
  EXPECT_NE(err.find(path), std::string::npos) << err;
  EXPECT_NE(err.find("'locus_group'"), std::string::npos) << err;
  EXPECT_NE(err.find("found: symbol, ensembl_gene_id"), std::string::npos) << err;
}

TEST(GeneTable, BadFilesAreClearErrors) {
  EXPECT_NE(error_of("/nonexistent/genes.tsv").find("/nonexistent/genes.tsv: cannot open"), std::string::npos);
  const std::string empty = write_file("empty.tsv", "");
  EXPECT_NE(error_of(empty).find("empty"), std::string::npos);
  const std::string short_row = write_file("short.tsv", "symbol\tensembl_gene_id\tlocus_group\nTP53\tENSG1\n");
  const std::string err = error_of(short_row);
  EXPECT_NE(err.find("line 2 has 2 fields"), std::string::npos) << err;
  const std::string no_symbol = write_file("nosym.tsv", "symbol\tensembl_gene_id\tlocus_group\n\tENSG1\tother\n");
  EXPECT_NE(error_of(no_symbol).find("line 2 has an empty symbol"), std::string::npos);
}

TEST(GeneTable, ParseMatch) {
  EXPECT_EQ(bmfm::data::parse_gene_match("auto"), GeneTable::Match::Auto);
  EXPECT_EQ(bmfm::data::parse_gene_match("ensembl"), GeneTable::Match::Ensembl);
  EXPECT_THROW(bmfm::data::parse_gene_match("Symbol"), std::invalid_argument);
}

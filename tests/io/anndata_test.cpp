// The in-memory containers: CsrMatrix::validate, require_counts, Column, gene_ids.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "bmfm/io/anndata.h"
#include "bmfm/io/h5ad.h"
#include "io_test_util.h"

using bmfm::io::Column;
using bmfm::io::CsrMatrix;
using bmfm::io::FormatError;

namespace {

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no exception)";
}

TEST(CsrMatrix, ValidateAcceptsWellFormed) {
  EXPECT_NO_THROW(bmfm::test::small_anndata().X.validate("X"));
  CsrMatrix empty;
  EXPECT_NO_THROW(empty.validate("empty"));
}

TEST(CsrMatrix, ValidateNamesTheProblem) {
  auto bad = [](auto edit) {
    CsrMatrix m = bmfm::test::small_anndata().X;
    edit(m);
    return message_of([&] { m.validate("X of test.h5ad"); });
  };
  EXPECT_NE(bad([](CsrMatrix& m) { m.indptr = {0, 2, 1, 4, 5, 7}; }).find("decreases at row 1"), std::string::npos);
  EXPECT_NE(bad([](CsrMatrix& m) { m.indptr.pop_back(); }).find("expected n_rows + 1 = 6"), std::string::npos);
  EXPECT_NE(bad([](CsrMatrix& m) { m.indptr.front() = 1; }).find("indptr[0] = 1"), std::string::npos);
  EXPECT_NE(bad([](CsrMatrix& m) { m.indptr.back() = 6; }).find("7 stored values"), std::string::npos);
  EXPECT_NE(bad([](CsrMatrix& m) { m.indices[3] = 4; }).find("row 2 has column index 4 outside [0, 4)"), std::string::npos);
  EXPECT_NE(bad([](CsrMatrix& m) { m.indices[0] = -1; }).find("column index -1"), std::string::npos);
  EXPECT_NE(bad([](CsrMatrix& m) { m.data.pop_back(); }).find("indices has 7 entries but data has 6"), std::string::npos);
  EXPECT_NE(bad([](CsrMatrix& m) { m.indices[3] = 4; }).find("X of test.h5ad"), std::string::npos);
  EXPECT_NE(bad([](CsrMatrix& m) { m.n_rows = -1; }).find("negative shape"), std::string::npos);
}

TEST(RequireCounts, AcceptsIntegers) {
  EXPECT_NO_THROW(bmfm::io::require_counts(bmfm::test::small_anndata().layers.at("counts"), "counts"));
}

// counts_problem, by hand on small_anndata().X: values 1 2 3 4.5 5 6 7, the
// first non-integer 4.5 at [2, 3], the largest value 7 (< 30: log-normalised range).
TEST(CountsProblem, NamesTheFirstOffenderAndTheRange) {
  CsrMatrix X = bmfm::test::small_anndata().X;
  EXPECT_EQ(bmfm::io::counts_problem(X),
            "cell row 2, gene column 3 holds 4.5 (not an integer); the largest value is 7, as in log-normalised data");
  EXPECT_EQ(bmfm::io::counts_problem(X, 3), "");  // only the first 3 stored values are looked at: 1 2 3
  EXPECT_EQ(bmfm::io::counts_problem(bmfm::test::small_anndata().layers.at("counts")), "");
  X.data[6] = 2500;  // a non-integer matrix with a count-like range is not called log-normalised
  EXPECT_EQ(bmfm::io::counts_problem(X, 1000000, 10),
            "cell row 12, gene column 3 holds 4.5 (not an integer); the largest value is 2500");
}

TEST(RequireCounts, NamesFirstOffendingCellAndGene) {
  CsrMatrix X = bmfm::test::small_anndata().X;  // X[2, 3] = 4.5 is the first non-integer
  std::string m = message_of([&] { bmfm::io::require_counts(X, "X of data.h5ad"); });
  EXPECT_NE(m.find("X of data.h5ad"), std::string::npos) << m;
  EXPECT_NE(m.find("cell row 2, gene column 3"), std::string::npos) << m;
  EXPECT_NE(m.find("not an integer"), std::string::npos) << m;
  // Row numbers of a slice are reported in file coordinates.
  m = message_of([&] { bmfm::io::require_counts(X, "X", 100); });
  EXPECT_NE(m.find("cell row 102"), std::string::npos) << m;

  X.data[1] = std::numeric_limits<float>::quiet_NaN();  // X[0, 2]
  m = message_of([&] { bmfm::io::require_counts(X, "X"); });
  EXPECT_NE(m.find("cell row 0, gene column 2"), std::string::npos) << m;
  EXPECT_NE(m.find("NaN"), std::string::npos) << m;
  X.data[1] = -3;
  m = message_of([&] { bmfm::io::require_counts(X, "X"); });
  EXPECT_NE(m.find("negative"), std::string::npos) << m;
  X.data[1] = std::numeric_limits<float>::infinity();
  m = message_of([&] { bmfm::io::require_counts(X, "X"); });
  EXPECT_NE(m.find("infinite"), std::string::npos) << m;
  EXPECT_THROW(bmfm::io::require_counts(X, "X"), FormatError);
}

TEST(Column, TextAndMissing) {
  auto ad = bmfm::test::small_anndata();
  const Column& type = ad.obs.at("cell_type");
  EXPECT_EQ(type.text(0), "T");
  EXPECT_TRUE(type.is_missing(2));
  EXPECT_EQ(type.text(2), "");
  const Column& age = ad.obs.at("age");
  EXPECT_EQ(age.text(0), "30");
  EXPECT_TRUE(age.is_missing(1));
  EXPECT_EQ(ad.obs.at("is_doublet").text(2), "true");
  EXPECT_EQ(ad.obs.at("n_counts").text(2), "7.5");
  EXPECT_TRUE(ad.var.at("mean").is_missing(2));  // NaN
  EXPECT_EQ(ad.obs.find("nope"), nullptr);
  std::string m = message_of([&] { ad.obs.at("celltype"); });
  EXPECT_NE(m.find("no column 'celltype'"), std::string::npos) << m;
  EXPECT_NE(m.find("cell_type"), std::string::npos) << m;  // lists the real ones
}

TEST(GeneIds, IndexOrColumn) {
  auto ad = bmfm::test::small_anndata();
  EXPECT_EQ(bmfm::io::gene_ids(ad.var), ad.var.index);
  EXPECT_EQ(bmfm::io::gene_ids(ad.var, "gene_ids")[3], "ENSG00000156738");
  EXPECT_EQ(bmfm::io::gene_ids(ad.var, "level")[0], "high");  // categorical
  std::string m = message_of([&] { bmfm::io::gene_ids(ad.var, "symbol"); });
  EXPECT_NE(m.find("'symbol'"), std::string::npos) << m;
  EXPECT_NE(m.find("gene_ids, level, mean"), std::string::npos) << m;
  EXPECT_THROW(bmfm::io::gene_ids(ad.var, "mean"), FormatError);  // numbers are not ids
}

}  // namespace

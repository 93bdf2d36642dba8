// Census-style obs value filters: parsing errors and hand-computed selections.
#include <cmath>

#include <gtest/gtest.h>

#include "bmfm/io/error.h"
#include "bmfm/io/obs_filter.h"
#include "test_util.h"

namespace bmfm::io {
namespace {

// 5 cells: tissue (categorical), n_genes (int, cell 4 missing), score (float,
// cell 2 NaN), primary (bool), donor (string).
DataFrame table() {
  DataFrame df;
  df.index_name = "cell";
  df.index = {"c0", "c1", "c2", "c3", "c4"};
  Column tissue;
  tissue.name = "tissue_general";
  tissue.kind = Column::Kind::Categorical;
  tissue.categories = {"blood", "lung", "B cell"};
  tissue.codes = {0, 1, 0, -1, 2};
  Column genes;
  genes.name = "n_genes";
  genes.kind = Column::Kind::Integer;
  genes.integer = {100, 600, 500, 900, 0};
  genes.mask = {0, 0, 0, 0, 1};
  Column score;
  score.name = "score.1";
  score.kind = Column::Kind::Numeric;
  score.numeric = {0.5, -1.0, std::nan(""), 2.0, 1e3};
  Column primary;
  primary.name = "is_primary_data";
  primary.kind = Column::Kind::Boolean;
  primary.boolean = {1, 1, 0, 1, 0};
  Column donor;
  donor.name = "donor id";
  donor.kind = Column::Kind::String;
  donor.strings = {"D1", "D2", "D1", "", "D3"};
  df.columns = {tissue, genes, score, primary, donor};
  return df;
}

std::vector<uint8_t> run(const std::string& expr) { return ObsFilter::parse(expr).evaluate(table(), "test obs"); }

TEST(ObsFilter, CensusStyleExpressions) {
  EXPECT_EQ(run("tissue_general == 'blood' and is_primary_data == True"), (std::vector<uint8_t>{1, 0, 0, 0, 0}));
  EXPECT_EQ(run("tissue_general in ['lung', 'B cell']"), (std::vector<uint8_t>{0, 1, 0, 0, 1}));
  EXPECT_EQ(run("tissue_general not in [\"blood\"]"), (std::vector<uint8_t>{0, 1, 0, 0, 1}));  // missing fails
  EXPECT_EQ(run("n_genes >= 500"), (std::vector<uint8_t>{0, 1, 1, 1, 0}));                      // missing fails
  EXPECT_EQ(run("500 < n_genes"), (std::vector<uint8_t>{0, 1, 0, 1, 0}));                       // flipped
  EXPECT_EQ(run("score.1 != 0.5"), (std::vector<uint8_t>{0, 1, 0, 1, 1}));                      // NaN fails
  EXPECT_EQ(run("score.1 > 1e2 or not (is_primary_data == True)"), (std::vector<uint8_t>{0, 0, 1, 0, 1}));
  EXPECT_EQ(run("`donor id` == 'D1' & n_genes < 200"), (std::vector<uint8_t>{1, 0, 0, 0, 0}));
  EXPECT_EQ(run("cell in ['c1', 'c3']"), (std::vector<uint8_t>{0, 1, 0, 1, 0}));                // the index
  EXPECT_EQ(run("(tissue_general == 'blood' or tissue_general == 'lung') and n_genes > 100"),
            (std::vector<uint8_t>{0, 1, 1, 0, 0}));
}

TEST(ObsFilter, ErrorsNameThePositionOrTheColumn) {
  EXPECT_NE(test::error_of<FormatError>([] { ObsFilter::parse("tissue = 'blood'"); }).find("'=' is assignment"),
            std::string::npos);
  EXPECT_NE(test::error_of<FormatError>([] { ObsFilter::parse("tissue == 'blood"); }).find("unterminated string"),
            std::string::npos);
  EXPECT_NE(test::error_of<FormatError>([] { ObsFilter::parse("(a == 1"); }).find("expected ')'"), std::string::npos);
  EXPECT_NE(test::error_of<FormatError>([] { ObsFilter::parse("a == 1 b"); }).find("position 8"), std::string::npos);
  EXPECT_NE(test::error_of<FormatError>([] { run("tissue == 'blood'"); }).find("no column 'tissue' (columns: cell (index), tissue_general"),
            std::string::npos);
  EXPECT_NE(test::error_of<FormatError>([] { run("n_genes == 'many'"); }).find("compare it with a number"),
            std::string::npos);
  EXPECT_NE(test::error_of<FormatError>([] { run("tissue_general == True"); }).find("holds text"), std::string::npos);
  EXPECT_EQ(ObsFilter::parse("a == 1 and (b in [2] or not c > 3)").columns(), (std::vector<std::string>{"a", "b", "c"}));
}

}  // namespace
}  // namespace bmfm::io

// 10x CellRanger v3 .h5 reading. Shape, sums and cells of the real file are
// checked in h5ad_reader_test.cpp (RealFile table); here: var columns, format
// detection and malformed files. Expected values: tests/io/make_expected.py --extras.
#include <gtest/gtest.h>

#include "bmfm/io/h5ad.h"
#include "bmfm/io/tenx_h5.h"
#include "io_test_util.h"
#include "test_util.h"

using bmfm::io::FormatError;
using bmfm::test::data_path;

namespace {

const char* kTenx = "scanpy_10x_v3_filtered_feature_bc_matrix.h5";

TEST(TenxH5, VarColumnsAndIndex) {
  BMFM_REQUIRE_DATA(kTenx);
  auto ad = bmfm::io::read_tenx_h5(data_path(kTenx));
  EXPECT_EQ(ad.var.index[0], "CH507-9B2.2");
  const auto& ids = ad.var.at("gene_ids");
  EXPECT_EQ(ids.strings[0], "ENSG00000279493");
  EXPECT_EQ(ids.strings[1], "ENSG00000277117");
  for (const auto& t : ad.var.at("feature_types").strings) EXPECT_EQ(t, "Gene Expression");
  EXPECT_EQ(ad.var.at("genome").strings[0], "GRCh38_chr21");
  EXPECT_EQ(ad.obs.index[0], "AAACCCAAGGAGAGTA-1");
  EXPECT_TRUE(ad.obs.columns.empty());
  EXPECT_EQ(bmfm::io::gene_ids(ad.var, "gene_ids")[0], "ENSG00000279493");
  EXPECT_NO_THROW(bmfm::io::require_counts(ad.X, kTenx));
}

TEST(TenxH5, DetectsFormat) {
  BMFM_REQUIRE_DATA(kTenx);
  BMFM_REQUIRE_DATA("bmfm_zheng68k.h5ad");
  EXPECT_TRUE(bmfm::io::is_tenx_h5(data_path(kTenx)));
  EXPECT_FALSE(bmfm::io::is_tenx_h5(data_path("bmfm_zheng68k.h5ad")));
  EXPECT_FALSE(bmfm::io::is_tenx_h5(data_path("README.md")));
  EXPECT_FALSE(bmfm::io::is_tenx_h5("/nonexistent/file.h5"));
  // The h5ad reader points at the right reader.
  try {
    bmfm::io::H5adReader r(data_path(kTenx));
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("10x"), std::string::npos) << e.what();
  }
  try {
    bmfm::io::read_tenx_h5(data_path("bmfm_zheng68k.h5ad"));
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("h5ad"), std::string::npos) << e.what();
  }
}

// Fixed-length (4-byte, NUL-padded) strings, as CellRanger writes them.
void put_fixed(const bmfm::test::H5Edit& f, const char* path, const std::vector<std::string>& values) {
  std::string buf;
  for (const auto& v : values) buf += v + std::string(4 - v.size(), '\0');
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, 4);
  hsize_t n = values.size();
  hid_t space = H5Screate_simple(1, &n, nullptr);
  hid_t ds = H5Dcreate2(f.id(), path, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data());
  H5Dclose(ds);
  H5Sclose(space);
  H5Tclose(type);
}

// A tiny hand-made CellRanger file: 3 genes x 2 cells.
std::string write_tiny(const std::string& dir, std::vector<int64_t> indptr, std::vector<int64_t> indices) {
  const std::string path = dir + "/tiny.h5";
  H5Fclose(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  bmfm::test::H5Edit f(path);
  f.group("matrix");
  f.group("matrix/features");
  f.put("matrix/shape", std::vector<int32_t>{3, 2}, H5T_NATIVE_INT32, H5T_STD_I32LE);
  f.put("matrix/data", std::vector<int32_t>{4, 5, 6}, H5T_NATIVE_INT32, H5T_STD_I32LE);
  f.put("matrix/indices", indices, H5T_NATIVE_INT64, H5T_STD_I64LE);
  f.put("matrix/indptr", indptr, H5T_NATIVE_INT64, H5T_STD_I64LE);
  put_fixed(f, "matrix/barcodes", {"AAA", "CCC"});
  for (const char* name : {"matrix/features/name", "matrix/features/id", "matrix/features/feature_type"})
    put_fixed(f, name, {"G1", "G2", "G3"});
  return path;
}

TEST(TenxH5, TinyFileTransposes) {
  const std::string dir = bmfm::test::temp_dir("tenx");
  // cell 0: gene 2 -> 4; cell 1: gene 0 -> 5, gene 1 -> 6
  auto ad = bmfm::io::read_tenx_h5(write_tiny(dir, {0, 1, 3}, {2, 0, 1}));
  EXPECT_EQ(ad.X.n_rows, 2);
  EXPECT_EQ(ad.X.n_cols, 3);
  EXPECT_EQ(bmfm::test::value_at(ad.X, 0, 2), 4.0f);
  EXPECT_EQ(bmfm::test::value_at(ad.X, 1, 0), 5.0f);
  EXPECT_EQ(bmfm::test::value_at(ad.X, 1, 1), 6.0f);
  EXPECT_EQ(ad.obs.index, (std::vector<std::string>{"AAA", "CCC"}));
  EXPECT_EQ(ad.var.index, (std::vector<std::string>{"G1", "G2", "G3"}));
  EXPECT_EQ(ad.var.find("genome"), nullptr);  // optional in the format
}

TEST(TenxH5Corrupt, BadIndicesAndIndptr) {
  const std::string dir = bmfm::test::temp_dir("tenx_bad");
  auto expect_error = [](const std::string& path, const std::string& needle) {
    try {
      bmfm::io::read_tenx_h5(path);
      ADD_FAILURE() << "expected FormatError mentioning " << needle;
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  };
  expect_error(write_tiny(dir, {0, 1, 3}, {2, 7, 1}), "feature index 7");
  expect_error(write_tiny(dir, {0, 2, 1}, {2, 0, 1}), "not monotone");
  expect_error(write_tiny(dir, {0, 3}, {2, 0, 1}), "n_barcodes + 1");
  expect_error(write_tiny(dir, {0, 1, 2}, {2, 0, 1}), "indptr ends at 2");
  expect_error("/nonexistent/x.h5", "no such file");
}

}  // namespace

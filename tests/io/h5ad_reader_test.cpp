// H5adReader against the real shared data files, with expected values from
// anndata/h5py (tests/io/make_expected.py; see real_data_expected.h), plus
// row-range reads checked against full reads.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <thread>

#include "bmfm/io/h5ad.h"
#include "bmfm/io/tenx_h5.h"
#include "io_test_util.h"
#include "real_data_expected.h"
#include "test_util.h"

namespace fs = std::filesystem;
using bmfm::io::Column;
using bmfm::io::CsrMatrix;
using bmfm::io::H5adReader;
using bmfm::io::MatrixInfo;
using bmfm::test::data_path;
using bmfm::test::ExpectedFile;

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

class RealFile : public ::testing::TestWithParam<ExpectedFile> {};

TEST_P(RealFile, MatchesAnndata) {
  const ExpectedFile& e = GetParam();
  BMFM_REQUIRE_DATA(e.file);
  bmfm::io::AnnData ad = ends_with(e.file, ".h5") ? bmfm::io::read_tenx_h5(data_path(e.file))
                                                   : H5adReader(data_path(e.file)).read_all();
  const CsrMatrix& X = ad.X;
  ASSERT_EQ(X.n_rows, e.n_obs);
  ASSERT_EQ(X.n_cols, e.n_vars);
  EXPECT_EQ(X.nnz(), e.nnz);
  EXPECT_NO_THROW(X.validate(e.file));
  EXPECT_NEAR(bmfm::test::sum_of(X), e.sum, 1e-6 * std::max(1.0, std::abs(e.sum)));
  ASSERT_FALSE(e.cells.empty());
  const auto& first = e.cells.front();
  EXPECT_EQ(X.indices[static_cast<size_t>(X.indptr[static_cast<size_t>(first.row)])], first.col)
      << "first stored column of row " << first.row;
  for (const auto& c : e.cells) EXPECT_EQ(bmfm::test::value_at(X, c.row, c.col), c.value) << "X[" << c.row << ", " << c.col << "]";

  ASSERT_EQ(ad.obs.n_rows(), e.n_obs);
  ASSERT_EQ(ad.var.n_rows(), e.n_vars);
  std::vector<std::string> names;
  for (const auto& c : ad.obs.columns) {
    names.push_back(c.name);
    EXPECT_EQ(c.size(), e.n_obs) << c.name;
  }
  EXPECT_EQ(names, e.obs_columns);
  if (!e.category_column.empty()) {
    const Column& c = ad.obs.at(e.category_column);
    ASSERT_EQ(c.kind, Column::Kind::Categorical);
    EXPECT_EQ(c.categories, e.categories);
    EXPECT_EQ(bmfm::test::category_counts(c), e.category_counts);
  }
  EXPECT_EQ(std::vector<std::string>(ad.obs.index.begin(), ad.obs.index.begin() + 2), e.obs_head);
  EXPECT_EQ(std::vector<std::string>(ad.var.index.begin(), ad.var.index.begin() + 3), e.var_head);
}

std::string param_name(const ::testing::TestParamInfo<ExpectedFile>& info) {
  std::string n = info.param.file;
  for (auto& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(SharedData, RealFile, ::testing::ValuesIn(bmfm::test::expected_files()), param_name);

// Every .h5ad / .h5 in the data folder must have a row in the table.
TEST(RealFiles, EveryDataFileHasExpectations) {
  if (!fs::is_directory(bmfm::test::data_dir())) GTEST_SKIP() << "no shared data folder";
  std::vector<std::string> known;
  for (const auto& e : bmfm::test::expected_files()) known.push_back(e.file);
  for (const auto& entry : fs::directory_iterator(bmfm::test::data_dir())) {
    const std::string name = entry.path().filename().string();
    if (ends_with(name, ".h5ad") || ends_with(name, ".h5")) {
      EXPECT_NE(std::find(known.begin(), known.end(), name), known.end()) << name << " has no expected values";
    }
  }
}

// ---- per-file details (values from `make_expected.py --extras`) ------------------

TEST(H5adReader, MatrixInfoReportsEncodingDtypeCompression) {
  BMFM_REQUIRE_DATA("scvi_pbmc_5k_protein_v3.h5ad");
  BMFM_REQUIRE_DATA("symphony_pbmc_3batch_1500.h5ad");
  BMFM_REQUIRE_DATA("scanpy_pbmc68k_reduced_legacy.h5ad");
  MatrixInfo lzf = H5adReader(data_path("scvi_pbmc_5k_protein_v3.h5ad")).matrix_info();
  EXPECT_EQ(lzf.encoding, MatrixInfo::Encoding::Dense);
  EXPECT_EQ(lzf.dtype, "float32");
  EXPECT_EQ(lzf.n_rows, 200);
  EXPECT_EQ(lzf.n_cols, 16581);
  EXPECT_EQ(lzf.nnz, 200 * 16581);
  EXPECT_EQ(lzf.compression, "lzf");

  H5adReader sym(data_path("symphony_pbmc_3batch_1500.h5ad"));
  EXPECT_EQ(sym.layer_names(), std::vector<std::string>{"counts"});
  MatrixInfo counts = sym.matrix_info("layers/counts");
  EXPECT_EQ(counts.encoding, MatrixInfo::Encoding::Csr);
  EXPECT_EQ(counts.nnz, 305064);
  EXPECT_EQ(counts.compression, "gzip");
  EXPECT_FALSE(sym.has_raw());
  EXPECT_TRUE(sym.has_matrix("layers/counts"));
  EXPECT_FALSE(sym.has_matrix("layers/nope"));

  MatrixInfo raw = H5adReader(data_path("scanpy_pbmc68k_reduced_legacy.h5ad")).matrix_info("raw/X");
  EXPECT_EQ(raw.encoding, MatrixInfo::Encoding::Csr);
  EXPECT_EQ(raw.nnz, 174400);
  EXPECT_STREQ(bmfm::io::to_string(raw.encoding), "csr");
}

TEST(H5adReader, Lzf07FormatVarAndObsm) {
  BMFM_REQUIRE_DATA("scvi_pbmc_5k_protein_v3.h5ad");
  H5adReader r(data_path("scvi_pbmc_5k_protein_v3.h5ad"));
  auto var = r.read_var();
  const Column& enc = var.at("encode");  // 0.7: codes + __categories/encode via object reference
  ASSERT_EQ(enc.kind, Column::Kind::Categorical);
  EXPECT_EQ(enc.categories, (std::vector<std::string>{"CD3G", "CD4", "CD8A", "CD14", "CD19", "FCGR3A", "FUT4", "IL2RA",
                                                      "IL7R", "NCAM1", "None", "PDCD1", "PTPRC", "TIGIT"}));
  EXPECT_EQ(bmfm::test::category_counts(enc), (std::vector<int64_t>{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 16568, 1, 1, 1}));
  const Column& hv = var.at("highly_variable");
  ASSERT_EQ(hv.kind, Column::Kind::Boolean);
  EXPECT_EQ(std::count(hv.boolean.begin(), hv.boolean.end(), 1), 4000);
  const Column& hve = var.at("hvg_encode");
  EXPECT_EQ(std::count(hve.boolean.begin(), hve.boolean.end(), 1), 4001);
  EXPECT_EQ(var.at("n_cells").integer[0], 26);
  EXPECT_EQ(var.at("n_cells").integer[2], 8);
  EXPECT_EQ(r.read_obs().at("n_genes").integer[1], 1255);

  EXPECT_EQ(r.obsm_keys(), std::vector<std::string>{"protein_expression"});
  auto pe = r.read_obsm("protein_expression");  // int64, LZF
  EXPECT_EQ(pe.n_rows, 200);
  EXPECT_EQ(pe.n_cols, 29);
  double s = 0;
  for (float v : pe.data) s += v;
  EXPECT_DOUBLE_EQ(s, 628093.0);
  EXPECT_EQ(pe.at(0, 0), 25.0f);
  EXPECT_EQ(pe.at(0, 1), 164.0f);
  EXPECT_EQ(pe.at(0, 2), 16.0f);
}

TEST(H5adReader, LegacyCompoundLayout) {
  BMFM_REQUIRE_DATA("scanpy_pbmc68k_reduced_legacy.h5ad");
  H5adReader r(data_path("scanpy_pbmc68k_reduced_legacy.h5ad"));
  auto obs = r.read_obs();
  EXPECT_EQ(obs.at("louvain").categories,
            (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}));
  EXPECT_EQ(obs.at("phase").categories, (std::vector<std::string>{"G1", "G2M", "S"}));
  EXPECT_EQ(obs.at("n_genes").integer[0], 1003);
  EXPECT_EQ(obs.at("n_genes").integer[2], 1228);
  EXPECT_EQ(static_cast<float>(obs.at("percent_mito").numeric[0]), 0.023856081068515778f);
  auto var = r.read_var();
  std::vector<std::string> var_cols;
  for (const auto& c : var.columns) var_cols.push_back(c.name);
  EXPECT_EQ(var_cols, (std::vector<std::string>{"n_counts", "means", "dispersions", "dispersions_norm", "highly_variable"}));
  const Column& hv = var.at("highly_variable");  // bool enum inside a compound
  ASSERT_EQ(hv.kind, Column::Kind::Boolean);
  EXPECT_EQ(std::count(hv.boolean.begin(), hv.boolean.end(), 1), 309);

  ASSERT_TRUE(r.has_raw());  // raw.X
  CsrMatrix raw = r.read_matrix("raw/X");
  EXPECT_EQ(raw.n_rows, 700);
  EXPECT_EQ(raw.n_cols, 765);
  EXPECT_EQ(raw.nnz(), 174400);
  EXPECT_NEAR(bmfm::test::sum_of(raw), 319044.23824107647, 1e-6 * 319044.2);
  auto raw_var = r.read_raw_var();
  EXPECT_EQ(std::vector<std::string>(raw_var.index.begin(), raw_var.index.begin() + 3),
            (std::vector<std::string>{"HES4", "TNFRSF4", "SSU72"}));

  EXPECT_EQ(r.obsm_keys(), (std::vector<std::string>{"X_pca", "X_umap"}));  // fields of a compound obsm
  auto pca = r.read_obsm("X_pca");
  EXPECT_EQ(pca.n_rows, 700);
  EXPECT_EQ(pca.n_cols, 50);
  EXPECT_EQ(pca.at(0, 0), -7.939618110656738f);
  auto umap = r.read_obsm("X_umap");
  EXPECT_EQ(umap.n_cols, 2);
  EXPECT_EQ(umap.at(1, 1), 7.999948978424072f);
}

TEST(H5adReader, DenseXWithRawAndObsm) {
  BMFM_REQUIRE_DATA("scanpy_pbmc68k_reduced.h5ad");
  H5adReader r(data_path("scanpy_pbmc68k_reduced.h5ad"));
  EXPECT_EQ(r.matrix_info().encoding, MatrixInfo::Encoding::Dense);
  CsrMatrix raw = r.read_matrix("raw/X");
  EXPECT_EQ(raw.nnz(), 174400);
  EXPECT_NEAR(bmfm::test::sum_of(raw), 319044.23824107647, 1e-6 * 319044.2);
  EXPECT_EQ(raw.indices[0], 764);  // file order kept: row 0 starts at column 764
  EXPECT_EQ(raw.data[0], 2.177000045776367f);
  auto obsm = r.obsm_keys();
  EXPECT_EQ(obsm, (std::vector<std::string>{"X_pca", "X_umap"}));
  EXPECT_EQ(r.read_obsm("X_pca").at(0, 0), -7.939618110656738f);
  EXPECT_EQ(r.read_obsm("X_umap").at(0, 1), 8.576416969299316f);  // float64 on disk
  auto var = r.read_var();
  EXPECT_EQ(var.index_name, "index");
  const Column& hv = var.at("highly_variable");
  EXPECT_EQ(std::count(hv.boolean.begin(), hv.boolean.end(), 1), 309);
  EXPECT_EQ(r.read_obs().index_name, "index");
  auto all = r.read_all();
  EXPECT_EQ(all.obsm.size(), 2u);
  ASSERT_TRUE(all.raw_X.has_value());
  ASSERT_TRUE(all.raw_var.has_value());
  EXPECT_EQ(all.raw_var->n_rows(), 765);
}

TEST(H5adReader, DenseLayerAndCategoricalCounts) {
  BMFM_REQUIRE_DATA("scanpy_pbmc68k_reduced_counts.h5ad");
  H5adReader r(data_path("scanpy_pbmc68k_reduced_counts.h5ad"));
  MatrixInfo info = r.matrix_info("layers/scaled");
  EXPECT_EQ(info.encoding, MatrixInfo::Encoding::Dense);
  CsrMatrix scaled = r.read_matrix("layers/scaled");
  EXPECT_EQ(scaled.nnz(), 535433);
  EXPECT_NEAR(bmfm::test::sum_of(scaled), -243.681057988666, 1e-6 * 243.68);
  EXPECT_EQ(bmfm::test::value_at(scaled, 1, 2), 0.7950000166893005f);
  const auto obs = r.read_obs();
  const Column& phase = obs.at("phase");
  EXPECT_EQ(phase.categories, (std::vector<std::string>{"G1", "G2M", "S"}));
  EXPECT_EQ(bmfm::test::category_counts(phase), (std::vector<int64_t>{501, 17, 182}));
}

TEST(H5adReader, CountsLayerAndGeneIds) {
  BMFM_REQUIRE_DATA("symphony_pbmc_3batch_1500.h5ad");
  BMFM_REQUIRE_DATA("cellbench_lung_celllines_5batch.h5ad");
  BMFM_REQUIRE_DATA("bmfm_cellxgene_pretrain.h5ad");
  H5adReader sym(data_path("symphony_pbmc_3batch_1500.h5ad"));
  CsrMatrix counts = sym.read_matrix("layers/counts");
  EXPECT_EQ(counts.nnz(), 305064);
  EXPECT_DOUBLE_EQ(bmfm::test::sum_of(counts), 1845998.0);
  EXPECT_NO_THROW(bmfm::io::require_counts(counts, "layers/counts"));
  EXPECT_THROW(bmfm::io::require_counts(sym.read_matrix("X"), "X"), bmfm::io::FormatError);  // lognorm

  H5adReader cb(data_path("cellbench_lung_celllines_5batch.h5ad"));
  auto var = cb.read_var();
  auto symbols = bmfm::io::gene_ids(var, "gene_symbol");  // a categorical column
  EXPECT_EQ(std::vector<std::string>(symbols.begin(), symbols.begin() + 3),
            (std::vector<std::string>{"TSPAN6", "DPM1", "SCYL3"}));
  auto ensembl = bmfm::io::gene_ids(var);
  EXPECT_EQ(ensembl[1], "ENSG00000000419");
  EXPECT_EQ(bmfm::io::gene_ids(var, "gene_ids")[2], "ENSG00000000457");
  EXPECT_THROW(bmfm::io::gene_ids(var, "feature_name"), bmfm::io::FormatError);

  auto cxg = H5adReader(data_path("bmfm_cellxgene_pretrain.h5ad")).read_var();
  EXPECT_EQ(cxg.index_name, "feature_name");
  EXPECT_EQ(bmfm::io::gene_ids(cxg, "feature_name")[0], "A1BG");  // the index, by its name
}

TEST(H5adReader, NumericObsColumns) {
  BMFM_REQUIRE_DATA("bmfm_sciplex3.h5ad");
  auto obs = H5adReader(data_path("bmfm_sciplex3.h5ad")).read_obs();
  const Column& dose = obs.at("dose");
  EXPECT_EQ(dose.kind, Column::Kind::Numeric);
  EXPECT_EQ(dose.dtype, "float64");
  EXPECT_EQ(dose.numeric[0], 100.0);
  EXPECT_EQ(dose.numeric[2], 10000.0);
  const Column& control = obs.at("control");
  EXPECT_EQ(control.kind, Column::Kind::Integer);
  int64_t total = 0;
  for (auto v : control.integer) total += v;
  EXPECT_EQ(total, 3);
  EXPECT_EQ(obs.at("n_counts").dtype, "float32");
  EXPECT_EQ(static_cast<float>(obs.at("n_counts").numeric[0]), 659.0f);
}

// ---- row ranges -----------------------------------------------------------------

void check_row_ranges(const H5adReader& r, const std::string& key) {
  const CsrMatrix full = r.read_matrix(key);
  const int64_t n = full.n_rows;
  std::vector<std::pair<int64_t, int64_t>> ranges = {{0, n}, {0, 1}, {n - 1, n}, {n / 2, n / 2}, {n / 3, 2 * n / 3}, {1, n}};
  std::mt19937 rng(7);
  for (int i = 0; i < 6; ++i) {
    int64_t a = std::uniform_int_distribution<int64_t>(0, n)(rng), b = std::uniform_int_distribution<int64_t>(0, n)(rng);
    ranges.emplace_back(std::min(a, b), std::max(a, b));
  }
  for (auto [b, e] : ranges) {
    CsrMatrix part = r.read_matrix(key, b, e);
    EXPECT_NO_THROW(part.validate("slice"));
    EXPECT_TRUE(bmfm::test::same_matrix(part, bmfm::test::slice_rows(full, b, e)))
        << r.path() << " " << key << " rows [" << b << ", " << e << ")";
  }
  EXPECT_THROW(r.read_matrix(key, 2, 1), std::out_of_range);
  EXPECT_THROW(r.read_matrix(key, 0, n + 1), std::out_of_range);
}

TEST(H5adReaderRows, CsrRowRangesEqualFullRead) {
  BMFM_REQUIRE_DATA("scanpy_10x_mousebrain10k_1000genes.h5ad");
  check_row_ranges(H5adReader(data_path("scanpy_10x_mousebrain10k_1000genes.h5ad")), "X");
}

TEST(H5adReaderRows, DenseRowRangesEqualFullRead) {
  BMFM_REQUIRE_DATA("scanpy_pbmc68k_reduced_counts.h5ad");
  H5adReader r(data_path("scanpy_pbmc68k_reduced_counts.h5ad"));
  check_row_ranges(r, "layers/scaled");
  check_row_ranges(r, "X");
}

TEST(H5adReaderRows, LzfDenseRowRangesEqualFullRead) {
  BMFM_REQUIRE_DATA("scvi_pbmc_5k_protein_v3.h5ad");
  check_row_ranges(H5adReader(data_path("scvi_pbmc_5k_protein_v3.h5ad")), "X");
}

TEST(H5adReaderRows, LegacyRawRowRangesEqualFullRead) {
  BMFM_REQUIRE_DATA("scanpy_pbmc68k_reduced_legacy.h5ad");
  check_row_ranges(H5adReader(data_path("scanpy_pbmc68k_reduced_legacy.h5ad")), "raw/X");
}

// Loader threads share one reader and read disjoint row blocks.
TEST(H5adReaderRows, ConcurrentRowReadsFromOneReader) {
  BMFM_REQUIRE_DATA("scanpy_10x_mousebrain10k_1000genes.h5ad");
  const H5adReader r(data_path("scanpy_10x_mousebrain10k_1000genes.h5ad"));
  const CsrMatrix full = r.read_matrix();
  const int n_threads = 4;
  std::vector<int> mismatches(n_threads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < n_threads; ++t)
    threads.emplace_back([&, t] {
      for (int64_t b = 250 * t; b < full.n_rows; b += 250 * n_threads) {
        const int64_t e = std::min<int64_t>(full.n_rows, b + 250);
        if (!bmfm::test::same_matrix(r.read_matrix("X", b, e), bmfm::test::slice_rows(full, b, e))) ++mismatches[t];
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches, std::vector<int>(n_threads, 0));
}

// A CSC X (written here with the HDF5 C API from zheng68k's CSR X) reads as
// the same CSR matrix, whole and by row ranges.
TEST(H5adReaderRows, CscEqualsCsr) {
  BMFM_REQUIRE_DATA("bmfm_zheng68k.h5ad");
  const CsrMatrix csr = H5adReader(data_path("bmfm_zheng68k.h5ad")).read_matrix();
  // Transpose to CSC with a counting sort; entries within a column by row.
  std::vector<int64_t> colptr(static_cast<size_t>(csr.n_cols) + 1, 0);
  for (int32_t c : csr.indices) ++colptr[static_cast<size_t>(c) + 1];
  for (size_t i = 1; i < colptr.size(); ++i) colptr[i] += colptr[i - 1];
  std::vector<int64_t> rows(csr.indices.size());
  std::vector<double> vals(csr.indices.size());  // float64 on disk: conversion is exercised too
  std::vector<int64_t> next(colptr.begin(), colptr.end() - 1);
  for (int64_t r = 0; r < csr.n_rows; ++r)
    for (int64_t k = csr.indptr[static_cast<size_t>(r)]; k < csr.indptr[static_cast<size_t>(r) + 1]; ++k) {
      auto slot = static_cast<size_t>(next[static_cast<size_t>(csr.indices[static_cast<size_t>(k)])]++);
      rows[slot] = r;
      vals[slot] = csr.data[static_cast<size_t>(k)];
    }
  const std::string path = bmfm::test::temp_dir("csc") + "/csc.h5ad";
  {
    hid_t fid = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(fid, 0);
    H5Fclose(fid);
    bmfm::test::H5Edit f(path);
    ASSERT_TRUE(f.group("X"));
    ASSERT_TRUE(f.set_attr("X", "encoding-type", "csc_matrix"));
    ASSERT_TRUE(f.set_attr("X", "shape", std::vector<int64_t>{csr.n_rows, csr.n_cols}));
    ASSERT_TRUE(f.put("X/data", vals, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE));
    ASSERT_TRUE(f.put("X/indices", rows, H5T_NATIVE_INT64, H5T_STD_I64LE));
    ASSERT_TRUE(f.put("X/indptr", colptr, H5T_NATIVE_INT64, H5T_STD_U32LE));
  }
  H5adReader r(path);
  MatrixInfo info = r.matrix_info();
  EXPECT_EQ(info.encoding, MatrixInfo::Encoding::Csc);
  EXPECT_EQ(info.dtype, "float64");
  // The source rows hold sorted columns, so the CSC->CSR result is identical.
  EXPECT_TRUE(bmfm::test::same_matrix(r.read_matrix(), csr));
  check_row_ranges(r, "X");
  EXPECT_EQ(r.read_obs().index[3], "3");  // no obs table: anndata's default index
}

// X stored as integers of several widths (including unsigned) reads as float32.
TEST(H5adReader, IntegerDtypesReadAsFloat) {
  const std::string dir = bmfm::test::temp_dir("dtypes");
  struct Case {
    const char* name;
    hid_t file_type;
  };
  for (Case c : {Case{"uint16", H5T_STD_U16LE}, Case{"int8", H5T_STD_I8LE}, Case{"uint64", H5T_STD_U64BE},
                 Case{"int32", H5T_STD_I32BE}, Case{"float64", H5T_IEEE_F64BE}}) {
    const std::string path = dir + "/" + c.name + ".h5ad";
    hid_t fid = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(fid, 0);
    H5Fclose(fid);
    {
      bmfm::test::H5Edit f(path);
      ASSERT_TRUE(f.group("X"));
      ASSERT_TRUE(f.set_attr("X", "encoding-type", "csr_matrix"));
      ASSERT_TRUE(f.set_attr("X", "shape", std::vector<int64_t>{2, 3}));
      ASSERT_TRUE(f.put("X/data", std::vector<int64_t>{7, 100, 3}, H5T_NATIVE_INT64, c.file_type));
      ASSERT_TRUE(f.put("X/indices", std::vector<int32_t>{2, 0, 1}, H5T_NATIVE_INT32, H5T_STD_U8LE));
      ASSERT_TRUE(f.put("X/indptr", std::vector<int64_t>{0, 1, 3}, H5T_NATIVE_INT64, H5T_STD_I32LE));
      ASSERT_TRUE(f.group("layers"));
      ASSERT_TRUE(f.put2d("layers/dense", std::vector<int64_t>{0, 0, 7, 100, 3, 0}, 2, 3, H5T_NATIVE_INT64, c.file_type));
    }
    H5adReader r(path);
    EXPECT_EQ(r.matrix_info().dtype, c.name);
    CsrMatrix X = r.read_matrix();
    EXPECT_EQ(X.data, (std::vector<float>{7, 100, 3})) << c.name;
    EXPECT_EQ(X.indices, (std::vector<int32_t>{2, 0, 1}));
    EXPECT_TRUE(bmfm::test::same_matrix(r.read_matrix("layers/dense"), X)) << c.name;
  }
}

}  // namespace

TEST(H5adReader, UnreadEntriesListsUnsObspVarmVarp) {
  // Expected from /usr/bin/python3 + h5py: [g + "/" + k for g in ("uns", "obsp", "varm", "varp")
  // if g in f for k in f[g].keys()] (h5py lists names in sorted order).
  BMFM_REQUIRE_DATA("scanpy_pbmc68k_reduced.h5ad");
  bmfm::io::H5adReader r(bmfm::test::data_path("scanpy_pbmc68k_reduced.h5ad"));
  EXPECT_EQ(r.unread_entries(),
            (std::vector<std::string>{"uns/bulk_labels_colors", "uns/louvain", "uns/louvain_colors", "uns/neighbors",
                                      "uns/pca", "uns/rank_genes_groups", "obsp/connectivities", "obsp/distances",
                                      "varm/PCs"}));
  BMFM_REQUIRE_DATA("bmfm_zheng68k.h5ad");
  EXPECT_TRUE(bmfm::io::H5adReader(bmfm::test::data_path("bmfm_zheng68k.h5ad")).unread_entries().empty());
}

// write_h5ad: round trips through our reader, and (when Debian's python3 has
// anndata) through anndata itself, plus anndata-written files through our reader.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <sstream>

#include "bmfm/io/h5ad.h"
#include "io_test_util.h"
#include "real_data_expected.h"
#include "test_util.h"

namespace fs = std::filesystem;
using bmfm::io::AnnData;
using bmfm::io::Column;
using bmfm::io::DataFrame;
using bmfm::io::FormatError;
using bmfm::io::H5adReader;
using bmfm::io::H5adWriteOptions;

namespace {

const std::string kSource = BMFM_TEST_SOURCE_DIR;

void expect_same_column(const Column& a, const Column& b) {
  SCOPED_TRACE(a.name);
  EXPECT_EQ(a.name, b.name);
  ASSERT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.dtype, b.dtype);
  EXPECT_EQ(a.integer, b.integer);
  EXPECT_EQ(a.boolean, b.boolean);
  EXPECT_EQ(a.strings, b.strings);
  EXPECT_EQ(a.codes, b.codes);
  EXPECT_EQ(a.categories, b.categories);
  EXPECT_EQ(a.ordered, b.ordered);
  // A nullable column always carries a mask on disk; none missing == all zeros.
  if (a.mask.empty() != b.mask.empty()) {
    const auto& m = a.mask.empty() ? b.mask : a.mask;
    EXPECT_EQ(std::count(m.begin(), m.end(), 1), 0);
  } else {
    EXPECT_EQ(a.mask, b.mask);
  }
  ASSERT_EQ(a.numeric.size(), b.numeric.size());
  for (size_t i = 0; i < a.numeric.size(); ++i) {
    if (std::isnan(a.numeric[i])) {
      EXPECT_TRUE(std::isnan(b.numeric[i]));
    } else if (a.dtype == "float32") {
      EXPECT_EQ(static_cast<float>(a.numeric[i]), static_cast<float>(b.numeric[i]));
    } else {
      EXPECT_EQ(a.numeric[i], b.numeric[i]);
    }
  }
}

void expect_same_frame(const DataFrame& a, const DataFrame& b) {
  EXPECT_EQ(a.index_name.empty() ? "_index" : a.index_name, b.index_name);
  EXPECT_EQ(a.index, b.index);
  ASSERT_EQ(a.columns.size(), b.columns.size());
  for (size_t i = 0; i < a.columns.size(); ++i) expect_same_column(a.columns[i], b.columns[i]);
}

void expect_same(const AnnData& a, const AnnData& b) {
  EXPECT_TRUE(bmfm::test::same_matrix(a.X, b.X));
  expect_same_frame(a.obs, b.obs);
  expect_same_frame(a.var, b.var);
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (const auto& [k, m] : a.layers) EXPECT_TRUE(bmfm::test::same_matrix(m, b.layers.at(k))) << k;
  ASSERT_EQ(a.obsm.size(), b.obsm.size());
  for (const auto& [k, m] : a.obsm) {
    EXPECT_EQ(m.n_rows, b.obsm.at(k).n_rows);
    EXPECT_EQ(m.n_cols, b.obsm.at(k).n_cols);
    EXPECT_EQ(m.data, b.obsm.at(k).data) << k;
  }
  ASSERT_EQ(a.raw_X.has_value(), b.raw_X.has_value());
  if (a.raw_X) {
    EXPECT_TRUE(bmfm::test::same_matrix(*a.raw_X, *b.raw_X));
  }
  if (a.raw_var) expect_same_frame(*a.raw_var, *b.raw_var);
}

std::string fmt_double(double v) {
  std::ostringstream out;
  out << std::setprecision(17) << v;
  return out.str();
}

// Runs tests/io/<script> with Debian's python3: its exit status, or -1 when
// python3 with anndata is unavailable.
int run_python(const std::string& script, const std::string& args) {
  const std::string py = bmfm::test::python3_with("anndata");
  if (py.empty()) return -1;
  const std::string cmd = py + " " + kSource + "/tests/io/" + script + " " + args + " 2>&1";
  return std::system(cmd.c_str());
}

TEST(H5adWriter, RoundTripThroughOurReader) {
  const AnnData ad = bmfm::test::small_anndata();
  const std::string dir = bmfm::test::temp_dir("writer");
  for (auto c : {H5adWriteOptions::Compression::Gzip, H5adWriteOptions::Compression::Lzf,
                 H5adWriteOptions::Compression::None}) {
    const std::string path = dir + "/small" + std::to_string(static_cast<int>(c)) + ".h5ad";
    H5adWriteOptions opts;
    opts.compression = c;
    bmfm::io::write_h5ad(path, ad, opts);
    H5adReader r(path);
    SCOPED_TRACE(path);
    expect_same(ad, r.read_all());
    auto info = r.matrix_info();
    EXPECT_EQ(info.encoding, bmfm::io::MatrixInfo::Encoding::Csr);
    EXPECT_EQ(info.dtype, "float32");
    EXPECT_EQ(info.compression, c == H5adWriteOptions::Compression::Gzip  ? "gzip"
                                : c == H5adWriteOptions::Compression::Lzf ? "lzf"
                                                                          : "");
    EXPECT_FALSE(fs::exists(path + ".tmp"));
  }
}

TEST(H5adWriter, AnndataReadsWhatWeWrite) {
  if (bmfm::test::python3_with("anndata").empty()) GTEST_SKIP() << "/usr/bin/python3 with anndata not available";
  const std::string dir = bmfm::test::temp_dir("writer_py");
  for (auto c : {H5adWriteOptions::Compression::Gzip, H5adWriteOptions::Compression::Lzf}) {
    const std::string path = dir + "/small.h5ad";
    H5adWriteOptions opts;
    opts.compression = c;  // LZF: h5py's own filter decodes our compressor's output
    bmfm::io::write_h5ad(path, bmfm::test::small_anndata(), opts);
    EXPECT_EQ(run_python("check_written_h5ad.py", path + " small"), 0) << "compression " << static_cast<int>(c);
  }
}

// Real files: read, write, read again (ours and anndata's view agree).
TEST(H5adWriter, RealDataRoundTrip) {
  const std::string dir = bmfm::test::temp_dir("writer_real");
  for (const char* name : {"scanpy_pbmc68k_reduced.h5ad", "bmfm_sciplex3.h5ad", "scanpy_pbmc68k_reduced_legacy.h5ad",
                           "scvi_pbmc_5k_protein_v3.h5ad"}) {
    if (!bmfm::test::has_data(name)) continue;
    SCOPED_TRACE(name);
    const AnnData in = H5adReader(bmfm::test::data_path(name)).read_all();
    const std::string out = dir + "/" + name;
    bmfm::io::write_h5ad(out, in);
    expect_same(in, H5adReader(out).read_all());
    const auto& table = bmfm::test::expected_files();
    auto e = std::find_if(table.begin(), table.end(), [&](const auto& x) { return x.file == name; });
    ASSERT_NE(e, table.end());
    int rc = run_python("check_written_h5ad.py", out + " real " + std::to_string(e->n_obs) + " " +
                                                     std::to_string(e->n_vars) + " " + fmt_double(e->sum) + " " +
                                                     (e->category_column.empty() ? "" : e->category_column));
    if (rc != -1) {
      EXPECT_EQ(rc, 0);
    }
  }
}

TEST(H5adWriter, ReadsAnndataWrittenFile) {
  const std::string path = bmfm::test::temp_dir("anndata_written") + "/fixture.h5ad";
  int rc = run_python("write_anndata_fixture.py", path);
  if (rc == -1) GTEST_SKIP() << "/usr/bin/python3 with anndata not available";
  ASSERT_EQ(rc, 0);
  H5adReader r(path);
  EXPECT_EQ(r.matrix_info().encoding, bmfm::io::MatrixInfo::Encoding::Csc);
  EXPECT_EQ(r.matrix_info().dtype, "int64");
  auto X = r.read_matrix();
  // [[0 1 0] [2 0 3] [0 0 0] [4 5 6]]
  EXPECT_EQ(X.indptr, (std::vector<int64_t>{0, 1, 3, 3, 6}));
  EXPECT_EQ(X.indices, (std::vector<int32_t>{1, 0, 2, 0, 1, 2}));
  EXPECT_EQ(X.data, (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_TRUE(bmfm::test::same_matrix(r.read_matrix("X", 1, 3), bmfm::test::slice_rows(X, 1, 3)));
  auto layer = r.read_matrix("layers/csc");
  EXPECT_EQ(bmfm::test::value_at(layer, 3, 2), 11.0f);
  EXPECT_EQ(bmfm::test::value_at(layer, 0, 0), 0.0f);

  auto obs = r.read_obs();
  EXPECT_EQ(obs.index_name, "barcode");
  EXPECT_EQ(obs.index[3], "cell3");
  const Column& label = obs.at("label");
  EXPECT_EQ(label.categories, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(label.codes, (std::vector<int32_t>{0, -1, 1, 0}));
  const Column& cluster = obs.at("cluster");  // numeric categories become text
  EXPECT_EQ(cluster.categories, (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(cluster.text(0), "3");
  const Column& n = obs.at("n");
  EXPECT_EQ(n.kind, Column::Kind::Integer);
  EXPECT_EQ(n.dtype, "Int32");
  EXPECT_EQ(n.mask, (std::vector<uint8_t>{0, 1, 0, 0}));
  EXPECT_EQ(n.integer[3], 4);
  const Column& ok = obs.at("ok");
  EXPECT_EQ(ok.kind, Column::Kind::Boolean);
  EXPECT_EQ(ok.dtype, "boolean");
  EXPECT_EQ(ok.mask, (std::vector<uint8_t>{0, 0, 1, 0}));
  EXPECT_EQ(ok.boolean[0], 1);
  EXPECT_TRUE(std::isnan(obs.at("score").numeric[2]));
  EXPECT_EQ(obs.at("flag").boolean, (std::vector<uint8_t>{1, 0, 0, 1}));
  EXPECT_EQ(r.read_obsm("X_pca").at(3, 1), 7.0f);
  EXPECT_EQ(r.read_var().at("symbol").strings[2], "C");

  // And back out through our writer: nullable columns stay nullable.
  const std::string again = path + ".again.h5ad";
  AnnData ad = r.read_all();
  bmfm::io::write_h5ad(again, ad);
  expect_same(ad, H5adReader(again).read_all());
}

TEST(H5adWriter, RejectsInconsistentInputAndKeepsOldFile) {
  const std::string dir = bmfm::test::temp_dir("writer_bad");
  const std::string path = dir + "/keep.h5ad";
  bmfm::io::write_h5ad(path, bmfm::test::small_anndata());
  const auto size = fs::file_size(path);
  auto expect_rejected = [&](AnnData ad, const std::string& needle) {
    try {
      bmfm::io::write_h5ad(path, ad);
      ADD_FAILURE() << "expected FormatError mentioning " << needle;
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
    EXPECT_EQ(fs::file_size(path), size);  // untouched
    EXPECT_FALSE(fs::exists(path + ".tmp"));
  };
  AnnData ad = bmfm::test::small_anndata();
  ad.obs.index.pop_back();
  expect_rejected(ad, "obs: has 4 rows but X (rows) has 5");
  ad = bmfm::test::small_anndata();
  ad.X.indptr[2] = 1;
  expect_rejected(ad, "indptr decreases");
  ad = bmfm::test::small_anndata();
  ad.obs.columns[0].codes[0] = 3;
  expect_rejected(ad, "code 3 at row 0");
  ad = bmfm::test::small_anndata();
  ad.obs.columns[0].categories = {"B", "B", "NK"};
  expect_rejected(ad, "not unique");
  ad = bmfm::test::small_anndata();
  ad.obs.columns[1].name = "cell_type";
  expect_rejected(ad, "duplicate column");
  ad = bmfm::test::small_anndata();
  ad.obs.columns[2].integer[0] = int64_t{1} << 40;  // dtype int32
  expect_rejected(ad, "does not fit dtype int32");
  ad = bmfm::test::small_anndata();
  ad.obsm["X_emb"].n_rows = 4;
  expect_rejected(ad, "obsm['X_emb']");
  ad = bmfm::test::small_anndata();
  ad.layers["counts"].n_cols = 5;
  expect_rejected(ad, "layers/counts");
  ad = bmfm::test::small_anndata();
  ad.raw_var->index.pop_back();
  expect_rejected(ad, "raw/var");

  // A failure after the temp file is started (here: it cannot be created
  // because a folder sits at <path>.tmp) also leaves the old file alone.
  fs::create_directory(path + ".tmp");
  try {
    bmfm::io::write_h5ad(path, bmfm::test::small_anndata());
    ADD_FAILURE() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(".tmp"), std::string::npos) << e.what();
  }
  EXPECT_EQ(fs::file_size(path), size);
  EXPECT_NO_THROW(H5adReader(path).read_all());
  EXPECT_THROW(bmfm::io::write_h5ad(dir + "/no/such/dir/x.h5ad", bmfm::test::small_anndata()), FormatError);
}

TEST(H5adWriter, EmptyAndMinimal) {
  AnnData ad;
  ad.X.n_rows = 3;
  ad.X.n_cols = 2;
  ad.X.indptr = {0, 0, 0, 0};
  ad.obs.index = {"a", "b", "c"};
  ad.var.index = {"g1", "g2"};
  const std::string path = bmfm::test::temp_dir("writer_empty") + "/empty.h5ad";
  bmfm::io::write_h5ad(path, ad);
  H5adReader r(path);
  EXPECT_EQ(r.n_obs(), 3);
  EXPECT_EQ(r.read_matrix().nnz(), 0);
  EXPECT_TRUE(r.read_obs().columns.empty());
  EXPECT_TRUE(r.obsm_keys().empty());
  EXPECT_FALSE(r.has_raw());
  int rc = run_python("check_written_h5ad.py", path + " real 3 2 0");
  if (rc != -1) {
    EXPECT_EQ(rc, 0);
  }
}

}  // namespace

// Bad input: every case must end in an io::FormatError naming the file and the
// problem, never a crash, hang or other exception. Fixtures are made here with
// write_h5ad and then damaged with the HDF5 C API (no python needed).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>

#include "bmfm/io/h5ad.h"
#include "bmfm/io/tenx_h5.h"
#include "io_test_util.h"
#include "test_util.h"

#if defined(__SANITIZE_ADDRESS__)
// HDF5 1.10.8 leaks one 56-byte block inside H5Fopen when opening certain
// damaged files fails (H5F_open -> H5G_mkroot); no handle comes back to free
// it. Suppress exactly that (see tests/io/lsan.supp); naming the frame needs
// full unwinding, since libhdf5 has no frame pointers.
extern "C" const char* __lsan_default_suppressions() { return "leak:H5G_mkroot\n"; }
extern "C" const char* __asan_default_options() { return "fast_unwind_on_malloc=0"; }
#endif

namespace fs = std::filesystem;
using bmfm::io::FormatError;
using bmfm::io::H5adReader;
using bmfm::test::H5Edit;

namespace {

// Reads everything a pipeline would touch.
void read_everything(const std::string& path) {
  H5adReader r(path);
  r.read_all();
  for (const auto& key : r.obsm_keys()) r.read_obsm(key);
  if (r.n_obs() > 0) r.read_matrix("X", r.n_obs() / 2, r.n_obs());
}

// Expects read_everything(path) to throw a FormatError whose message holds the
// path and every needle.
void expect_format_error(const std::string& path, const std::vector<std::string>& needles,
                         const std::function<void(const std::string&)>& read = read_everything) {
  try {
    read(path);
    ADD_FAILURE() << "no error reading " << path << " (expected: " << needles.front() << ")";
  } catch (const FormatError& e) {
    const std::string m = e.what();
    if (std::getenv("BMFM_TEST_VERBOSE")) std::cerr << m << "\n";
    EXPECT_NE(m.find(path), std::string::npos) << m;
    for (const auto& n : needles) EXPECT_NE(m.find(n), std::string::npos) << "missing '" << n << "' in: " << m;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type for " << path << ": " << e.what();
  }
}

class CorruptH5ad : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = bmfm::test::temp_dir("corrupt");
    path_ = dir_ + "/bad.h5ad";
    H5adWriteOptions opts;
    opts.compression = H5adWriteOptions::Compression::None;  // keeps edits simple
    bmfm::io::write_h5ad(path_, bmfm::test::small_anndata(), opts);
  }
  using H5adWriteOptions = bmfm::io::H5adWriteOptions;
  // Applies `edit` to a fresh copy of the valid fixture.
  std::string damaged(const std::function<void(H5Edit&)>& edit) {
    const std::string p = dir_ + "/case" + std::to_string(n_++) + ".h5ad";
    fs::copy_file(path_, p, fs::copy_options::overwrite_existing);
    H5Edit f(p);
    EXPECT_TRUE(f.ok());
    edit(f);
    return p;
  }
  std::string dir_, path_;
  int n_ = 0;
};

TEST_F(CorruptH5ad, FixtureIsValid) { EXPECT_NO_THROW(read_everything(path_)); }

TEST_F(CorruptH5ad, MissingFileNotHdf5EmptyDirectory) {
  expect_format_error(dir_ + "/does_not_exist.h5ad", {"no such file"});
  const std::string text = dir_ + "/notes.h5ad";
  bmfm::test::write_text(text, "cell,gene,count\n1,2,3\n");
  expect_format_error(text, {"not an HDF5 file"});
  const std::string empty = dir_ + "/empty.h5ad";
  bmfm::test::write_text(empty, "");
  expect_format_error(empty, {"not an HDF5 file"});
  expect_format_error(dir_, {"is a directory"});
}

TEST_F(CorruptH5ad, MissingX) {
  expect_format_error(damaged([](H5Edit& f) { f.remove("X"); }), {"no X matrix"});
}

TEST_F(CorruptH5ad, InconsistentShapes) {
  // obs index with 4 entries for 5 rows of X.
  expect_format_error(damaged([](H5Edit& f) {
                        f.put("obs/cell_id", std::vector<int64_t>{1, 2, 3, 4}, H5T_NATIVE_INT64, H5T_STD_I64LE);
                      }),
                      {"obs", "has 4 rows but X (rows) has 5"});
  expect_format_error(damaged([](H5Edit& f) {
                        f.put("var/_index", std::vector<int64_t>{1, 2, 3}, H5T_NATIVE_INT64, H5T_STD_I64LE);
                      }),
                      {"var", "has 3 rows but X (columns) has 4"});
  // A column shorter than the index.
  expect_format_error(damaged([](H5Edit& f) {
                        f.put("obs/n_counts", std::vector<double>{1, 2}, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE);
                      }),
                      {"obs/n_counts", "has 2 rows but the index has 5"});
  expect_format_error(damaged([](H5Edit& f) { f.set_attr("layers/counts", "shape", std::vector<int64_t>{5, 3}); }),
                      {"layers/counts", "has shape (5, 3) but X has shape (5, 4)"});
  expect_format_error(damaged([](H5Edit& f) { f.set_attr("X", "shape", std::vector<int64_t>{5, 4, 1}); }),
                      {"'shape' attribute"});
  expect_format_error(damaged([](H5Edit& f) { f.set_attr("X", "shape", std::vector<int64_t>{6, 4}); }),
                      {"X/indptr", "expected n_rows + 1 = 7"});
  expect_format_error(damaged([](H5Edit& f) {
                        f.put2d("obsm/X_emb", std::vector<float>(8, 1.0f), 4, 2, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE);
                      }),
                      {"obsm/X_emb", "has 4 rows but X has 5"});
  expect_format_error(damaged([](H5Edit& f) {
                        f.put("raw/var/_index", std::vector<int64_t>{1, 2}, H5T_NATIVE_INT64, H5T_STD_I64LE);
                      }),
                      {"raw/var", "has 2 rows but raw/X has 6 columns"});
}

TEST_F(CorruptH5ad, BadIndptr) {
  auto indptr = [&](std::vector<int64_t> v) {
    return damaged([v](H5Edit& f) { f.put("X/indptr", v, H5T_NATIVE_INT64, H5T_STD_I64LE); });
  };
  expect_format_error(indptr({0, 2, 1, 4, 5, 7}), {"X/indptr", "not monotone", "indptr[1] = 2 > indptr[2] = 1"});
  expect_format_error(indptr({0, 2, 2, 4, 5}), {"X/indptr", "has 5 entries, expected n_rows + 1 = 6"});
  expect_format_error(indptr({1, 2, 2, 4, 5, 7}), {"indptr[0] = 1, expected 0"});
  expect_format_error(indptr({0, 2, 2, 4, 5, 9}), {"indptr[5] = 9 exceeds the 7 stored values"});
  expect_format_error(indptr({0, -2, 2, 4, 5, 7}), {"X/indptr", "not monotone"});
  // A row slice sees the problem in its own part of indptr.
  expect_format_error(indptr({0, 2, 2, 4, 3, 7}), {"not monotone"},
                      [](const std::string& p) { H5adReader(p).read_matrix("X", 3, 5); });
  expect_format_error(damaged([](H5Edit& f) {
                        f.put("X/indptr", std::vector<double>{0, 2, 2, 4, 5, 7}, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE);
                      }),
                      {"X/indptr", "expected integers"});
}

TEST_F(CorruptH5ad, OutOfRangeIndices) {
  auto indices = [&](std::vector<int32_t> v) {
    return damaged([v](H5Edit& f) { f.put("X/indices", v, H5T_NATIVE_INT32, H5T_STD_I32LE); });
  };
  expect_format_error(indices({0, 2, 1, 3, 0, 2, 9}), {"X/indices", "column index 9 at position 6 is outside [0, 4)"});
  expect_format_error(indices({0, -1, 1, 3, 0, 2, 3}), {"X/indices", "column index -1"});
  expect_format_error(indices({0, 2, 1, 3, 0, 2}), {"X/indices", "has 6 entries but data has 7"});
  expect_format_error(damaged([](H5Edit& f) { f.remove("X/data"); }), {"lacks its 'data' dataset"});
  expect_format_error(damaged([](H5Edit& f) {
                        f.put("obs/cell_type/codes", std::vector<int8_t>{1, 0, 5, 2, 1}, H5T_NATIVE_INT8, H5T_STD_I8LE);
                      }),
                      {"obs/cell_type/codes", "categorical code 5 at row 2"});
}

TEST_F(CorruptH5ad, UnknownEncodings) {
  expect_format_error(damaged([](H5Edit& f) { f.set_attr("X", "encoding-type", "coo_matrix"); }),
                      {"X", "unsupported encoding-type 'coo_matrix'", "csr_matrix"});
  expect_format_error(damaged([](H5Edit& f) { f.set_attr("obs/n_counts", "encoding-type", "awkward-array"); }),
                      {"obs/n_counts", "unsupported encoding-type 'awkward-array'"});
  expect_format_error(damaged([](H5Edit& f) { f.set_attr("obs/cell_type", "encoding-type", "categorical-v9"); }),
                      {"obs/cell_type", "unsupported encoding-type 'categorical-v9'", "nullable-integer"});
  expect_format_error(damaged([](H5Edit& f) { f.set_attr("obs", "encoding-type", "awkward"); }),
                      {"obs", "expected 'dataframe'"});
  expect_format_error(damaged([](H5Edit& f) { f.remove("obs/donor"); }), {"column-order lists 'donor'"});
  expect_format_error(damaged([](H5Edit& f) { f.set_attr("obs", "_index", "barcode"); }), {"'obs/barcode'", "missing"});
  expect_format_error(damaged([](H5Edit& f) { f.set_attr("obsm/X_emb", "encoding-type", "dataframe"); }),
                      {"obsm/X_emb", "unsupported encoding-type"},
                      [](const std::string& p) { H5adReader(p).read_obsm("X_emb"); });
}

TEST_F(CorruptH5ad, NonNumericMatrix) {
  expect_format_error(damaged([](H5Edit& f) {
                        // Strings where the values should be.
                        f.remove("X/data");
                        hid_t t = H5Tcopy(H5T_C_S1);
                        H5Tset_size(t, 2);
                        hsize_t n = 7;
                        hid_t s = H5Screate_simple(1, &n, nullptr);
                        H5Dclose(H5Dcreate2(f.id(), "X/data", t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
                        H5Sclose(s);
                        H5Tclose(t);
                      }),
                      {"X/data", "expected numbers"});
}

TEST_F(CorruptH5ad, CountsRequired) {
  const H5adReader r(path_);
  const auto X = r.read_matrix("X");  // holds 4.5
  try {
    bmfm::io::require_counts(X, "X of " + path_);
    ADD_FAILURE() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(path_), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("cell row 2, gene column 3"), std::string::npos) << e.what();
  }
  // NaN and negative values stored in the file survive reading and are caught here.
  const std::string p = damaged([](H5Edit& f) {
    f.put("layers/counts/data", std::vector<float>{1, 2, 3, -4, 5, std::nanf(""), 7}, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE);
  });
  const auto counts = H5adReader(p).read_matrix("layers/counts");
  try {
    bmfm::io::require_counts(counts, "layers/counts of " + p);
    ADD_FAILURE() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("cell row 2, gene column 3 holds -4 (negative)"), std::string::npos) << e.what();
  }
  const auto tail = H5adReader(p).read_matrix("layers/counts", 3, 5);
  try {
    bmfm::io::require_counts(tail, "layers/counts", 3);
    ADD_FAILURE() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("cell row 4, gene column 2 holds nan (NaN)"), std::string::npos) << e.what();
  }
}

// A filter this process does not have: the error names file, dataset and filter.
size_t passthrough(unsigned, size_t, const unsigned[], size_t nbytes, size_t*, void**) { return nbytes; }

TEST_F(CorruptH5ad, UnavailableCompressionFilter) {
  const H5Z_filter_t id = 40000;
  const H5Z_class2_t cls = {H5Z_CLASS_T_VERS, id, 1, 1, "bmfm_test_filter", nullptr, nullptr, passthrough};
  ASSERT_GE(H5Zregister(&cls), 0);
  const std::string p = damaged([&](H5Edit& f) {
    f.remove("X/data");
    hsize_t n = 7, chunk = 7;
    hid_t s = H5Screate_simple(1, &n, nullptr);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, &chunk);
    H5Pset_filter(dcpl, id, H5Z_FLAG_MANDATORY, 0, nullptr);
    hid_t d = H5Dcreate2(f.id(), "X/data", H5T_IEEE_F32LE, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    std::vector<float> v{1, 2, 3, 4, 5, 6, 7};
    H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(s);
  });
  ASSERT_GE(H5Zunregister(id), 0);
  EXPECT_EQ(H5adReader(p).matrix_info().compression, "bmfm_test_filter");
  expect_format_error(p, {"X/data", "compression filter 'bmfm_test_filter'", "40000", "not available"});
}

// Copies of real files cut at many offsets: every read either fails with a
// FormatError naming the file or (when the cut only hits unused bytes) works.
//
// HDF5 notices most cuts at open (the superblock records the file's end). With
// `patch_eof` the recorded end is rewritten to the cut, as if the file had been
// written short, so the damage is only met while reading objects and data.
void truncate_at_offsets(const std::string& name, const std::function<void(const std::string&)>& read, int n_cuts,
                         bool patch_eof = false) {
  const std::string src = bmfm::test::data_path(name);
  const auto size = static_cast<int64_t>(fs::file_size(src));
  std::string bytes(static_cast<size_t>(size), '\0');
  std::ifstream(src, std::ios::binary).read(bytes.data(), size);
  const std::string dir = bmfm::test::temp_dir("truncated");
  std::vector<int64_t> cuts = {1, 8, 64, 512, 2048};
  for (int i = 1; i <= n_cuts; ++i) cuts.push_back(size * i / (n_cuts + 1));
  cuts.push_back(size - 1);
  int failed = 0;
  for (int64_t cut : cuts) {
    const std::string p = dir + "/cut" + std::to_string(cut) + "_" + name;
    std::string head = bytes.substr(0, static_cast<size_t>(cut));
    // Superblock version 0 (what h5py writes) keeps the end-of-file address
    // as 8 little-endian bytes at offset 40.
    if (patch_eof && cut >= 48 && bytes[8] == 0)
      for (int b = 0; b < 8; ++b) head[static_cast<size_t>(40 + b)] = static_cast<char>((cut >> (8 * b)) & 0xff);
    std::ofstream(p, std::ios::binary).write(head.data(), cut);
    try {
      read(p);
    } catch (const FormatError& e) {
      ++failed;
      if (std::getenv("BMFM_TEST_VERBOSE")) std::cerr << e.what() << "\n";
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "cut at " << cut << ": wrong exception type: " << e.what();
    }
    fs::remove(p);
  }
  EXPECT_GT(failed, static_cast<int>(cuts.size()) / 2) << "truncation should mostly be detected";
  if (std::getenv("BMFM_TEST_VERBOSE")) std::cerr << name << ": " << failed << " of " << cuts.size() << " cuts failed\n";
}

TEST(CorruptTruncated, H5adAtManyOffsets) {
  BMFM_REQUIRE_DATA("bmfm_zheng68k.h5ad");
  truncate_at_offsets("bmfm_zheng68k.h5ad", read_everything, 40);
}

TEST(CorruptTruncated, LegacyAndLzfAtManyOffsets) {
  BMFM_REQUIRE_DATA("scanpy_pbmc68k_reduced_legacy.h5ad");
  BMFM_REQUIRE_DATA("scvi_pbmc_5k_protein_v3.h5ad");
  truncate_at_offsets("scanpy_pbmc68k_reduced_legacy.h5ad", read_everything, 15);
  truncate_at_offsets("scvi_pbmc_5k_protein_v3.h5ad", read_everything, 15);
}

TEST(CorruptTruncated, ShortWrittenFilesFailWhileReading) {
  BMFM_REQUIRE_DATA("bmfm_zheng68k.h5ad");
  BMFM_REQUIRE_DATA("scvi_pbmc_5k_protein_v3.h5ad");
  BMFM_REQUIRE_DATA("scanpy_pbmc68k_reduced_legacy.h5ad");
  truncate_at_offsets("bmfm_zheng68k.h5ad", read_everything, 40, true);
  truncate_at_offsets("scvi_pbmc_5k_protein_v3.h5ad", read_everything, 25, true);
  truncate_at_offsets("scanpy_pbmc68k_reduced_legacy.h5ad", read_everything, 25, true);
}

TEST(CorruptTruncated, TenxAtManyOffsets) {
  BMFM_REQUIRE_DATA("scanpy_10x_v3_filtered_feature_bc_matrix.h5");
  auto read = [](const std::string& p) { bmfm::io::read_tenx_h5(p); };
  truncate_at_offsets("scanpy_10x_v3_filtered_feature_bc_matrix.h5", read, 20);
  truncate_at_offsets("scanpy_10x_v3_filtered_feature_bc_matrix.h5", read, 20, true);
}

// Garbage inside LZF-compressed chunks reaches our decompressor: it must fail
// cleanly (or, if the garbage happens to decode, return wrong values) — never
// write out of bounds.
TEST(CorruptLzf, DamagedChunksFailCleanly) {
  const std::string dir = bmfm::test::temp_dir("lzf_damaged");
  const std::string path = dir + "/lzf.h5ad";
  bmfm::io::AnnData ad = bmfm::test::small_anndata();
  // A compressible X so that chunks really are LZF-coded.
  ad.X.n_rows = 400;
  ad.X.n_cols = 50;
  ad.X.indptr.assign(1, 0);
  ad.X.indices.clear();
  ad.X.data.clear();
  for (int r = 0; r < 400; ++r) {
    for (int c = 0; c < 50; c += 2) {
      ad.X.indices.push_back(c);
      ad.X.data.push_back(static_cast<float>(r % 7));
    }
    ad.X.indptr.push_back(static_cast<int64_t>(ad.X.data.size()));
  }
  ad.obs = {};
  for (int r = 0; r < 400; ++r) ad.obs.index.push_back("c" + std::to_string(r));
  ad.var = {};
  for (int c = 0; c < 50; ++c) ad.var.index.push_back("g" + std::to_string(c));
  ad.layers.clear();
  ad.obsm.clear();
  ad.raw_X.reset();
  ad.raw_var.reset();
  bmfm::io::H5adWriteOptions opts;
  opts.compression = bmfm::io::H5adWriteOptions::Compression::Lzf;
  bmfm::io::write_h5ad(path, ad, opts);
  ASSERT_TRUE(bmfm::test::same_matrix(H5adReader(path).read_matrix(), ad.X));

  // Where the first chunk of X/data lies in the file.
  haddr_t addr = 0;
  hsize_t chunk_bytes = 0;
  {
    hid_t fid = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(fid, "X/data", H5P_DEFAULT);
    hsize_t offset = 0;
    unsigned mask = 0;
    hid_t space = H5Dget_space(d);
    ASSERT_GE(H5Dget_chunk_info(d, space, 0, &offset, &mask, &addr, &chunk_bytes), 0);
    H5Sclose(space);
    H5Dclose(d);
    H5Fclose(fid);
  }
  ASSERT_GT(chunk_bytes, 16u);
  std::string bytes(static_cast<size_t>(fs::file_size(path)), '\0');
  std::ifstream(path, std::ios::binary).read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  for (int variant = 0; variant < 4; ++variant) {
    std::string broken = bytes;
    for (hsize_t i = 0; i < chunk_bytes; ++i)
      if (variant == 0 || (i + static_cast<hsize_t>(variant)) % 5 == 0)
        broken[static_cast<size_t>(addr + i)] = static_cast<char>(variant == 0 ? 0xff : (i * 37 + 11));
    const std::string p = dir + "/broken" + std::to_string(variant) + ".h5ad";
    std::ofstream(p, std::ios::binary).write(broken.data(), static_cast<std::streamsize>(broken.size()));
    try {
      H5adReader(p).read_matrix();
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find("X/data"), std::string::npos) << e.what();
    }
  }
}

}  // namespace

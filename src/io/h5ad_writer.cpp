// write_h5ad: AnnData 0.8 on-disk encoding (every element tagged with
// encoding-type / encoding-version), written to <path>.tmp and renamed.
#include <cctype>
#include <filesystem>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "bmfm/io/h5ad.h"
#include "hdf5_write.h"

namespace bmfm::io {

namespace {

using h5::File;
using h5::Filters;

// ---- checks before anything is written ---------------------------------------

struct IntType {
  hid_t file_type;
  int64_t lo, hi;
};

// The on-disk integer type for a column dtype ("int32", nullable "Int32", ...).
IntType int_type(std::string dtype) {
  for (auto& ch : dtype) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (dtype == "int8") return {H5T_STD_I8LE, INT8_MIN, INT8_MAX};
  if (dtype == "int16") return {H5T_STD_I16LE, INT16_MIN, INT16_MAX};
  if (dtype == "int32") return {H5T_STD_I32LE, INT32_MIN, INT32_MAX};
  if (dtype == "uint8") return {H5T_STD_U8LE, 0, UINT8_MAX};
  if (dtype == "uint16") return {H5T_STD_U16LE, 0, UINT16_MAX};
  if (dtype == "uint32") return {H5T_STD_U32LE, 0, UINT32_MAX};
  if (dtype == "uint64") return {H5T_STD_U64LE, 0, INT64_MAX};
  return {H5T_STD_I64LE, INT64_MIN, INT64_MAX};
}

bool nullable_integer(const Column& c) {
  return !c.mask.empty() || (!c.dtype.empty() && std::isupper(static_cast<unsigned char>(c.dtype[0])));
}
bool nullable_boolean(const Column& c) { return !c.mask.empty() || c.dtype == "boolean"; }

std::string index_key(const DataFrame& df) { return df.index_name.empty() ? "_index" : df.index_name; }

class Checker {
 public:
  explicit Checker(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail(const std::string& what, const std::string& problem) const {
    throw FormatError(path_ + ": cannot write " + what + ": " + problem);
  }

  void matrix(const std::string& what, const CsrMatrix& m, int64_t n_rows, int64_t n_cols) const {
    try {
      m.validate(what);
    } catch (const std::invalid_argument& e) {
      throw FormatError(path_ + ": cannot write " + e.what());
    }
    if (m.n_rows != n_rows || (n_cols >= 0 && m.n_cols != n_cols))
      fail(what, fmt::format("shape ({}, {}) does not match ({}, {})", m.n_rows, m.n_cols, n_rows, n_cols));
  }

  void frame(const std::string& what, const DataFrame& df, int64_t n_rows, const std::string& rows_of) const {
    if (df.n_rows() != n_rows) fail(what, fmt::format("has {} rows but {} has {}", df.n_rows(), rows_of, n_rows));
    const std::string key = index_key(df);
    if (key.find('/') != std::string::npos) fail(what, "index name '" + key + "' contains '/'");
    std::set<std::string> seen{key};
    for (const auto& c : df.columns) {
      const std::string col = what + "['" + c.name + "']";
      if (c.name.empty() || c.name.find('/') != std::string::npos) fail(col, "column names must be non-empty without '/'");
      if (c.name == "_index") fail(col, "'_index' is reserved by AnnData for the index");
      if (!seen.insert(c.name).second) fail(col, "duplicate column name (or the index's name)");
      column(col, c, n_rows);
    }
  }

  void column(const std::string& what, const Column& c, int64_t n_rows) const {
    if (c.size() != n_rows) fail(what, fmt::format("has {} values for {} rows", c.size(), n_rows));
    if (!c.mask.empty() && static_cast<int64_t>(c.mask.size()) != n_rows)
      fail(what, fmt::format("mask has {} entries for {} rows", c.mask.size(), n_rows));
    if (c.kind == Column::Kind::Integer) {
      const IntType t = int_type(c.dtype);
      for (size_t i = 0; i < c.integer.size(); ++i)
        if (c.integer[i] < t.lo || c.integer[i] > t.hi)
          fail(what, fmt::format("value {} at row {} does not fit dtype {}", c.integer[i], i, c.dtype));
    }
    if (c.kind == Column::Kind::Categorical) {
      std::set<std::string> unique(c.categories.begin(), c.categories.end());
      if (unique.size() != c.categories.size()) fail(what, "categories are not unique");
      const auto n_cat = static_cast<int64_t>(c.categories.size());
      for (size_t i = 0; i < c.codes.size(); ++i)
        if (c.codes[i] < -1 || c.codes[i] >= n_cat)
          fail(what, fmt::format("code {} at row {} is outside [-1, {})", c.codes[i], i, n_cat));
    }
  }

  void all(const AnnData& ad) const {
    matrix("X", ad.X, ad.X.n_rows, ad.X.n_cols);
    frame("obs", ad.obs, ad.n_obs(), "X (rows)");
    frame("var", ad.var, ad.n_vars(), "X (columns)");
    for (const auto& [name, m] : ad.layers) {
      if (name.empty() || name.find('/') != std::string::npos) fail("layers", "layer name '" + name + "' is invalid");
      matrix("layers/" + name, m, ad.n_obs(), ad.n_vars());
    }
    for (const auto& [key, m] : ad.obsm) {
      const std::string what = "obsm['" + key + "']";
      if (key.empty() || key.find('/') != std::string::npos) fail(what, "invalid key");
      if (m.n_rows != ad.n_obs()) fail(what, fmt::format("has {} rows but X has {}", m.n_rows, ad.n_obs()));
      if (m.n_cols < 0 || static_cast<int64_t>(m.data.size()) != m.n_rows * m.n_cols)
        fail(what, fmt::format("holds {} values for shape ({}, {})", m.data.size(), m.n_rows, m.n_cols));
    }
    if (ad.raw_X) {
      matrix("raw/X", *ad.raw_X, ad.n_obs(), -1);
      if (ad.raw_var) frame("raw/var", *ad.raw_var, ad.raw_X->n_cols, "raw/X (columns)");
      else if (ad.raw_X->n_cols != ad.n_vars()) fail("raw", "raw/X has its own genes but no raw_var describes them");
    } else if (ad.raw_var) {
      fail("raw", "raw_var is set without raw_X");
    }
  }

 private:
  std::string path_;
};

// ---- writing -------------------------------------------------------------------

class Writer {
 public:
  Writer(const File& f, const Filters& filters) : f_(f), filters_(filters) {}

  void dict(const std::string& path) {
    h5::create_group(f_, path);
    h5::write_encoding(f_, path, "dict", "0.1.0");
  }

  void csr(const std::string& path, const CsrMatrix& m) {
    h5::create_group(f_, path);
    h5::write_encoding(f_, path, "csr_matrix", "0.1.0");
    h5::write_attr(f_, path, "shape", std::vector<int64_t>{m.n_rows, m.n_cols});
    const hsize_t nnz = m.data.size();
    h5::write_array(f_, path + "/data", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, m.data.data(), {nnz}, filters_);
    h5::write_array(f_, path + "/indices", H5T_NATIVE_INT32, H5T_STD_I32LE, m.indices.data(), {nnz}, filters_);
    h5::write_array(f_, path + "/indptr", H5T_NATIVE_INT64, H5T_STD_I64LE, m.indptr.data(), {m.indptr.size()}, filters_);
  }

  void dense(const std::string& path, const DenseMatrix& m) {
    std::vector<hsize_t> dims{static_cast<hsize_t>(m.n_rows), static_cast<hsize_t>(m.n_cols)};
    h5::write_array(f_, path, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, m.data.data(), dims, filters_);
    h5::write_encoding(f_, path, "array", "0.2.0");
  }

  void frame(const std::string& path, const DataFrame& df) {
    h5::create_group(f_, path);
    h5::write_encoding(f_, path, "dataframe", "0.2.0");
    const std::string key = index_key(df);
    h5::write_attr(f_, path, "_index", key);
    std::vector<std::string> order;
    for (const auto& c : df.columns) order.push_back(c.name);
    h5::write_attr(f_, path, "column-order", order);
    strings(path + "/" + key, df.index);
    for (const auto& c : df.columns) column(path + "/" + c.name, c);
  }

 private:
  void strings(const std::string& path, const std::vector<std::string>& v) {
    h5::write_strings(f_, path, v, filters_);
    h5::write_encoding(f_, path, "string-array", "0.2.0");
  }
  void ints(const std::string& path, const std::vector<int64_t>& v, hid_t file_type) {
    h5::write_array(f_, path, H5T_NATIVE_INT64, file_type, v.data(), {v.size()}, filters_);
    h5::write_encoding(f_, path, "array", "0.2.0");
  }
  void bools(const std::string& path, const std::vector<uint8_t>& v) {
    h5::write_bools(f_, path, v, filters_);
    h5::write_encoding(f_, path, "array", "0.2.0");
  }
  // pandas' masked arrays: values + mask (1 = missing) in a group.
  std::vector<uint8_t> mask_of(const Column& c) {
    return c.mask.empty() ? std::vector<uint8_t>(static_cast<size_t>(c.size()), 0) : c.mask;
  }

  void column(const std::string& path, const Column& c) {
    switch (c.kind) {
      case Column::Kind::Numeric: {
        const hid_t t = c.dtype == "float32" ? H5T_IEEE_F32LE : H5T_IEEE_F64LE;
        h5::write_array(f_, path, H5T_NATIVE_DOUBLE, t, c.numeric.data(), {c.numeric.size()}, filters_);
        h5::write_encoding(f_, path, "array", "0.2.0");
        break;
      }
      case Column::Kind::Integer:
        if (nullable_integer(c)) {
          h5::create_group(f_, path);
          h5::write_encoding(f_, path, "nullable-integer", "0.1.0");
          ints(path + "/values", c.integer, int_type(c.dtype).file_type);
          bools(path + "/mask", mask_of(c));
        } else {
          ints(path, c.integer, int_type(c.dtype).file_type);
        }
        break;
      case Column::Kind::Boolean:
        if (nullable_boolean(c)) {
          h5::create_group(f_, path);
          h5::write_encoding(f_, path, "nullable-boolean", "0.1.0");
          bools(path + "/values", c.boolean);
          bools(path + "/mask", mask_of(c));
        } else {
          bools(path, c.boolean);
        }
        break;
      case Column::Kind::String:
        strings(path, c.strings);
        break;
      case Column::Kind::Categorical: {
        h5::create_group(f_, path);
        h5::write_encoding(f_, path, "categorical", "0.2.0");
        h5::write_attr_bool(f_, path, "ordered", c.ordered);
        // pandas' smallest code type for the number of categories.
        const size_t n = c.categories.size();
        const hid_t t = n <= INT8_MAX ? H5T_STD_I8LE : n <= INT16_MAX ? H5T_STD_I16LE : H5T_STD_I32LE;
        h5::write_array(f_, path + "/codes", H5T_NATIVE_INT32, t, c.codes.data(), {c.codes.size()}, filters_);
        h5::write_encoding(f_, path + "/codes", "array", "0.2.0");
        strings(path + "/categories", c.categories);
        break;
      }
    }
  }

  const File& f_;
  Filters filters_;
};

void write_file(const std::string& tmp, const AnnData& ad, const Filters& filters) {
  File f = File::create(tmp);
  Writer w(f, filters);
  h5::write_encoding(f, "", "anndata", "0.1.0");
  w.csr("X", ad.X);
  w.frame("obs", ad.obs);
  w.frame("var", ad.var);
  w.dict("obsm");
  for (const auto& [key, m] : ad.obsm) w.dense("obsm/" + key, m);
  w.dict("varm");
  w.dict("obsp");
  w.dict("varp");
  w.dict("layers");
  for (const auto& [name, m] : ad.layers) w.csr("layers/" + name, m);
  w.dict("uns");
  if (ad.raw_X) {
    h5::create_group(f, "raw");
    h5::write_encoding(f, "raw", "raw", "0.1.0");
    w.csr("raw/X", *ad.raw_X);
    if (ad.raw_var) {
      w.frame("raw/var", *ad.raw_var);
    } else {
      DataFrame var;
      var.index_name = ad.var.index_name;
      var.index = ad.var.index;
      w.frame("raw/var", var);
    }
    w.dict("raw/varm");
  }
  f.close();
}

}  // namespace

void write_h5ad(const std::string& path, const AnnData& adata) { write_h5ad(path, adata, H5adWriteOptions{}); }

void write_h5ad(const std::string& path, const AnnData& adata, const H5adWriteOptions& options) {
  h5::ensure_ready();
  Checker(path).all(adata);
  Filters filters;
  filters.gzip_level = options.gzip_level;
  filters.kind = options.compression == H5adWriteOptions::Compression::Gzip  ? Filters::Kind::Gzip
                 : options.compression == H5adWriteOptions::Compression::Lzf ? Filters::Kind::Lzf
                                                                              : Filters::Kind::None;
  const std::string tmp = path + ".tmp";
  std::error_code ec;
  try {
    write_file(tmp, adata, filters);
  } catch (...) {
    std::filesystem::remove(tmp, ec);
    throw;
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    const std::string why = ec.message();
    std::filesystem::remove(tmp, ec);
    throw FormatError(path + ": cannot move the finished " + tmp + " into place: " + why);
  }
}

}  // namespace bmfm::io

// H5adReader: the public face of h5ad reading; layout details live in
// h5ad_matrix.cpp (X, layers, raw/X) and h5ad_dataframe.cpp (obs, var).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "bmfm/io/h5ad.h"
#include "h5ad_dataframe.h"
#include "h5ad_matrix.h"
#include "hdf5_util.h"

namespace bmfm::io {

using detail::MatrixLocation;
using h5::ObjectKind;

struct H5adReader::Impl {
  explicit Impl(h5::File f) : file(std::move(f)) {}
  h5::File file;
  MatrixLocation x;

  std::string raw_var_path() const { return file.exists("raw/var") || !file.exists("raw.var") ? "raw/var" : "raw.var"; }

  // anndata's default index when a table is absent: "0", "1", ...
  static DataFrame default_frame(int64_t n) {
    DataFrame df;
    for (int64_t i = 0; i < n; ++i) df.index.push_back(std::to_string(i));
    return df;
  }

  void check_rows(const std::string& table, int64_t expected, const std::string& against) const {
    if (!file.exists(table)) return;
    const int64_t n = detail::dataframe_rows(file, table);
    if (n != expected)
      file.fail(table, fmt::format("has {} rows but {} has {}; the file's tables and matrix disagree", n, against, expected));
  }

  MatrixLocation locate(const std::string& key) const {
    if (key == "X") return x;
    MatrixLocation m = detail::locate_matrix(file, key);
    const bool is_raw = key == "raw/X";
    if (m.info.n_rows != x.info.n_rows || (!is_raw && m.info.n_cols != x.info.n_cols))
      file.fail(m.path, fmt::format("has shape ({}, {}) but X has shape ({}, {})", m.info.n_rows, m.info.n_cols,
                                    x.info.n_rows, x.info.n_cols));
    return m;
  }

  bool obsm_is_legacy_table() const {
    return file.kind("obsm") == ObjectKind::Dataset && file.dataset("obsm").info().cls == H5T_COMPOUND;
  }

  h5::Dataset obsm_dataset(const std::string& key) const {
    if (obsm_is_legacy_table()) return file.dataset("obsm").field(key);
    const std::string p = "obsm/" + key;
    const ObjectKind kind = file.kind(p);
    if (kind == ObjectKind::None) file.fail(p, "no such obsm entry");
    if (kind == ObjectKind::Group) {
      const std::string enc = file.attr_string(p, "encoding-type").value_or("?");
      file.fail(p, "is a '" + enc + "' group; only dense arrays are supported in obsm");
    }
    if (auto enc = file.attr_string(p, "encoding-type"); enc && *enc != "array")
      file.fail(p, "has unsupported encoding-type '" + *enc + "' (supported in obsm: array)");
    return file.dataset(p);
  }

  bool obsm_is_dense(const std::string& key) const {
    if (!obsm_is_legacy_table() && file.kind("obsm/" + key) != ObjectKind::Dataset) return false;
    const h5::Dataset ds = obsm_dataset(key);
    const auto& t = ds.info();
    return t.numeric() || (t.cls == H5T_ARRAY && ds.rank() == 1);
  }
};

H5adReader::H5adReader(const std::string& path) : impl_(std::make_unique<Impl>(h5::File::open_read(path))) {
  const h5::File& f = impl_->file;
  if (!detail::has_matrix(f, "X")) {
    if (f.exists("matrix"))
      f.fail("X", "the file has no X matrix; it looks like a 10x CellRanger .h5 (top-level 'matrix' group): "
                  "read it as a 10x file");
    f.fail("X", "the file has no X matrix (is it an AnnData .h5ad?)");
  }
  impl_->x = detail::locate_matrix(f, "X");
  impl_->check_rows("obs", impl_->x.info.n_rows, "X (rows)");
  impl_->check_rows("var", impl_->x.info.n_cols, "X (columns)");
}

H5adReader::~H5adReader() = default;
H5adReader::H5adReader(H5adReader&&) noexcept = default;
H5adReader& H5adReader::operator=(H5adReader&&) noexcept = default;

const std::string& H5adReader::path() const { return impl_->file.path(); }
int64_t H5adReader::n_obs() const { return impl_->x.info.n_rows; }
int64_t H5adReader::n_vars() const { return impl_->x.info.n_cols; }

MatrixInfo H5adReader::matrix_info(const std::string& key) const {
  h5::ensure_ready();
  return impl_->locate(key).info;
}

bool H5adReader::has_matrix(const std::string& key) const {
  h5::ensure_ready();
  return detail::has_matrix(impl_->file, key);
}

CsrMatrix H5adReader::read_matrix(const std::string& key, int64_t row_begin, int64_t row_end) const {
  h5::ensure_ready();
  return detail::read_matrix_rows(impl_->file, impl_->locate(key), row_begin, row_end);
}

DataFrame H5adReader::read_obs() const {
  h5::ensure_ready();
  if (!impl_->file.exists("obs")) return Impl::default_frame(n_obs());
  return detail::read_dataframe(impl_->file, "obs");
}

DataFrame H5adReader::read_var() const {
  h5::ensure_ready();
  if (!impl_->file.exists("var")) return Impl::default_frame(n_vars());
  return detail::read_dataframe(impl_->file, "var");
}

bool H5adReader::has_raw() const { return has_matrix("raw/X"); }

DataFrame H5adReader::read_raw_var() const {
  h5::ensure_ready();
  const MatrixLocation raw = impl_->locate("raw/X");
  const std::string p = impl_->raw_var_path();
  if (!impl_->file.exists(p)) return Impl::default_frame(raw.info.n_cols);
  DataFrame df = detail::read_dataframe(impl_->file, p);
  if (df.n_rows() != raw.info.n_cols)
    impl_->file.fail(p, fmt::format("has {} rows but raw/X has {} columns", df.n_rows(), raw.info.n_cols));
  return df;
}

std::vector<std::string> H5adReader::layer_names() const {
  h5::ensure_ready();
  if (impl_->file.kind("layers") != ObjectKind::Group) return {};
  return impl_->file.children("layers");
}

std::vector<std::string> H5adReader::unread_entries() const {
  h5::ensure_ready();
  std::vector<std::string> out;
  for (const char* group : {"uns", "obsp", "varm", "varp"}) {
    if (impl_->file.kind(group) != ObjectKind::Group) continue;
    for (const auto& child : impl_->file.children(group)) out.push_back(std::string(group) + "/" + child);
  }
  return out;
}

std::vector<std::string> H5adReader::obsm_keys() const {
  h5::ensure_ready();
  const h5::File& f = impl_->file;
  if (impl_->obsm_is_legacy_table()) return f.dataset("obsm").field_names();
  if (f.kind("obsm") != ObjectKind::Group) return {};
  return f.children("obsm");
}

DenseMatrix H5adReader::read_obsm(const std::string& key) const {
  h5::ensure_ready();
  const h5::Dataset ds = impl_->obsm_dataset(key);
  if (!ds.info().numeric() && ds.info().cls != H5T_ARRAY)
    ds.fail("has dtype '" + ds.info().dtype + "'; only numeric arrays are supported in obsm");
  if (ds.rank() > 2) ds.fail(fmt::format("is a {}-D array; obsm entries are 1-D or 2-D", ds.rank()));
  if (ds.length() != n_obs()) ds.fail(fmt::format("has {} rows but X has {}", ds.length(), n_obs()));
  return detail::read_dense(ds);
}

AnnData H5adReader::read_all() const {
  AnnData ad;
  ad.X = read_matrix("X");
  ad.obs = read_obs();
  ad.var = read_var();
  for (const auto& name : layer_names()) ad.layers.emplace(name, read_matrix("layers/" + name));
  // obsm may also hold dataframes or sparse matrices, which AnnData keeps in
  // memory as such; they have no place in DenseMatrix and are left on disk,
  // with a warning so a later write does not drop them unannounced.
  for (const auto& key : obsm_keys()) {
    if (impl_->obsm_is_dense(key))
      ad.obsm.emplace(key, read_obsm(key));
    else
      spdlog::warn("{}: obsm/{} is not a dense array (sparse or dataframe); not loaded", path(), key);
  }
  if (has_raw()) {
    ad.raw_X = read_matrix("raw/X");
    ad.raw_var = read_raw_var();
  }
  return ad;
}

}  // namespace bmfm::io

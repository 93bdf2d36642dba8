// Helpers shared by the io tests (header-only: only *_test.cpp files are built).
#pragma once

#include <hdf5.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "bmfm/io/anndata.h"

namespace bmfm::test {

inline double sum_of(const io::CsrMatrix& X) {
  double s = 0;
  for (float v : X.data) s += v;
  return s;
}

// X[r, c] (the first stored entry for that column), 0 when not stored.
inline float value_at(const io::CsrMatrix& X, int64_t r, int64_t c) {
  for (int64_t k = X.indptr[static_cast<size_t>(r)]; k < X.indptr[static_cast<size_t>(r) + 1]; ++k)
    if (X.indices[static_cast<size_t>(k)] == c) return X.data[static_cast<size_t>(k)];
  return 0.0f;
}

// Rows [b, e) of a full CSR matrix, as a row-range read should return them.
inline io::CsrMatrix slice_rows(const io::CsrMatrix& X, int64_t b, int64_t e) {
  io::CsrMatrix out;
  out.n_rows = e - b;
  out.n_cols = X.n_cols;
  const int64_t p0 = X.indptr[static_cast<size_t>(b)], p1 = X.indptr[static_cast<size_t>(e)];
  out.indptr.clear();
  for (int64_t r = b; r <= e; ++r) out.indptr.push_back(X.indptr[static_cast<size_t>(r)] - p0);
  out.indices.assign(X.indices.begin() + p0, X.indices.begin() + p1);
  out.data.assign(X.data.begin() + p0, X.data.begin() + p1);
  return out;
}

inline bool same_matrix(const io::CsrMatrix& a, const io::CsrMatrix& b) {
  if (a.n_rows != b.n_rows || a.n_cols != b.n_cols || a.indptr != b.indptr || a.indices != b.indices) return false;
  if (a.data.size() != b.data.size()) return false;
  for (size_t i = 0; i < a.data.size(); ++i)
    if (!(a.data[i] == b.data[i] || (std::isnan(a.data[i]) && std::isnan(b.data[i])))) return false;
  return true;
}

inline std::vector<int64_t> category_counts(const io::Column& c) {
  std::vector<int64_t> n(c.categories.size(), 0);
  for (int32_t code : c.codes)
    if (code >= 0) ++n[static_cast<size_t>(code)];
  return n;
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// A small AnnData exercising every column kind the writer supports.
inline io::AnnData small_anndata() {
  io::AnnData ad;
  // X (5 cells x 4 genes):
  //   [1 0 2 0]
  //   [0 0 0 0]
  //   [0 3 0 4.5]
  //   [5 0 0 0]
  //   [0 0 6 7]
  ad.X.n_rows = 5;
  ad.X.n_cols = 4;
  ad.X.indptr = {0, 2, 2, 4, 5, 7};
  ad.X.indices = {0, 2, 1, 3, 0, 2, 3};
  ad.X.data = {1, 2, 3, 4.5f, 5, 6, 7};

  ad.obs.index_name = "cell_id";
  ad.obs.index = {"c0", "c1", "c2", "c3", "c4"};
  io::Column cat;
  cat.name = "cell_type";
  cat.kind = io::Column::Kind::Categorical;
  cat.dtype = "category";
  cat.categories = {"B", "T", "NK"};
  cat.codes = {1, 0, -1, 2, 1};
  ad.obs.columns.push_back(cat);
  io::Column num;
  num.name = "n_counts";
  num.kind = io::Column::Kind::Numeric;
  num.dtype = "float64";
  num.numeric = {3, 0, 7.5, 5, 13};
  ad.obs.columns.push_back(num);
  io::Column i32;
  i32.name = "n_genes";
  i32.kind = io::Column::Kind::Integer;
  i32.dtype = "int32";
  i32.integer = {2, 0, 2, 1, 2};
  ad.obs.columns.push_back(i32);
  io::Column flag;
  flag.name = "is_doublet";
  flag.kind = io::Column::Kind::Boolean;
  flag.dtype = "bool";
  flag.boolean = {0, 0, 1, 0, 1};
  ad.obs.columns.push_back(flag);
  io::Column str;
  str.name = "donor";
  str.kind = io::Column::Kind::String;
  str.dtype = "str";
  str.strings = {"d1", "d2", "d1", "d\xc3\xa9", ""};  // UTF-8 survives
  ad.obs.columns.push_back(str);
  io::Column nint;
  nint.name = "age";
  nint.kind = io::Column::Kind::Integer;
  nint.dtype = "Int64";
  nint.integer = {30, 0, 41, 52, 0};
  nint.mask = {0, 1, 0, 0, 1};
  ad.obs.columns.push_back(nint);
  io::Column nbool;
  nbool.name = "treated";
  nbool.kind = io::Column::Kind::Boolean;
  nbool.dtype = "boolean";
  nbool.boolean = {1, 0, 0, 1, 0};
  nbool.mask = {0, 0, 1, 0, 0};
  ad.obs.columns.push_back(nbool);

  ad.var.index = {"GAPDH", "ACTB", "CD3E", "MS4A1"};  // index_name stays "_index"
  io::Column ids;
  ids.name = "gene_ids";
  ids.kind = io::Column::Kind::String;
  ids.dtype = "str";
  ids.strings = {"ENSG00000111640", "ENSG00000075624", "ENSG00000198851", "ENSG00000156738"};
  ad.var.columns.push_back(ids);
  io::Column ordered;
  ordered.name = "level";
  ordered.kind = io::Column::Kind::Categorical;
  ordered.dtype = "category";
  ordered.categories = {"low", "mid", "high"};
  ordered.codes = {2, 2, 0, 1};
  ordered.ordered = true;
  ad.var.columns.push_back(ordered);
  io::Column f32;
  f32.name = "mean";
  f32.kind = io::Column::Kind::Numeric;
  f32.dtype = "float32";
  f32.numeric = {0.5, 0.25, std::nan(""), 2};
  ad.var.columns.push_back(f32);

  io::DenseMatrix emb;
  emb.n_rows = 5;
  emb.n_cols = 2;
  emb.data = {0.1f, -1, 2, 3.5f, 4, 5, -6, 7, 8, 9.25f};
  ad.obsm["X_emb"] = emb;

  io::CsrMatrix counts = ad.X;
  for (auto& v : counts.data) v = std::ceil(v * 2);
  ad.layers["counts"] = counts;

  io::CsrMatrix raw;
  raw.n_rows = 5;
  raw.n_cols = 6;
  raw.indptr = {0, 1, 2, 3, 4, 6};
  raw.indices = {5, 0, 1, 2, 3, 4};
  raw.data = {1, 2, 3, 4, 5, 6};
  ad.raw_X = raw;
  io::DataFrame raw_var;
  raw_var.index = {"GAPDH", "ACTB", "CD3E", "MS4A1", "MT-CO1", "XIST"};
  ad.raw_var = raw_var;
  return ad;
}

// Opens an existing HDF5 file read-write so a test can damage it on purpose.
class H5Edit {
 public:
  explicit H5Edit(const std::string& path) : fid_(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT)) {}
  ~H5Edit() {
    if (fid_ >= 0) H5Fclose(fid_);
  }
  H5Edit(const H5Edit&) = delete;
  H5Edit& operator=(const H5Edit&) = delete;
  bool ok() const { return fid_ >= 0; }
  hid_t id() const { return fid_; }

  bool remove(const std::string& object) { return H5Ldelete(fid_, object.c_str(), H5P_DEFAULT) >= 0; }

  // Replaces (or creates) a 1-D dataset holding `values` stored as `file_type`.
  template <class T>
  bool put(const std::string& path, const std::vector<T>& values, hid_t mem_type, hid_t file_type) {
    if (H5Lexists(fid_, path.c_str(), H5P_DEFAULT) > 0) remove(path);
    hsize_t n = values.size();
    hid_t space = H5Screate_simple(1, &n, nullptr);
    hid_t ds = H5Dcreate2(fid_, path.c_str(), file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    bool ok = ds >= 0 && (n == 0 || H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0);
    if (ds >= 0) H5Dclose(ds);
    H5Sclose(space);
    return ok;
  }
  // A 2-D dataset (row-major values).
  template <class T>
  bool put2d(const std::string& path, const std::vector<T>& values, hsize_t rows, hsize_t cols, hid_t mem_type,
             hid_t file_type) {
    if (H5Lexists(fid_, path.c_str(), H5P_DEFAULT) > 0) remove(path);
    hsize_t dims[2] = {rows, cols};
    hid_t space = H5Screate_simple(2, dims, nullptr);
    hid_t ds = H5Dcreate2(fid_, path.c_str(), file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    bool ok = ds >= 0 && H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0;
    if (ds >= 0) H5Dclose(ds);
    H5Sclose(space);
    return ok;
  }
  bool group(const std::string& path) {
    hid_t g = H5Gcreate2(fid_, path.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return false;
    H5Gclose(g);
    return true;
  }
  bool set_attr(const std::string& object, const std::string& name, const std::string& value) {
    if (H5Aexists_by_name(fid_, object.c_str(), name.c_str(), H5P_DEFAULT) > 0)
      H5Adelete_by_name(fid_, object.c_str(), name.c_str(), H5P_DEFAULT);
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate_by_name(fid_, object.c_str(), name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const char* p = value.c_str();
    bool ok = a >= 0 && H5Awrite(a, type, &p) >= 0;
    if (a >= 0) H5Aclose(a);
    H5Sclose(space);
    H5Tclose(type);
    return ok;
  }
  bool set_attr(const std::string& object, const std::string& name, const std::vector<int64_t>& values) {
    if (H5Aexists_by_name(fid_, object.c_str(), name.c_str(), H5P_DEFAULT) > 0)
      H5Adelete_by_name(fid_, object.c_str(), name.c_str(), H5P_DEFAULT);
    hsize_t n = values.size();
    hid_t space = H5Screate_simple(1, &n, nullptr);
    hid_t a = H5Acreate_by_name(fid_, object.c_str(), name.c_str(), H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT,
                                H5P_DEFAULT);
    bool ok = a >= 0 && H5Awrite(a, H5T_NATIVE_INT64, values.data()) >= 0;
    if (a >= 0) H5Aclose(a);
    H5Sclose(space);
    return ok;
  }

 private:
  hid_t fid_;
};

}  // namespace bmfm::test

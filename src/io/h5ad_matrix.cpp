#include "h5ad_matrix.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

namespace bmfm::io::detail {

namespace {

using h5::Dataset;
using h5::File;
using h5::ObjectKind;

// Values read per HDF5 call when streaming (dense row blocks, CSC entries).
constexpr int64_t kBlockValues = int64_t{1} << 22;

std::string resolve_path(const File& f, const std::string& key) {
  if (key == "raw/X" && !f.exists("raw/X") && f.exists("raw.X")) return "raw.X";  // pre-0.7 layout
  return key;
}

bool valid_key(const std::string& key) {
  return key == "X" || key == "raw/X" || (key.rfind("layers/", 0) == 0 && key.size() > 7);
}

void check_key(const File& f, const std::string& key) {
  if (!valid_key(key))
    f.fail(key, "is not a matrix key; use X, raw/X or layers/<name>");
}

[[noreturn]] void missing(const File& f, const std::string& key) {
  if (key.rfind("layers/", 0) == 0) {
    std::string names;
    if (f.kind("layers") == ObjectKind::Group)
      for (const auto& n : f.children("layers")) names += (names.empty() ? "" : ", ") + n;
    f.fail(key, "no such layer; the file's layers are: " + (names.empty() ? std::string("(none)") : names));
  }
  f.fail(key, key == "X" ? "the file has no X matrix (not an AnnData file?)" : "no such matrix in the file");
}

Dataset part(const File& f, const std::string& path, const char* name) {
  const std::string p = path + "/" + name;
  if (f.kind(p) != ObjectKind::Dataset) f.fail(path, std::string("sparse matrix group lacks its '") + name + "' dataset");
  Dataset ds = f.dataset(p);
  if (ds.rank() != 1) ds.fail("expected a 1-D array, found " + std::to_string(ds.rank()) + "-D");
  return ds;
}

void require_integers(const Dataset& ds) {
  if (ds.info().cls != H5T_INTEGER) ds.fail("has dtype '" + ds.info().dtype + "', expected integers");
}

void require_numbers(const Dataset& ds) {
  if (!ds.info().numeric()) ds.fail("has dtype '" + ds.info().dtype + "', expected numbers");
}

// Reads indptr[b..e] and checks it against the stored entries.
std::vector<int64_t> read_indptr(const Dataset& indptr, int64_t b, int64_t e, int64_t nnz) {
  std::vector<int64_t> ptr = h5::read_numeric<int64_t>(indptr, b, e + 1);
  if (b == 0 && ptr.front() != 0) indptr.fail(fmt::format("indptr[0] = {}, expected 0", ptr.front()));
  if (ptr.front() < 0) indptr.fail(fmt::format("indptr[{}] = {} is negative", b, ptr.front()));
  for (size_t i = 0; i + 1 < ptr.size(); ++i)
    if (ptr[i + 1] < ptr[i])
      indptr.fail(fmt::format("indptr is not monotone: indptr[{}] = {} > indptr[{}] = {}", b + static_cast<int64_t>(i),
                              ptr[i], b + static_cast<int64_t>(i) + 1, ptr[i + 1]));
  if (ptr.back() > nnz)
    indptr.fail(fmt::format("indptr[{}] = {} exceeds the {} stored values", e, ptr.back(), nnz));
  return ptr;
}

std::vector<int32_t> checked_indices(const Dataset& ds, const std::vector<int64_t>& raw, int64_t bound,
                                     const char* what, int64_t offset) {
  std::vector<int32_t> out(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] < 0 || raw[i] >= bound)
      ds.fail(fmt::format("{} index {} at position {} is outside [0, {})", what, raw[i], offset + static_cast<int64_t>(i),
                          bound));
    out[i] = static_cast<int32_t>(raw[i]);
  }
  return out;
}

CsrMatrix read_csr_rows(const File& f, const MatrixLocation& m, int64_t b, int64_t e) {
  Dataset data = part(f, m.path, "data"), indices = part(f, m.path, "indices"), indptr = part(f, m.path, "indptr");
  CsrMatrix out;
  out.n_rows = e - b;
  out.n_cols = m.info.n_cols;
  std::vector<int64_t> ptr = read_indptr(indptr, b, e, m.info.nnz);
  const int64_t p0 = ptr.front(), p1 = ptr.back();
  for (auto& p : ptr) p -= p0;
  out.indptr = std::move(ptr);
  out.data = h5::read_numeric<float>(data, p0, p1);
  out.indices = checked_indices(indices, h5::read_numeric<int64_t>(indices, p0, p1), m.info.n_cols, "column", p0);
  return out;
}

CsrMatrix read_dense_rows(const File& f, const MatrixLocation& m, int64_t b, int64_t e) {
  Dataset ds = f.dataset(m.path);
  CsrMatrix out;
  out.n_rows = e - b;
  out.n_cols = m.info.n_cols;
  const int64_t step = std::max<int64_t>(1, kBlockValues / std::max<int64_t>(1, m.info.n_cols));
  for (int64_t r0 = b; r0 < e; r0 += step) {
    const int64_t r1 = std::min(e, r0 + step);
    std::vector<float> block = h5::read_rows_f32(ds, r0, r1);
    for (int64_t r = 0; r < r1 - r0; ++r) {
      const float* row = block.data() + r * m.info.n_cols;
      for (int64_t c = 0; c < m.info.n_cols; ++c)
        if (row[c] != 0.0f) {  // NaN != 0: kept, so require_counts can report it
          out.indices.push_back(static_cast<int32_t>(c));
          out.data.push_back(row[c]);
        }
      out.indptr.push_back(static_cast<int64_t>(out.data.size()));
    }
  }
  return out;
}

// CSC stores columns; rows [b, e) are gathered by streaming all entries twice
// (count per row, then place), holding only the output and one block.
CsrMatrix read_csc_rows(const File& f, const MatrixLocation& m, int64_t b, int64_t e) {
  Dataset data = part(f, m.path, "data"), indices = part(f, m.path, "indices"), indptr = part(f, m.path, "indptr");
  const int64_t n_cols = m.info.n_cols;
  std::vector<int64_t> ptr = read_indptr(indptr, 0, n_cols, m.info.nnz);
  const int64_t used = ptr.back();
  CsrMatrix out;
  out.n_rows = e - b;
  out.n_cols = n_cols;
  std::vector<int64_t> counts(static_cast<size_t>(e - b) + 1, 0);
  for (int64_t k0 = 0; k0 < used; k0 += kBlockValues) {
    const int64_t k1 = std::min(used, k0 + kBlockValues);
    std::vector<int64_t> rows = h5::read_numeric<int64_t>(indices, k0, k1);
    for (size_t i = 0; i < rows.size(); ++i) {
      const int64_t r = rows[i];
      if (r < 0 || r >= m.info.n_rows)
        indices.fail(fmt::format("row index {} at position {} is outside [0, {})", r, k0 + static_cast<int64_t>(i),
                                 m.info.n_rows));
      if (r >= b && r < e) ++counts[static_cast<size_t>(r - b) + 1];
    }
  }
  out.indptr.assign(counts.size(), 0);
  for (size_t i = 1; i < counts.size(); ++i) out.indptr[i] = out.indptr[i - 1] + counts[i];
  out.indices.resize(static_cast<size_t>(out.indptr.back()));
  out.data.resize(static_cast<size_t>(out.indptr.back()));
  std::vector<int64_t> cursor(out.indptr.begin(), out.indptr.end() - 1);
  int64_t col = 0;
  for (int64_t k0 = 0; k0 < used; k0 += kBlockValues) {
    const int64_t k1 = std::min(used, k0 + kBlockValues);
    std::vector<int64_t> rows = h5::read_numeric<int64_t>(indices, k0, k1);
    std::vector<float> vals = h5::read_numeric<float>(data, k0, k1);
    for (int64_t k = k0; k < k1; ++k) {
      while (ptr[static_cast<size_t>(col) + 1] <= k) ++col;
      const int64_t r = rows[static_cast<size_t>(k - k0)];
      if (r < b || r >= e) continue;
      const auto slot = static_cast<size_t>(cursor[static_cast<size_t>(r - b)]++);
      out.indices[slot] = static_cast<int32_t>(col);
      out.data[slot] = vals[static_cast<size_t>(k - k0)];
    }
  }
  return out;
}

}  // namespace

bool has_matrix(const File& f, const std::string& key) {
  return valid_key(key) && f.exists(resolve_path(f, key));
}

MatrixLocation locate_matrix(const File& f, const std::string& key) {
  check_key(f, key);
  MatrixLocation m;
  m.key = key;
  m.path = resolve_path(f, key);
  MatrixInfo& info = m.info;
  const ObjectKind kind = f.kind(m.path);
  if (kind == ObjectKind::None) missing(f, key);
  if (kind == ObjectKind::Dataset) {
    Dataset ds = f.dataset(m.path);
    if (ds.info().cls == H5T_COMPOUND) ds.fail("is a table (compound dtype), expected a matrix");
    require_numbers(ds);
    if (ds.rank() != 2) ds.fail(fmt::format("is a {}-D array, expected a 2-D matrix", ds.rank()));
    info.encoding = MatrixInfo::Encoding::Dense;
    info.dtype = ds.info().dtype;
    info.n_rows = static_cast<int64_t>(ds.dims()[0]);
    info.n_cols = static_cast<int64_t>(ds.dims()[1]);
    info.nnz = info.n_rows * info.n_cols;
    info.compression = ds.compression();
  } else if (kind == ObjectKind::Group) {
    std::string enc = f.attr_string(m.path, "encoding-type").value_or("");
    if (enc.empty()) {
      // anndata < 0.7 (h5sparse) spelled it differently.
      std::string legacy = f.attr_string(m.path, "h5sparse_format").value_or("");
      if (!legacy.empty()) enc = legacy + "_matrix";
    }
    if (enc == "csr_matrix") info.encoding = MatrixInfo::Encoding::Csr;
    else if (enc == "csc_matrix") info.encoding = MatrixInfo::Encoding::Csc;
    else if (enc.empty()) f.fail(m.path, "group has no encoding-type attribute; expected a csr_matrix or csc_matrix group");
    else
      f.fail(m.path, "unsupported encoding-type '" + enc + "' for a matrix (supported: array, csr_matrix, csc_matrix)");
    const char* shape_attr = f.has_attr(m.path, "shape") ? "shape" : "h5sparse_shape";
    if (!f.has_attr(m.path, shape_attr)) f.fail(m.path, "sparse matrix group has no 'shape' attribute");
    std::vector<int64_t> shape = f.attr_ints(m.path, shape_attr);
    if (shape.size() != 2 || shape[0] < 0 || shape[1] < 0)
      f.fail(m.path, fmt::format("'shape' attribute should be two non-negative numbers, found {} values", shape.size()));
    info.n_rows = shape[0];
    info.n_cols = shape[1];
    if (info.n_cols > std::numeric_limits<int32_t>::max() || info.n_rows > std::numeric_limits<int32_t>::max())
      f.fail(m.path, fmt::format("shape ({}, {}) exceeds 32-bit indices", info.n_rows, info.n_cols));
    Dataset data = part(f, m.path, "data"), indices = part(f, m.path, "indices"), indptr = part(f, m.path, "indptr");
    require_numbers(data);
    require_integers(indices);
    require_integers(indptr);
    info.dtype = data.info().dtype;
    info.nnz = data.length();
    info.compression = data.compression();
    if (indices.length() != data.length())
      indices.fail(fmt::format("has {} entries but data has {}", indices.length(), data.length()));
    const bool csr = info.encoding == MatrixInfo::Encoding::Csr;
    const int64_t major = csr ? info.n_rows : info.n_cols;
    if (indptr.length() != major + 1)
      indptr.fail(fmt::format("has {} entries, expected {} + 1 = {} for shape ({}, {}) {}", indptr.length(),
                              csr ? "n_rows" : "n_cols", major + 1, info.n_rows, info.n_cols, csr ? "CSR" : "CSC"));
  } else {
    f.fail(m.path, "is neither a group nor a dataset");
  }
  return m;
}

CsrMatrix read_matrix_rows(const File& f, const MatrixLocation& m, int64_t row_begin, int64_t row_end) {
  if (row_end < 0) row_end = m.info.n_rows;
  if (row_begin < 0 || row_begin > row_end || row_end > m.info.n_rows)
    throw std::out_of_range(fmt::format("{}: {}: row range [{}, {}) is outside its {} rows", f.path(), m.key, row_begin,
                                        row_end, m.info.n_rows));
  switch (m.info.encoding) {
    case MatrixInfo::Encoding::Csr: return read_csr_rows(f, m, row_begin, row_end);
    case MatrixInfo::Encoding::Csc: return read_csc_rows(f, m, row_begin, row_end);
    case MatrixInfo::Encoding::Dense: return read_dense_rows(f, m, row_begin, row_end);
  }
  return {};
}

DenseMatrix read_dense(const Dataset& ds) {
  DenseMatrix out;
  out.n_rows = ds.length();
  if (ds.rank() == 1 && ds.info().cls != H5T_ARRAY) {
    out.n_cols = 1;
    out.data = h5::read_numeric<float>(ds);
    return out;
  }
  out.data = h5::read_rows_f32(ds, 0, out.n_rows);
  out.n_cols = out.n_rows > 0 ? static_cast<int64_t>(out.data.size()) / out.n_rows
                              : (ds.rank() == 2 ? static_cast<int64_t>(ds.dims()[1]) : 0);
  return out;
}

}  // namespace bmfm::io::detail

// In-memory AnnData pieces as the I/O layer reads and writes them.
//
// These are plain containers with no behaviour beyond shape checks: the data
// area (QC, transforms, tokenizer) builds on them. Values are float32 because
// every downstream consumer (tokenizer, model) works in float32, and integer
// counts up to 2^24 are exact in float32; the on-disk dtype is kept in
// `MatrixInfo::dtype` so `bmfm inspect` can still report it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bmfm::io {

// Compressed sparse rows: row r holds indices[indptr[r] .. indptr[r+1]).
// Shape is (n_rows, n_cols). Column indices within a row are kept in file
// order (AnnData does not require them sorted).
struct CsrMatrix {
  int64_t n_rows = 0;
  int64_t n_cols = 0;
  std::vector<int64_t> indptr{0};  // n_rows + 1
  std::vector<int32_t> indices;    // nnz
  std::vector<float> data;         // nnz

  int64_t nnz() const { return static_cast<int64_t>(data.size()); }
  // Throws std::invalid_argument naming `what` if indptr/indices are inconsistent.
  void validate(const std::string& what) const;
};

// Row-major dense matrix (obsm entries, dense X slices).
struct DenseMatrix {
  int64_t n_rows = 0;
  int64_t n_cols = 0;
  std::vector<float> data;  // n_rows * n_cols, row-major
  float at(int64_t r, int64_t c) const { return data[static_cast<size_t>(r * n_cols + c)]; }
};

// One dataframe column. Exactly one representation is used, per `kind`.
struct Column {
  enum class Kind { Numeric, Integer, Boolean, String, Categorical };
  std::string name;
  Kind kind = Kind::Numeric;
  std::string dtype;  // on-disk dtype as numpy would spell it: float64, int32, bool, str, category

  std::vector<double> numeric;            // Kind::Numeric
  std::vector<int64_t> integer;           // Kind::Integer
  std::vector<uint8_t> boolean;           // Kind::Boolean
  std::vector<uint8_t> mask;              // nullable int/bool: 1 = missing; empty = none missing
  std::vector<std::string> strings;       // Kind::String
  std::vector<int32_t> codes;             // Kind::Categorical, -1 = missing
  std::vector<std::string> categories;    // Kind::Categorical
  bool ordered = false;                   // Kind::Categorical

  int64_t size() const;
  bool is_missing(int64_t i) const;
  // Value of row i as text (category name, number, "true"/"false", "" if missing).
  std::string text(int64_t i) const;
};

// obs / var table: an index (cell barcodes or gene ids) plus named columns in file order.
struct DataFrame {
  std::string index_name = "_index";
  std::vector<std::string> index;
  std::vector<Column> columns;

  int64_t n_rows() const { return static_cast<int64_t>(index.size()); }
  const Column* find(const std::string& name) const;
  const Column& at(const std::string& name) const;  // throws naming the column and listing the available ones
};

// What a matrix looks like on disk, without reading it.
struct MatrixInfo {
  enum class Encoding { Dense, Csr, Csc };
  Encoding encoding = Encoding::Dense;
  std::string dtype;        // float32, float64, int32, int64, uint16, ...
  int64_t n_rows = 0, n_cols = 0;
  int64_t nnz = -1;         // stored entries for sparse; n_rows*n_cols for dense
  std::string compression;  // "", "gzip", "lzf", ... of the data dataset
};

const char* to_string(MatrixInfo::Encoding e);

// Requires raw counts: every stored value finite, >= 0 and integer-valued.
// Throws io::FormatError naming `what` (e.g. "X of data/pbmc.h5ad"), the first
// offending cell row (row_offset + r, for a row slice of a larger file), its
// gene column and value. Stored NaNs are only an error here, where counts are
// required; reading keeps them.
void require_counts(const CsrMatrix& X, const std::string& what, int64_t row_offset = 0);

// Why the first `max_values` stored values of X do not look like raw counts,
// or "" when they do: the first non-integer / negative / non-finite value
// (cell row row_offset + r, gene column) and, for non-integers, whether the
// range says log-normalised (max < 30) or scaled. For warnings where
// counts are expected but the run can go on (e.g. pretraining normalises).
std::string counts_problem(const CsrMatrix& X, int64_t max_values = 1000000, int64_t row_offset = 0);

// A whole (or row-sliced) AnnData object.
struct AnnData {
  CsrMatrix X;
  DataFrame obs;
  DataFrame var;
  std::map<std::string, CsrMatrix> layers;
  std::map<std::string, DenseMatrix> obsm;
  std::optional<CsrMatrix> raw_X;
  std::optional<DataFrame> raw_var;

  int64_t n_obs() const { return X.n_rows; }
  int64_t n_vars() const { return X.n_cols; }
};

// Values at `rows` (positions) of a per-row vector; an empty vector stays empty.
template <class T>
std::vector<T> pick(const std::vector<T>& v, const std::vector<int64_t>& rows) {
  if (v.empty()) return {};
  std::vector<T> out;
  out.reserve(rows.size());
  for (int64_t r : rows) out.push_back(v[static_cast<size_t>(r)]);
  return out;
}

// Rows `rows` of a column / table. Categories no kept row uses are dropped (as
// anndata does when it copies a view); rows outside the table throw std::out_of_range.
Column take_rows(const Column& c, const std::vector<int64_t>& rows);
DataFrame take_rows(const DataFrame& df, const std::vector<int64_t>& rows);

}  // namespace bmfm::io

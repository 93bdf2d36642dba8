// Shape checks and accessors of the plain AnnData containers.
#include "bmfm/io/anndata.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "bmfm/io/error.h"
#include "bmfm/io/h5ad.h"

namespace bmfm::io {

void CsrMatrix::validate(const std::string& what) const {
  auto bad = [&](const std::string& problem) { throw std::invalid_argument(what + ": " + problem); };
  if (n_rows < 0 || n_cols < 0) bad(fmt::format("negative shape ({}, {})", n_rows, n_cols));
  if (n_cols > std::numeric_limits<int32_t>::max())
    bad(fmt::format("{} columns do not fit 32-bit column indices", n_cols));
  if (static_cast<int64_t>(indptr.size()) != n_rows + 1)
    bad(fmt::format("indptr has {} entries, expected n_rows + 1 = {}", indptr.size(), n_rows + 1));
  if (indices.size() != data.size())
    bad(fmt::format("indices has {} entries but data has {}", indices.size(), data.size()));
  if (indptr.front() != 0) bad(fmt::format("indptr[0] = {}, expected 0", indptr.front()));
  for (size_t r = 0; r + 1 < indptr.size(); ++r)
    if (indptr[r + 1] < indptr[r])
      bad(fmt::format("indptr decreases at row {}: indptr[{}] = {} > indptr[{}] = {}", r, r, indptr[r], r + 1,
                      indptr[r + 1]));
  if (indptr.back() != nnz()) bad(fmt::format("indptr[{}] = {} but there are {} stored values", n_rows, indptr.back(), nnz()));
  for (int64_t r = 0; r < n_rows; ++r)
    for (int64_t k = indptr[static_cast<size_t>(r)]; k < indptr[static_cast<size_t>(r) + 1]; ++k) {
      int32_t c = indices[static_cast<size_t>(k)];
      if (c < 0 || c >= n_cols)
        bad(fmt::format("row {} has column index {} outside [0, {})", r, c, n_cols));
    }
}

void require_counts(const CsrMatrix& X, const std::string& what, int64_t row_offset) {
  for (int64_t r = 0; r < X.n_rows; ++r) {
    for (int64_t k = X.indptr[static_cast<size_t>(r)]; k < X.indptr[static_cast<size_t>(r) + 1]; ++k) {
      const float v = X.data[static_cast<size_t>(k)];
      const char* why = nullptr;
      if (std::isnan(v)) why = "NaN";
      else if (!std::isfinite(v)) why = "infinite";
      else if (v < 0) why = "negative";
      else if (v != std::floor(v)) why = "not an integer";
      if (!why) continue;
      throw FormatError(fmt::format(
          "{} must hold raw counts (finite, non-negative integers), but cell row {}, gene column {} holds {} ({}); "
          "point the run at the raw counts (e.g. layers/counts or raw/X)",
          what, row_offset + r, X.indices[static_cast<size_t>(k)], v, why));
    }
  }
}

std::string counts_problem(const CsrMatrix& X, int64_t max_values, int64_t row_offset) {
  int64_t seen = 0;
  float vmax = 0;
  std::string first;
  for (int64_t r = 0; r < X.n_rows && seen < max_values; ++r)
    for (int64_t k = X.indptr[static_cast<size_t>(r)]; k < X.indptr[static_cast<size_t>(r) + 1] && seen < max_values;
         ++k, ++seen) {
      const float v = X.data[static_cast<size_t>(k)];
      if (std::isfinite(v)) vmax = std::max(vmax, v);
      if (!first.empty()) continue;
      const char* why = std::isnan(v) ? "NaN" : !std::isfinite(v) ? "infinite" : v < 0 ? "negative"
                        : v != std::floor(v)                      ? "not an integer"
                                                                  : nullptr;
      if (why)
        first = fmt::format("cell row {}, gene column {} holds {} ({})", row_offset + r,
                            X.indices[static_cast<size_t>(k)], v, why);
    }
  if (first.empty()) return "";
  const std::string range = vmax < 30 ? fmt::format("; the largest value is {:.3g}, as in log-normalised data", vmax)
                                      : fmt::format("; the largest value is {:.4g}", vmax);
  return first + range;
}

int64_t Column::size() const {
  switch (kind) {
    case Kind::Numeric: return static_cast<int64_t>(numeric.size());
    case Kind::Integer: return static_cast<int64_t>(integer.size());
    case Kind::Boolean: return static_cast<int64_t>(boolean.size());
    case Kind::String: return static_cast<int64_t>(strings.size());
    case Kind::Categorical: return static_cast<int64_t>(codes.size());
  }
  return 0;
}

bool Column::is_missing(int64_t i) const {
  const auto u = static_cast<size_t>(i);
  if (!mask.empty() && mask[u]) return true;
  if (kind == Kind::Categorical) return codes[u] < 0;
  if (kind == Kind::Numeric) return std::isnan(numeric[u]);
  return false;
}

std::string Column::text(int64_t i) const {
  if (is_missing(i)) return "";
  const auto u = static_cast<size_t>(i);
  switch (kind) {
    case Kind::Numeric: return fmt::format("{}", numeric[u]);
    case Kind::Integer: return std::to_string(integer[u]);
    case Kind::Boolean: return boolean[u] ? "true" : "false";
    case Kind::String: return strings[u];
    case Kind::Categorical: return categories[static_cast<size_t>(codes[u])];
  }
  return "";
}

const Column* DataFrame::find(const std::string& name) const {
  for (const auto& c : columns)
    if (c.name == name) return &c;
  return nullptr;
}

namespace {
std::string column_list(const DataFrame& df) {
  std::string names;
  for (const auto& c : df.columns) names += (names.empty() ? "" : ", ") + c.name;
  return names.empty() ? "(none)" : names;
}
}  // namespace

const Column& DataFrame::at(const std::string& name) const {
  if (const Column* c = find(name)) return *c;
  throw FormatError(fmt::format("no column '{}'; the columns are: {} (index: '{}')", name, column_list(*this), index_name));
}

const char* to_string(MatrixInfo::Encoding e) {
  switch (e) {
    case MatrixInfo::Encoding::Dense: return "dense";
    case MatrixInfo::Encoding::Csr: return "csr";
    case MatrixInfo::Encoding::Csc: return "csc";
  }
  return "?";
}

std::vector<std::string> gene_ids(const DataFrame& var, const std::string& column) {
  if (column.empty() || column == var.index_name) return var.index;
  const Column* c = var.find(column);
  if (!c)
    throw FormatError(fmt::format("var has no gene id column '{}'; use the index ('{}', e.g. '{}') or one of: {}", column,
                                  var.index_name, var.index.empty() ? "" : var.index.front(), column_list(var)));
  if (c->kind != Column::Kind::String && c->kind != Column::Kind::Categorical)
    throw FormatError(fmt::format("var column '{}' holds {} values, not gene ids (strings)", column, c->dtype));
  std::vector<std::string> ids;
  ids.reserve(static_cast<size_t>(c->size()));
  for (int64_t i = 0; i < c->size(); ++i) ids.push_back(c->text(i));
  return ids;
}

Column take_rows(const Column& c, const std::vector<int64_t>& rows) {
  Column out;
  out.name = c.name;
  out.kind = c.kind;
  out.dtype = c.dtype;
  out.ordered = c.ordered;
  out.numeric = pick(c.numeric, rows);
  out.integer = pick(c.integer, rows);
  out.boolean = pick(c.boolean, rows);
  out.mask = pick(c.mask, rows);
  out.strings = pick(c.strings, rows);
  if (c.kind == Column::Kind::Categorical) {
    // Drop categories no kept row uses (as anndata does when it copies a view).
    std::vector<int32_t> remap(c.categories.size(), -1);
    for (int64_t r : rows) {
      int32_t code = c.codes[static_cast<size_t>(r)];
      if (code >= 0) remap[static_cast<size_t>(code)] = 0;
    }
    for (size_t k = 0; k < remap.size(); ++k)
      if (remap[k] == 0) {
        remap[k] = static_cast<int32_t>(out.categories.size());
        out.categories.push_back(c.categories[k]);
      }
    out.codes.reserve(rows.size());
    for (int64_t r : rows) {
      int32_t code = c.codes[static_cast<size_t>(r)];
      out.codes.push_back(code >= 0 ? remap[static_cast<size_t>(code)] : -1);
    }
  }
  return out;
}

DataFrame take_rows(const DataFrame& df, const std::vector<int64_t>& rows) {
  for (int64_t r : rows)
    if (r < 0 || r >= df.n_rows()) throw std::out_of_range(fmt::format("take_rows: row {} outside [0, {})", r, df.n_rows()));
  DataFrame out;
  out.index_name = df.index_name;
  out.index = pick(df.index, rows);
  for (const auto& c : df.columns) out.columns.push_back(take_rows(c, rows));
  return out;
}

}  // namespace bmfm::io

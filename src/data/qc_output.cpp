// The filtered AnnData: every matrix, obs, var and obsm cut to the kept cells
// and genes, with the QC metrics added as obs / var columns.
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "bmfm/data/qc.h"
#include "bmfm/io/error.h"
#include "qc_stream.h"

namespace bmfm::data {

namespace {


void set_column(io::DataFrame& df, io::Column col) {
  for (auto& c : df.columns)
    if (c.name == col.name) {
      c = std::move(col);
      return;
    }
  df.columns.push_back(std::move(col));
}

io::Column numeric_column(const std::string& name, std::vector<double> values) {
  io::Column c;
  c.name = name;
  c.kind = io::Column::Kind::Numeric;
  c.dtype = "float64";
  c.numeric = std::move(values);
  return c;
}

io::Column integer_column(const std::string& name, const std::string& dtype, std::vector<int64_t> values) {
  io::Column c;
  c.name = name;
  c.kind = io::Column::Kind::Integer;
  c.dtype = dtype;
  c.integer = std::move(values);
  return c;
}

// Rows `rows` (ascending) and columns `cols` (ascending; empty = all) of a matrix, read chunk by chunk.
io::CsrMatrix take_streamed(const MatrixSource& src, const std::vector<uint8_t>& keep_rows,
                            const std::vector<int64_t>& cols, bool all_cols, int64_t chunk_rows) {
  std::vector<int32_t> col_map;
  if (!all_cols) {
    col_map.assign(static_cast<size_t>(src.n_cols), -1);
    for (size_t j = 0; j < cols.size(); ++j) col_map[static_cast<size_t>(cols[j])] = static_cast<int32_t>(j);
  }
  io::CsrMatrix out;
  out.n_cols = all_cols ? src.n_cols : static_cast<int64_t>(cols.size());
  detail::for_each_chunk(src, chunk_rows, &keep_rows, [&](const io::CsrMatrix& chunk, int64_t row0) {
    for (int64_t r = 0; r < chunk.n_rows; ++r) {
      if (!keep_rows[static_cast<size_t>(row0 + r)]) continue;
      for (int64_t k = chunk.indptr[static_cast<size_t>(r)]; k < chunk.indptr[static_cast<size_t>(r) + 1]; ++k) {
        const int32_t c = chunk.indices[static_cast<size_t>(k)];
        const int32_t nc = all_cols ? c : col_map[static_cast<size_t>(c)];
        if (nc < 0) continue;
        out.indices.push_back(nc);
        out.data.push_back(chunk.data[static_cast<size_t>(k)]);
      }
      out.indptr.push_back(static_cast<int64_t>(out.data.size()));
      ++out.n_rows;
    }
  });
  return out;
}

}  // namespace


io::CsrMatrix take(const io::CsrMatrix& m, const std::vector<int64_t>& rows, const std::vector<int64_t>& cols) {
  std::vector<uint8_t> keep(static_cast<size_t>(m.n_rows), 0);
  int64_t prev = -1;
  for (int64_t r : rows) {
    if (r <= prev || r >= m.n_rows) throw std::invalid_argument(fmt::format("take: rows must be ascending in [0, {})", m.n_rows));
    keep[static_cast<size_t>(r)] = 1;
    prev = r;
  }
  for (int64_t c : cols)
    if (c < 0 || c >= m.n_cols) throw std::out_of_range(fmt::format("take: column {} outside [0, {})", c, m.n_cols));
  return take_streamed(matrix_source(m, "matrix"), keep, cols, false, std::max<int64_t>(1, m.n_rows));
}

io::AnnData qc_subset(const io::CellReader& reader, const QcResult& result, const QcConfig& cfg) {
  if (reader.n_obs() != result.n_obs_before || reader.n_vars() != result.n_vars_before)
    throw std::invalid_argument(fmt::format("qc_subset: {} has shape ({}, {}) but the QC result is for ({}, {})",
                                            reader.path(), reader.n_obs(), reader.n_vars(), result.n_obs_before,
                                            result.n_vars_before));
  const std::vector<int64_t> rows = result.kept_cells(), cols = result.kept_genes();
  auto subset = [&](const std::string& key) {
    return take_streamed(matrix_source(reader, key), result.keep_cells, cols, false, cfg.chunk_rows);
  };
  io::AnnData out;
  out.X = subset("X");
  for (const auto& name : reader.layer_names()) out.layers.emplace(name, subset("layers/" + name));
  if (reader.has_raw()) {  // raw keeps all of its genes; only cells are cut
    MatrixSource raw;
    const io::MatrixInfo info = reader.matrix_info("raw/X");
    raw.what = "raw/X of " + reader.path();
    raw.n_rows = info.n_rows;
    raw.n_cols = info.n_cols;
    raw.row_streamable = info.encoding != io::MatrixInfo::Encoding::Csc;
    const io::CellReader* r = &reader;
    raw.read = [r](int64_t b, int64_t e) { return r->read_matrix("raw/X", b, e); };
    out.raw_X = take_streamed(raw, result.keep_cells, {}, true, cfg.chunk_rows);
    out.raw_var = reader.read_raw_var();
  }
  for (const auto& key : reader.obsm_keys()) {
    io::DenseMatrix full;
    try {
      full = reader.read_obsm(key);
    } catch (const io::FormatError& e) {
      spdlog::warn("obsm/{} is not a dense array and is not written to the filtered file ({})", key, e.what());
      continue;
    }
    io::DenseMatrix m;
    m.n_rows = static_cast<int64_t>(rows.size());
    m.n_cols = full.n_cols;
    m.data.reserve(static_cast<size_t>(m.n_rows * m.n_cols));
    for (int64_t r : rows)
      m.data.insert(m.data.end(), full.data.begin() + r * full.n_cols, full.data.begin() + (r + 1) * full.n_cols);
    out.obsm.emplace(key, std::move(m));
  }

  out.obs = io::take_rows(reader.read_obs(), rows);
  const CellMetrics& m = result.metrics;
  std::vector<double> total, mt, ribo, pct_mt, pct_ribo;
  std::vector<int64_t> genes;
  for (int64_t r : rows) {
    const auto u = static_cast<size_t>(r);
    total.push_back(m.total_counts[u]);
    genes.push_back(m.n_genes_by_counts[u]);
    mt.push_back(m.total_counts_mt[u]);
    ribo.push_back(m.total_counts_ribo[u]);
    pct_mt.push_back(100.0 * m.mt_fraction(r));
    pct_ribo.push_back(100.0 * m.ribo_fraction(r));
  }
  set_column(out.obs, integer_column("n_genes_by_counts", "int32", std::move(genes)));
  set_column(out.obs, numeric_column("total_counts", std::move(total)));
  set_column(out.obs, numeric_column("total_counts_mt", std::move(mt)));
  set_column(out.obs, numeric_column("pct_counts_mt", std::move(pct_mt)));
  set_column(out.obs, numeric_column("total_counts_ribo", std::move(ribo)));
  set_column(out.obs, numeric_column("pct_counts_ribo", std::move(pct_ribo)));

  out.var = io::take_rows(reader.read_var(), cols);
  if (!result.gene_n_cells_kept.empty())
    set_column(out.var, integer_column("n_cells_by_counts", "int64", io::pick(result.gene_n_cells_kept, cols)));
  if (result.dispersion) {
    set_column(out.var, numeric_column("means", io::pick(result.dispersion->means, cols)));
    set_column(out.var, numeric_column("dispersions", io::pick(result.dispersion->dispersions, cols)));
    set_column(out.var, numeric_column("dispersions_norm", io::pick(result.dispersion->dispersions_norm, cols)));
  }
  return out;
}

}  // namespace bmfm::data

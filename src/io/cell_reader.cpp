// open_cells(): h5ad or SOMA experiment, optionally narrowed by an obs filter.
#include "bmfm/io/cell_reader.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "bmfm/io/h5ad.h"
#include "bmfm/io/obs_filter.h"
#include "bmfm/io/soma.h"
#include "bmfm/io/tiledb.h"

namespace bmfm::io {

namespace {

// Rows `rows_` of another reader (an obs filter's selection); a scattered
// selection streams in bounded runs without reading the whole file at once.
class RowSelection : public CellReader {
 public:
  RowSelection(std::unique_ptr<CellReader> base, std::vector<int64_t> rows, std::string description)
      : base_(std::move(base)), rows_(std::move(rows)), description_(std::move(description)) {}

  const std::string& path() const override { return base_->path(); }
  std::string format() const override { return base_->format(); }
  int64_t n_obs() const override { return static_cast<int64_t>(rows_.size()); }
  int64_t n_vars() const override { return base_->n_vars(); }
  MatrixInfo matrix_info(const std::string& key) const override {
    MatrixInfo info = base_->matrix_info(key);
    info.n_rows = n_obs();
    info.nnz = -1;  // unknown without reading the selected rows
    return info;
  }
  bool has_matrix(const std::string& key) const override { return base_->has_matrix(key); }
  CsrMatrix read_matrix(const std::string& key, int64_t row_begin, int64_t row_end) const override {
    const int64_t n = n_obs();
    if (row_end < 0) row_end = n;
    if (row_begin < 0 || row_begin > row_end || row_end > n)
      throw std::out_of_range(fmt::format("{} ({}): rows [{}, {}) outside the {} selected cells", path(), description_,
                                          row_begin, row_end, n));
    CsrMatrix out;
    out.n_rows = row_end - row_begin;
    out.n_cols = n_vars();
    // Runs of nearby rows are read in one call (gaps of up to kGap rows are
    // read and dropped), each spanning at most kSpan rows of the base, so
    // memory stays bounded however the selection is spread.
    constexpr int64_t kGap = 256, kSpan = 4096;
    for (int64_t i = row_begin; i < row_end;) {
      int64_t j = i + 1;
      const int64_t start = rows_[static_cast<size_t>(i)];
      while (j < row_end && rows_[static_cast<size_t>(j)] - rows_[static_cast<size_t>(j - 1)] <= kGap &&
             rows_[static_cast<size_t>(j)] - start < kSpan)
        ++j;
      const int64_t first = rows_[static_cast<size_t>(i)];
      const CsrMatrix part = base_->read_matrix(key, first, rows_[static_cast<size_t>(j - 1)] + 1);
      for (int64_t k = i; k < j; ++k) {
        const auto r = static_cast<size_t>(rows_[static_cast<size_t>(k)] - first);
        out.indices.insert(out.indices.end(), part.indices.begin() + part.indptr[r], part.indices.begin() + part.indptr[r + 1]);
        out.data.insert(out.data.end(), part.data.begin() + part.indptr[r], part.data.begin() + part.indptr[r + 1]);
        out.indptr.push_back(static_cast<int64_t>(out.data.size()));
      }
      i = j;
    }
    return out;
  }
  DataFrame read_obs() const override { return take_rows(base_->read_obs(), rows_); }
  DataFrame read_obs_columns(const std::vector<std::string>& columns) const override {
    return take_rows(base_->read_obs_columns(columns), rows_);
  }
  DataFrame read_var() const override { return base_->read_var(); }
  bool has_raw() const override { return base_->has_raw(); }
  DataFrame read_raw_var() const override { return base_->read_raw_var(); }
  std::vector<std::string> layer_names() const override { return base_->layer_names(); }
  std::vector<std::string> obsm_keys() const override { return base_->obsm_keys(); }
  std::vector<std::string> unread_entries() const override { return base_->unread_entries(); }
  DenseMatrix read_obsm(const std::string& key) const override {
    const DenseMatrix full = base_->read_obsm(key);
    DenseMatrix m;
    m.n_rows = n_obs();
    m.n_cols = full.n_cols;
    m.data.reserve(static_cast<size_t>(m.n_rows * m.n_cols));
    for (int64_t r : rows_)
      m.data.insert(m.data.end(), full.data.begin() + r * full.n_cols, full.data.begin() + (r + 1) * full.n_cols);
    return m;
  }
  AnnData read_all() const override {
    AnnData ad;
    ad.X = read_matrix("X", 0, -1);
    ad.obs = read_obs();
    ad.var = read_var();
    for (const auto& l : layer_names()) ad.layers.emplace(l, read_matrix("layers/" + l, 0, -1));
    for (const auto& k : obsm_keys()) {
      try {
        ad.obsm.emplace(k, read_obsm(k));
      } catch (const FormatError& e) {
        spdlog::warn("{}", e.what());
      }
    }
    if (has_raw()) {
      ad.raw_X = read_matrix("raw/X", 0, -1);
      ad.raw_var = read_raw_var();
    }
    return ad;
  }

 private:
  std::unique_ptr<CellReader> base_;
  std::vector<int64_t> rows_;
  std::string description_;
};

}  // namespace

DataFrame CellReader::read_obs_columns(const std::vector<std::string>& columns) const {
  DataFrame obs = read_obs();
  for (const auto& name : columns)
    if (name != obs.index_name && !obs.find(name)) {
      std::string names;
      for (const auto& c : obs.columns) names += (names.empty() ? "" : ", ") + c.name;
      throw FormatError(fmt::format("{} has no obs column '{}' (its columns: {})", path(), name, names));
    }
  std::vector<Column> kept;
  for (auto& c : obs.columns)
    if (std::find(columns.begin(), columns.end(), c.name) != columns.end()) kept.push_back(std::move(c));
  obs.columns = std::move(kept);
  return obs;
}

bool is_soma_experiment(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec) || !tiledb::is_group(path)) return false;
  const auto md = tiledb::read_metadata(path);
  auto it = md.find("soma_object_type");
  return it != md.end() && it->second.as_string() == "SOMAExperiment";
}

std::unique_ptr<CellReader> open_cells(const std::string& path, const OpenOptions& options) {
  std::unique_ptr<CellReader> reader;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    if (is_soma_experiment(path)) {
      reader = std::make_unique<SomaExperiment>(path, options.measurement);
    } else if (tiledb::is_group(path) || tiledb::is_array(path)) {
      const auto md = tiledb::read_metadata(path);
      auto it = md.find("soma_object_type");
      throw FormatError(fmt::format("{}: a TileDB {} ({}), not a SOMA experiment; give the experiment folder (the one "
                                    "holding obs and ms)", path, tiledb::is_group(path) ? "group" : "array",
                                    it == md.end() ? "no soma_object_type" : "soma_object_type " + it->second.as_string()));
    } else {
      throw FormatError(path + ": a folder that is neither a SOMA experiment nor a TileDB object (expected an .h5ad "
                               "file or a TileDB-SOMA experiment folder)");
    }
  } else {
    if (!options.measurement.empty())
      throw FormatError(path + ": soma_measurement applies to SOMA experiments only, this is an h5ad file");
    reader = std::make_unique<H5adReader>(path);
  }
  if (options.obs_filter.empty()) return reader;
  const ObsFilter filter = ObsFilter::parse(options.obs_filter);
  const std::vector<uint8_t> pass = filter.evaluate(reader->read_obs_columns(filter.columns()), "obs of " + path);
  std::vector<int64_t> rows;
  for (size_t i = 0; i < pass.size(); ++i)
    if (pass[i]) rows.push_back(static_cast<int64_t>(i));
  spdlog::info("{}: obs filter \"{}\" selects {} of {} cells", path, options.obs_filter, rows.size(), pass.size());
  return select_rows(std::move(reader), std::move(rows), "obs filter \"" + options.obs_filter + "\"");
}

std::unique_ptr<CellReader> select_rows(std::unique_ptr<CellReader> base, std::vector<int64_t> rows,
                                        std::string description) {
  for (size_t i = 0; i < rows.size(); ++i)
    if (rows[i] < 0 || rows[i] >= base->n_obs() || (i && rows[i] <= rows[i - 1]))
      throw std::invalid_argument("select_rows: rows must be ascending positions in [0, " + std::to_string(base->n_obs()) + ")");
  return std::make_unique<RowSelection>(std::move(base), std::move(rows), std::move(description));
}

}  // namespace bmfm::io

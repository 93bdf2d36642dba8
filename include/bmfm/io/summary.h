// What `bmfm inspect` reports about an h5ad or 10x .h5 file, gathered without
// loading the whole matrix (only a sample of rows is read to judge counts).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "bmfm/io/anndata.h"
#include "bmfm/io/cell_reader.h"

namespace bmfm::io {

struct ColumnSummary {
  std::string name;
  std::string dtype;
  int64_t n_missing = 0;
  int64_t n_categories = -1;                                // categoricals / strings: distinct values
  std::vector<std::pair<std::string, int64_t>> top;         // most frequent values, descending
  double min = 0, max = 0;                                  // numeric columns
  std::string identifier;                                   // var only: "ensembl", "symbol" or ""
};

struct MatrixSummary {
  std::string key;  // X, layers/<name>, raw/X
  MatrixInfo info;
};

struct FileSummary {
  std::string path;
  std::string format;  // "h5ad", "10x-h5" or "soma"
  std::string obs_filter;  // the obs filter the counts describe ("" = all cells)
  int64_t n_obs = 0, n_vars = 0;
  std::vector<MatrixSummary> matrices;  // X first
  int64_t count_check_rows = 0;         // rows of X sampled for the counts check
  bool looks_like_counts = false;       // sampled values all finite, >= 0 and integral
  std::string counts_evidence;          // why not, e.g. "X[3, 17] = 0.693 is not an integer"
  std::string obs_index_name, var_index_name;
  std::vector<std::string> obs_index_head, var_index_head;
  std::string var_index_identifier;     // "ensembl", "symbol" or ""
  std::vector<ColumnSummary> obs, var;
  std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>> obsm;  // key -> shape
  std::vector<std::string> unread;  // entries bmfm does not read (uns, obsp, varm, ...)
};

// top: how many most-frequent values to keep per column; sample_rows: rows of X read for the counts check.
FileSummary summarize(const std::string& path, int top = 5, int64_t sample_rows = 1000, const OpenOptions& options = {});

std::string to_text(const FileSummary& s);
std::string to_json(const FileSummary& s);

}  // namespace bmfm::io

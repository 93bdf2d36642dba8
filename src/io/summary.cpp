#include "bmfm/io/summary.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <regex>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bmfm/io/h5ad.h"
#include "bmfm/io/tenx_h5.h"

namespace bmfm::io {

namespace {

// "ensembl" when most values look like Ensembl gene ids (ENSG..., ENSMUSG...),
// "symbol" when they are other non-numeric strings.
std::string identifier_kind(const std::vector<std::string>& values) {
  if (values.empty()) return "";
  static const std::regex ensembl("^ENS[A-Z]*G[0-9]{6,}(\\.[0-9]+)?$");
  size_t n = std::min<size_t>(values.size(), 2000), ens = 0, numeric = 0;
  for (size_t i = 0; i < n; ++i) {
    if (std::regex_match(values[i], ensembl)) ++ens;
    else if (!values[i].empty() && std::all_of(values[i].begin(), values[i].end(), ::isdigit)) ++numeric;
  }
  if (ens * 2 > n) return "ensembl";
  if (numeric * 2 > n) return "";
  return "symbol";
}

ColumnSummary summarize_column(const Column& c, int top, bool is_var) {
  ColumnSummary s;
  s.name = c.name;
  s.dtype = c.dtype;
  const int64_t n = c.size();
  for (int64_t i = 0; i < n; ++i) s.n_missing += c.is_missing(i) ? 1 : 0;
  auto keep_top = [&](std::map<std::string, int64_t>& counts) {
    s.n_categories = static_cast<int64_t>(counts.size());
    std::vector<std::pair<std::string, int64_t>> v(counts.begin(), counts.end());
    std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second > b.second; });
    if (static_cast<int>(v.size()) > top) v.resize(static_cast<size_t>(top));
    s.top = std::move(v);
  };
  if (c.kind == Column::Kind::Categorical) {
    std::vector<int64_t> per(c.categories.size(), 0);
    for (int32_t code : c.codes)
      if (code >= 0 && static_cast<size_t>(code) < per.size()) ++per[static_cast<size_t>(code)];
    std::map<std::string, int64_t> counts;
    for (size_t k = 0; k < per.size(); ++k) counts[c.categories[k]] = per[k];
    keep_top(counts);
    if (is_var) s.identifier = identifier_kind(c.categories);
  } else if (c.kind == Column::Kind::String || c.kind == Column::Kind::Boolean) {
    std::map<std::string, int64_t> counts;
    for (int64_t i = 0; i < n; ++i)
      if (!c.is_missing(i)) ++counts[c.text(i)];
    keep_top(counts);
    if (is_var && c.kind == Column::Kind::String) s.identifier = identifier_kind(c.strings);
  } else {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (int64_t i = 0; i < n; ++i) {
      if (c.is_missing(i)) continue;
      double v = c.kind == Column::Kind::Integer ? static_cast<double>(c.integer[static_cast<size_t>(i)])
                                                 : c.numeric[static_cast<size_t>(i)];
      if (std::isnan(v)) continue;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    s.min = std::isfinite(lo) ? lo : 0;
    s.max = std::isfinite(hi) ? hi : 0;
  }
  return s;
}

void check_counts(const CsrMatrix& X, FileSummary& s) {
  s.count_check_rows = X.n_rows;
  s.looks_like_counts = true;
  for (int64_t r = 0; r < X.n_rows; ++r) {
    for (int64_t k = X.indptr[static_cast<size_t>(r)]; k < X.indptr[static_cast<size_t>(r) + 1]; ++k) {
      float v = X.data[static_cast<size_t>(k)];
      if (!std::isfinite(v) || v < 0 || v != std::floor(v)) {
        s.looks_like_counts = false;
        s.counts_evidence = fmt::format("X[{}, {}] = {} is not a non-negative integer", r,
                                        X.indices[static_cast<size_t>(k)], v);
        return;
      }
    }
  }
  s.counts_evidence = fmt::format("all stored values of the first {} rows are non-negative integers", X.n_rows);
}

std::vector<std::string> head(const std::vector<std::string>& v, size_t n) {
  return {v.begin(), v.begin() + static_cast<long>(std::min(n, v.size()))};
}

void fill_frames(const DataFrame& obs, const DataFrame& var, int top, FileSummary& s) {
  s.obs_index_name = obs.index_name;
  s.var_index_name = var.index_name;
  s.obs_index_head = head(obs.index, 3);
  s.var_index_head = head(var.index, 3);
  s.var_index_identifier = identifier_kind(var.index);
  for (const auto& c : obs.columns) s.obs.push_back(summarize_column(c, top, false));
  for (const auto& c : var.columns) s.var.push_back(summarize_column(c, top, true));
}

}  // namespace

FileSummary summarize(const std::string& path, int top, int64_t sample_rows, const OpenOptions& options) {
  FileSummary s;
  s.path = path;
  if (is_tenx_h5(path)) {
    if (!options.obs_filter.empty()) throw FormatError(path + ": obs filters on 10x .h5 files are not supported yet");
    AnnData ad = read_tenx_h5(path);
    s.format = "10x-h5";
    s.n_obs = ad.n_obs();
    s.n_vars = ad.n_vars();
    MatrixInfo info;
    info.encoding = MatrixInfo::Encoding::Csc;  // CellRanger stores genes x cells CSC
    info.dtype = "int32";
    info.n_rows = s.n_obs;
    info.n_cols = s.n_vars;
    info.nnz = ad.X.nnz();
    s.matrices.push_back({"X", info});
    CsrMatrix sample = ad.X;
    check_counts(sample, s);
    fill_frames(ad.obs, ad.var, top, s);
    return s;
  }
  const auto reader = open_cells(path, options);
  s.format = reader->format();
  s.n_obs = reader->n_obs();
  s.n_vars = reader->n_vars();
  s.obs_filter = options.obs_filter;
  s.matrices.push_back({"X", reader->matrix_info("X")});
  for (const auto& layer : reader->layer_names()) s.matrices.push_back({"layers/" + layer, reader->matrix_info("layers/" + layer)});
  if (reader->has_raw()) s.matrices.push_back({"raw/X", reader->matrix_info("raw/X")});
  check_counts(reader->read_matrix("X", 0, std::min(s.n_obs, sample_rows)), s);
  fill_frames(reader->read_obs(), reader->read_var(), top, s);
  for (const auto& key : reader->obsm_keys()) {
    DenseMatrix m = reader->read_obsm(key);
    s.obsm.push_back({key, {m.n_rows, m.n_cols}});
  }
  s.unread = reader->unread_entries();
  return s;
}

std::string to_text(const FileSummary& s) {
  std::ostringstream out;
  out << fmt::format("{} ({})\n", s.path, s.format);
  out << fmt::format("  {} cells (obs) x {} genes (var){}\n", s.n_obs, s.n_vars,
                     s.obs_filter.empty() ? "" : " selected by obs filter \"" + s.obs_filter + "\"");
  for (const auto& m : s.matrices) {
    out << fmt::format("  {:<14} {} {} {}x{}, {}{}\n", m.key, to_string(m.info.encoding), m.info.dtype,
                       m.info.n_rows, m.info.n_cols,
                       m.info.nnz >= 0 ? std::to_string(m.info.nnz) + " stored" : "stored entries not counted",
                       m.info.compression.empty() ? "" : ", " + m.info.compression + "-compressed");
  }
  out << fmt::format("  X looks like raw counts: {} ({})\n", s.looks_like_counts ? "yes" : "no", s.counts_evidence);
  auto frame = [&](const char* name, const std::string& index_name, const std::vector<std::string>& idx,
                   const std::vector<ColumnSummary>& cols, const std::string& ident) {
    out << fmt::format("  {}: index '{}' [{}{}]{}\n", name, index_name, fmt::join(idx, ", "),
                       idx.size() < 3 ? "" : ", ...", ident.empty() ? "" : " (" + ident + " ids)");
    for (const auto& c : cols) {
      out << fmt::format("    {:<24} {:<9}", c.name, c.dtype);
      if (c.n_categories >= 0) {
        std::vector<std::string> tops;
        for (auto& [k, v] : c.top) tops.push_back(fmt::format("{} ({})", k.empty() ? "\"\"" : k, v));
        out << fmt::format(" {} values: {}{}", c.n_categories, fmt::join(tops, ", "),
                           c.n_categories > static_cast<int64_t>(c.top.size()) ? ", ..." : "");
      } else {
        out << fmt::format(" range [{:g}, {:g}]", c.min, c.max);
      }
      if (c.n_missing > 0) out << fmt::format(", {} missing", c.n_missing);
      if (!c.identifier.empty()) out << fmt::format("  <- {} ids", c.identifier);
      out << "\n";
    }
  };
  frame("obs", s.obs_index_name, s.obs_index_head, s.obs, "");
  frame("var", s.var_index_name, s.var_index_head, s.var, s.var_index_identifier);
  if (!s.obsm.empty()) {
    out << "  obsm:";
    for (auto& [k, shape] : s.obsm) out << fmt::format(" {} ({}x{})", k, shape.first, shape.second);
    out << "\n";
  }
  if (!s.unread.empty()) out << fmt::format("  not read by bmfm: {}\n", fmt::join(s.unread, ", "));
  return out.str();
}

std::string to_json(const FileSummary& s) {
  using nlohmann::json;
  json j;
  j["path"] = s.path;
  j["format"] = s.format;
  j["n_obs"] = s.n_obs;
  j["n_vars"] = s.n_vars;
  if (!s.obs_filter.empty()) j["obs_filter"] = s.obs_filter;
  j["unread"] = s.unread;
  j["matrices"] = json::array();
  for (const auto& m : s.matrices)
    j["matrices"].push_back({{"key", m.key},
                             {"encoding", to_string(m.info.encoding)},
                             {"dtype", m.info.dtype},
                             {"shape", {m.info.n_rows, m.info.n_cols}},
                             {"nnz", m.info.nnz},
                             {"compression", m.info.compression}});
  j["looks_like_counts"] = s.looks_like_counts;
  j["counts_evidence"] = s.counts_evidence;
  j["count_check_rows"] = s.count_check_rows;
  auto cols = [](const std::vector<ColumnSummary>& v) {
    json a = json::array();
    for (const auto& c : v) {
      json o = {{"name", c.name}, {"dtype", c.dtype}, {"n_missing", c.n_missing}};
      if (c.n_categories >= 0) {
        o["n_categories"] = c.n_categories;
        json t = json::array();
        for (auto& [k, n] : c.top) t.push_back({k, n});
        o["top"] = t;
      } else {
        o["min"] = c.min;
        o["max"] = c.max;
      }
      if (!c.identifier.empty()) o["identifier"] = c.identifier;
      a.push_back(o);
    }
    return a;
  };
  j["obs"] = {{"index", s.obs_index_name}, {"head", s.obs_index_head}, {"columns", cols(s.obs)}};
  j["var"] = {{"index", s.var_index_name},
              {"head", s.var_index_head},
              {"identifier", s.var_index_identifier},
              {"columns", cols(s.var)}};
  j["obsm"] = json::object();
  for (auto& [k, shape] : s.obsm) j["obsm"][k] = {shape.first, shape.second};
  return j.dump(2);
}

}  // namespace bmfm::io

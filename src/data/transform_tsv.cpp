#include "transform_tsv.h"

#include <algorithm>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

namespace bmfm::data::detail {

namespace {

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t tab = line.find('\t', start);
    std::string f = line.substr(start, tab == std::string::npos ? std::string::npos : tab - start);
    if (!f.empty() && f.back() == '\r') f.pop_back();
    if (f.size() >= 2 && f.front() == '"' && f.back() == '"') f = f.substr(1, f.size() - 2);
    out.push_back(std::move(f));
    if (tab == std::string::npos) break;
    start = tab + 1;
  }
  return out;
}

std::vector<std::string> read_header(std::ifstream& in, const std::string& path) {
  std::string line;
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open for reading", path));
  if (!std::getline(in, line)) throw std::runtime_error(fmt::format("{}: empty file (a header row is required)", path));
  return split_tabs(line);
}

}  // namespace

bool tsv_has_columns(const std::string& path, const std::vector<std::string>& names) {
  std::ifstream in(path);
  const auto header = read_header(in, path);
  for (const auto& n : names)
    if (std::find(header.begin(), header.end(), n) == header.end()) return false;
  return true;
}

TsvColumns read_tsv_columns(const std::string& path, const std::vector<std::string>& names) {
  std::ifstream in(path);
  TsvColumns t;
  t.header = read_header(in, path);
  std::vector<size_t> at;
  for (const auto& n : names) {
    auto it = std::find(t.header.begin(), t.header.end(), n);
    if (it == t.header.end())
      throw std::runtime_error(
          fmt::format("{}: no column '{}' in the header; it has: {}", path, n, fmt::join(t.header, ", ")));
    at.push_back(static_cast<size_t>(it - t.header.begin()));
  }
  t.columns.resize(names.size());
  std::string line;
  int64_t line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line == "\r") continue;
    const auto fields = split_tabs(line);
    for (size_t c = 0; c < at.size(); ++c) {
      if (at[c] >= fields.size())
        throw std::runtime_error(fmt::format("{}:{}: {} fields, but column '{}' is field {}", path, line_no,
                                             fields.size(), names[c], at[c] + 1));
      t.columns[c].push_back(fields[at[c]]);
    }
  }
  return t;
}

}  // namespace bmfm::data::detail

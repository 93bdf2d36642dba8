#include "bmfm/data/gene_table.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "bmfm/io/error.h"

namespace bmfm::data {

namespace {

bool all_digits(const std::string& s, size_t from, size_t to) {
  if (from >= to) return false;
  for (size_t i = from; i < to; ++i)
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

// One TSV field: strips a surrounding pair of double quotes and un-doubles "".
std::string unquote(const std::string& field) {
  if (field.size() < 2 || field.front() != '"' || field.back() != '"') return field;
  std::string out;
  out.reserve(field.size() - 2);
  for (size_t i = 1; i + 1 < field.size(); ++i) {
    out.push_back(field[i]);
    if (field[i] == '"' && i + 2 < field.size() && field[i + 1] == '"') ++i;
  }
  return out;
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> fields;
  size_t start = 0;
  while (true) {
    size_t tab = line.find('\t', start);
    fields.push_back(unquote(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start)));
    if (tab == std::string::npos) break;
    start = tab + 1;
  }
  return fields;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

bool looks_like_ensembl_id(const std::string& id) {
  if (id.size() < 5 || id.compare(0, 3, "ENS") != 0) return false;
  size_t i = 3;
  while (i < id.size() && std::isupper(static_cast<unsigned char>(id[i]))) ++i;
  if (i == 3) return false;  // at least the feature letter (G, T, P, E)
  size_t dot = id.find('.', i);
  if (dot == std::string::npos) return all_digits(id, i, id.size());
  return all_digits(id, i, dot) && all_digits(id, dot + 1, id.size());
}

std::string strip_ensembl_version(const std::string& id) {
  if (!looks_like_ensembl_id(id)) return id;
  size_t dot = id.find('.');
  return dot == std::string::npos ? id : id.substr(0, dot);
}

GeneTable GeneTable::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io::FormatError(fmt::format("gene table {}: cannot open the file", path));
  std::string line;
  int64_t line_no = 0;
  // Header: the first non-empty line.
  std::vector<std::string> header;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (line_no == 1 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);  // UTF-8 BOM
    header = split_tabs(line);
    break;
  }
  if (header.empty()) throw io::FormatError(fmt::format("gene table {}: the file is empty (expected a header line)", path));
  auto column = [&](const char* name) {
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return i;
    throw io::FormatError(fmt::format(
        "gene table {}: no column '{}' in the header (found: {}); a gene table needs the tab-separated columns "
        "symbol, ensembl_gene_id and locus_group",
        path, name, join(header)));
  };
  const size_t c_symbol = column("symbol"), c_ensembl = column("ensembl_gene_id"), c_group = column("locus_group");
  const size_t needed = std::max({c_symbol, c_ensembl, c_group}) + 1;

  std::vector<GeneRecord> records;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> f = split_tabs(line);
    if (f.size() < needed)
      throw io::FormatError(fmt::format("gene table {}: line {} has {} fields, expected at least {} (header: {})", path,
                                        line_no, f.size(), needed, join(header)));
    if (f[c_symbol].empty())
      throw io::FormatError(fmt::format("gene table {}: line {} has an empty symbol", path, line_no));
    records.push_back(GeneRecord{std::move(f[c_symbol]), strip_ensembl_version(f[c_ensembl]), std::move(f[c_group])});
  }
  if (in.bad()) throw io::FormatError(fmt::format("gene table {}: read error after line {}", path, line_no));
  return from_records(std::move(records), path);
}

GeneTable GeneTable::from_records(std::vector<GeneRecord> records, std::string source) {
  GeneTable t;
  t.source_ = std::move(source);
  t.records_ = std::move(records);
  for (size_t i = 0; i < t.records_.size(); ++i) {
    auto& r = t.records_[i];
    r.ensembl_id = strip_ensembl_version(r.ensembl_id);
    t.symbol_index_.emplace(r.symbol, static_cast<int32_t>(i));  // first row wins
    if (!r.ensembl_id.empty()) t.ensembl_index_[r.ensembl_id].push_back(static_cast<int32_t>(i));
  }
  return t;
}

const GeneRecord* GeneTable::by_symbol(const std::string& symbol) const {
  auto it = symbol_index_.find(symbol);
  return it == symbol_index_.end() ? nullptr : &records_[static_cast<size_t>(it->second)];
}

std::vector<const GeneRecord*> GeneTable::by_ensembl(const std::string& id) const {
  std::vector<const GeneRecord*> out;
  auto it = ensembl_index_.find(strip_ensembl_version(id));
  if (it != ensembl_index_.end())
    for (int32_t i : it->second) out.push_back(&records_[static_cast<size_t>(i)]);
  return out;
}

bool GeneTable::is_protein_coding(const std::string& id, Match match) const {
  if (match != Match::Ensembl) {
    if (const GeneRecord* r = by_symbol(id)) return r->protein_coding();
    if (match == Match::Symbol) return false;
  }
  for (const GeneRecord* r : by_ensembl(id))
    if (r->protein_coding()) return true;
  return false;
}

bool GeneTable::contains(const std::string& id, Match match) const {
  if (match != Match::Ensembl && by_symbol(id)) return true;
  if (match == Match::Symbol) return false;
  return ensembl_index_.count(strip_ensembl_version(id)) > 0;
}

std::vector<std::string> GeneTable::protein_coding_symbols() const {
  std::vector<std::string> out;
  for (const auto& r : records_)
    if (r.protein_coding()) out.push_back(r.symbol);
  return out;
}

GeneTable::Match parse_gene_match(const std::string& text) {
  if (text == "auto") return GeneTable::Match::Auto;
  if (text == "symbol") return GeneTable::Match::Symbol;
  if (text == "ensembl") return GeneTable::Match::Ensembl;
  throw std::invalid_argument("gene match '" + text + "' is not one of: auto, symbol, ensembl");
}

}  // namespace bmfm::data

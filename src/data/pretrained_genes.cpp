#include "bmfm/data/pretrained_genes.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

namespace bmfm::data {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(fmt::format("pretrained genes {}: {}", path, what));
}

std::ifstream open(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open for reading");
  return in;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    const size_t b = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    if (i > b) out.push_back(line.substr(b, i - b));
  }
  return out;
}

template <class T>
bool parse_all(std::string_view s, T& out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// Keeps gene -> line (1-based) so a duplicate names both places.
struct GeneIndex {
  std::unordered_map<std::string, int64_t> line_of;
  void add(const std::string& path, const std::string& gene, int64_t line) {
    auto [it, fresh] = line_of.emplace(gene, line);
    if (!fresh) fail(path, fmt::format("duplicate gene '{}' on lines {} and {}", gene, it->second, line));
  }
};

PretrainedGenes load_text(const std::string& path) {
  auto in = open(path);
  PretrainedGenes out;
  out.source = path;
  GeneIndex index;
  int64_t header_n = -1, header_line = 0, dim_line = 0;
  std::string line;
  for (int64_t ln = 1; std::getline(in, line); ++ln) {
    const auto fields = split_fields(line);
    if (fields.empty()) continue;
    int64_t n = 0, d = 0;
    if (header_line == 0 && out.genes.empty() && fields.size() == 2 && parse_all(fields[0], n) &&
        parse_all(fields[1], d)) {
      if (n < 1 || d < 1) fail(path, fmt::format("line {}: header '{} {}' must have N >= 1 and D >= 1", ln, n, d));
      header_n = n, header_line = ln, dim_line = ln, out.dim = d;
      continue;
    }
    const std::string gene(fields[0]);
    const auto found = static_cast<int64_t>(fields.size()) - 1;
    if (out.dim == 0) {
      if (found == 0) fail(path, fmt::format("line {}: gene '{}' has no values", ln, gene));
      out.dim = found, dim_line = ln;
    }
    if (found != out.dim)
      fail(path, fmt::format("line {}: gene '{}' has {} values, expected {} ({} on line {}); is the file truncated "
                             "or are there spaces inside a gene name?",
                             ln, gene, found, out.dim, header_line ? "the header" : "the first row", dim_line));
    index.add(path, gene, ln);
    for (size_t j = 1; j < fields.size(); ++j) {
      double v = 0;
      if (!parse_all(fields[j], v))
        fail(path, fmt::format("line {}: gene '{}' value {} '{}' is not a number", ln, gene, j, fields[j]));
      const auto f = static_cast<float>(v);
      if (!std::isfinite(f))
        fail(path, fmt::format("line {}: gene '{}' value {} '{}' is not finite as float32", ln, gene, j, fields[j]));
      out.values.push_back(f);
    }
    out.genes.push_back(gene);
  }
  if (in.bad()) fail(path, "read error");
  if (out.genes.empty()) fail(path, "no gene vectors found (expected lines 'GENE v1 ... vD')");
  if (header_n >= 0 && header_n != static_cast<int64_t>(out.genes.size()))
    fail(path, fmt::format("header on line {} declares {} genes but the file has {}", header_line, header_n,
                           out.genes.size()));
  return out;
}

// --- .npy ---------------------------------------------------------------------

struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> shape;
};

// The header is a Python dict literal as numpy writes it (repr), e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 200), }
std::string_view dict_value(const std::string& path, const std::string& dict, const char* key) {
  for (const char q : {'\'', '"'}) {
    const std::string k = fmt::format("{}{}{}", q, key, q);
    auto pos = dict.find(k);
    if (pos == std::string::npos) continue;
    pos = dict.find(':', pos + k.size());
    if (pos == std::string::npos) break;
    ++pos;
    while (pos < dict.size() && dict[pos] == ' ') ++pos;
    return std::string_view(dict).substr(pos);
  }
  fail(path, fmt::format("npy header {} has no '{}' key", dict, key));
}

NpyHeader parse_npy_header(const std::string& path, const std::string& dict) {
  NpyHeader h;
  auto descr = dict_value(path, dict, "descr");
  if (descr.empty() || (descr[0] != '\'' && descr[0] != '"') || descr.find(descr[0], 1) == std::string_view::npos)
    fail(path, fmt::format("npy header {}: 'descr' is not a quoted string", dict));
  h.descr = std::string(descr.substr(1, descr.find(descr[0], 1) - 1));
  auto fo = dict_value(path, dict, "fortran_order");
  if (fo.substr(0, 4) == "True")
    h.fortran_order = true;
  else if (fo.substr(0, 5) != "False")
    fail(path, fmt::format("npy header {}: 'fortran_order' is not True or False", dict));
  auto shape = dict_value(path, dict, "shape");
  const auto close = shape.find(')');
  if (shape.empty() || shape[0] != '(' || close == std::string_view::npos)
    fail(path, fmt::format("npy header {}: 'shape' is not a tuple", dict));
  std::string item;
  for (const char c : shape.substr(1, close - 1)) {
    if (c != ',') {
      if (c != ' ') item += c;
      continue;
    }
    int64_t v = 0;
    if (!parse_all(item, v) || v < 0) fail(path, fmt::format("npy header {}: bad 'shape' entry '{}'", dict, item));
    h.shape.push_back(v);
    item.clear();
  }
  int64_t v = 0;
  if (!item.empty()) {
    if (!parse_all(item, v) || v < 0) fail(path, fmt::format("npy header {}: bad 'shape' entry '{}'", dict, item));
    h.shape.push_back(v);
  }
  return h;
}

uint64_t read_le(const unsigned char* p, int n_bytes) {
  uint64_t v = 0;
  for (int i = n_bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::vector<std::string> read_gene_list(const std::string& path) {
  auto in = open(path);
  std::vector<std::string> genes;
  int64_t first_blank = 0;  // blank lines are allowed only at the end of the file
  std::string line;
  for (int64_t ln = 1; std::getline(in, line); ++ln) {
    const auto fields = split_fields(line);
    if (fields.empty()) {
      if (first_blank == 0) first_blank = ln;
      continue;
    }
    if (first_blank > 0)
      fail(path, fmt::format("line {} is blank; the gene list needs one name per line, one per .npy row", first_blank));
    if (fields.size() > 1)
      fail(path, fmt::format("line {}: '{}' is more than one field; expected one gene name per line", ln, line));
    genes.emplace_back(fields[0]);
  }
  if (in.bad()) fail(path, "read error");
  return genes;
}

PretrainedGenes load_npy(const std::string& path, const std::string& genes_file) {
  auto in = open(path);
  const std::string bytes(std::istreambuf_iterator<char>(in), {});
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    fail(path, "not a .npy file (no \\x93NUMPY magic); use a text file 'GENE v1 ... vD' or numpy.save");
  const int major = p[6];
  if (major < 1 || major > 3) fail(path, fmt::format("unsupported .npy format version {}.{}", major, p[7]));
  const size_t len_bytes = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + len_bytes) fail(path, "truncated .npy header");
  const size_t header_len = read_le(p + 8, static_cast<int>(len_bytes));
  const size_t data_at = 8 + len_bytes + header_len;
  if (bytes.size() < data_at) fail(path, "truncated .npy header");
  const auto h = parse_npy_header(path, bytes.substr(8 + len_bytes, header_len));
  if (h.descr != "<f4" && h.descr != "<f8")
    fail(path, fmt::format("dtype '{}' is not supported; expected little-endian float32 '<f4' or float64 '<f8' "
                           "(e.g. numpy.save(f, x.astype('<f4')))",
                           h.descr));
  if (h.fortran_order)
    fail(path, "fortran_order is True; save a C-ordered array (numpy.save(f, numpy.ascontiguousarray(x)))");
  if (h.shape.size() != 2 || h.shape[1] < 1)
    fail(path, fmt::format("shape ({}) is not (N genes, D) with D >= 1", fmt::join(h.shape, ", ")));
  const int64_t n = h.shape[0], d = h.shape[1];
  const int item = h.descr == "<f4" ? 4 : 8;
  if (n > std::numeric_limits<int64_t>::max() / d / item) fail(path, "shape is too large");
  const auto want = static_cast<size_t>(n * d * item);
  if (bytes.size() - data_at != want)
    fail(path, fmt::format("data is {} bytes but shape ({}, {}) of '{}' needs {}", bytes.size() - data_at, n, d,
                           h.descr, want));

  PretrainedGenes out;
  out.source = fmt::format("{} (genes {})", path, genes_file);
  out.dim = d;
  out.genes = read_gene_list(genes_file);
  if (static_cast<int64_t>(out.genes.size()) != n)
    fail(path, fmt::format("has {} rows but gene list {} has {} names", n, genes_file, out.genes.size()));
  if (n == 0) fail(path, "has no rows");
  GeneIndex index;
  for (int64_t r = 0; r < n; ++r) index.add(genes_file, out.genes[static_cast<size_t>(r)], r + 1);
  out.values.resize(static_cast<size_t>(n * d));
  for (size_t i = 0; i < out.values.size(); ++i) {
    const uint64_t bits = read_le(p + data_at + i * item, item);
    float f;
    if (item == 4) {
      const auto b32 = static_cast<uint32_t>(bits);
      std::memcpy(&f, &b32, 4);
    } else {
      double x;
      std::memcpy(&x, &bits, 8);
      f = static_cast<float>(x);
    }
    if (!std::isfinite(f)) {
      const auto r = static_cast<int64_t>(i) / d;
      fail(path, fmt::format("gene '{}' (line {} of {}) value {} is not finite as float32",
                             out.genes[static_cast<size_t>(r)], r + 1, genes_file, i % d + 1));
    }
    out.values[i] = f;
  }
  return out;
}

bool has_npy_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".npy";
}

}  // namespace

PretrainedGenes load_pretrained_genes(const std::string& path, const std::string& genes_file) {
  if (has_npy_extension(path)) {
    if (genes_file.empty())
      fail(path, "a .npy file holds only the matrix; pass its gene list (one name per row) as genes_file");
    return load_npy(path, genes_file);
  }
  if (!genes_file.empty())
    fail(path, fmt::format("genes_file {} is only used with .npy; a text file names the gene on each line",
                           genes_file));
  return load_text(path);
}

AlignedGeneEmbedding align_to_vocab(const PretrainedGenes& pretrained, const Vocab& vocab) {
  const auto& src = pretrained.source.empty() ? std::string("(in memory)") : pretrained.source;
  if (pretrained.dim < 1) fail(src, fmt::format("dim must be >= 1, got {}", pretrained.dim));
  const auto d = static_cast<size_t>(pretrained.dim);
  if (pretrained.values.size() != pretrained.genes.size() * d)
    fail(src, fmt::format("{} values for {} genes x dim {}", pretrained.values.size(), pretrained.genes.size(), d));
  std::unordered_map<std::string, size_t> row_of;
  row_of.reserve(pretrained.genes.size());
  for (size_t r = 0; r < pretrained.genes.size(); ++r) {
    auto [it, fresh] = row_of.emplace(pretrained.genes[r], r);
    if (!fresh) fail(src, fmt::format("duplicate gene '{}' in rows {} and {}", pretrained.genes[r], it->second, r));
  }
  AlignedGeneEmbedding out;
  out.dim = pretrained.dim;
  const auto n_tokens = static_cast<size_t>(vocab.size());
  out.values.assign(n_tokens * d, 0.0f);
  out.covered.assign(n_tokens, 0);
  for (int32_t id = vocab.n_special(); id < vocab.size(); ++id) {
    const auto it = row_of.find(vocab.token(id));
    if (it == row_of.end()) {
      if (out.missing_examples.size() < 10) out.missing_examples.push_back(vocab.token(id));
      continue;
    }
    std::copy_n(pretrained.values.begin() + static_cast<std::ptrdiff_t>(it->second * d), d,
                out.values.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(id) * d));
    out.covered[static_cast<size_t>(id)] = 1;
    ++out.n_covered;
  }
  return out;
}

}  // namespace bmfm::data

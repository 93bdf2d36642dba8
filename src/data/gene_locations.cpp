#include "bmfm/data/gene_locations.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "transform_tsv.h"

namespace bmfm::data {

namespace {

// Where the ends of an arm sit: beyond any band number HGNC uses (< 100).
constexpr double kTelomere = 1000.0;
// A bare arm ("1q") sits between the centromere and band 1.
constexpr double kBareArm = 0.5;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Natural chromosome order: numbers ascending, then X, Y, MT, then the rest by name.
struct ChromosomeLess {
  static int rank(const std::string& s, long& number) {
    if (!s.empty() && std::all_of(s.begin(), s.end(), is_digit) && s.size() < 9) {
      number = std::stol(s);
      return 0;
    }
    number = 0;
    if (s == "X") return 1;
    if (s == "Y") return 2;
    if (s == "MT") return 3;
    return 4;
  }
  bool operator()(const std::string& a, const std::string& b) const {
    long na, nb;
    const int ra = rank(a, na), rb = rank(b, nb);
    if (ra != rb) return ra < rb;
    if (ra == 0) return na < nb;
    return a < b;
  }
};

// Assigns codes in natural order to every chromosome name in `names`.
GeneLocations empty_locations(const Vocab& vocab, const std::vector<std::string>& names) {
  GeneLocations loc;
  loc.chromosome.assign(static_cast<size_t>(vocab.size()), -1);
  loc.position.assign(static_cast<size_t>(vocab.size()), 0.0);
  std::vector<std::string> distinct;
  for (const auto& n : names)
    if (!n.empty()) distinct.push_back(n);
  std::sort(distinct.begin(), distinct.end(), ChromosomeLess());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  if (distinct.size() > 32000)
    throw std::invalid_argument(
        fmt::format("gene locations: {} distinct chromosome names (at most 32000)", distinct.size()));
  loc.chromosome_names = std::move(distinct);
  return loc;
}

int16_t code_of(const GeneLocations& loc, const std::string& name) {
  auto it = std::lower_bound(loc.chromosome_names.begin(), loc.chromosome_names.end(), name, ChromosomeLess());
  return static_cast<int16_t>(it - loc.chromosome_names.begin());
}

}  // namespace

std::string normalize_chromosome(std::string_view name) {
  std::string s(name);
  if (s.size() > 3 && (s.compare(0, 3, "chr") == 0 || s.compare(0, 3, "Chr") == 0 || s.compare(0, 3, "CHR") == 0))
    s = s.substr(3);
  if (s == "M" || s == "MT" || s == "mitochondria" || s == "Mt") return "MT";
  return s;
}

std::optional<CytobandKey> parse_cytoband(std::string_view loc) {
  while (!loc.empty() && std::isspace(static_cast<unsigned char>(loc.front()))) loc.remove_prefix(1);
  if (loc.empty()) return std::nullopt;
  if (loc.substr(0, 12) == "mitochondria") return CytobandKey{"MT", 0.0};
  size_t i = 0;
  std::string chrom;
  if (is_digit(loc[0])) {
    while (i < loc.size() && is_digit(loc[i])) ++i;
    chrom = std::string(loc.substr(0, i));
  } else if (loc[0] == 'X' || loc[0] == 'Y') {
    chrom = std::string(1, loc[0]);
    i = 1;
  } else {
    return std::nullopt;  // "reserved", "unplaced", "not on reference assembly", ...
  }
  // The chromosome must be followed by an arm, "cen", or the end of the first token.
  const std::string_view rest = loc.substr(i);
  if (rest.empty() || rest.front() == ' ' || rest.front() == ',') return CytobandKey{chrom, 0.0};
  if (rest.substr(0, 3) == "cen") return CytobandKey{chrom, 0.0};
  const char arm = rest.front();
  if (arm != 'p' && arm != 'q') return std::nullopt;
  const double sign = arm == 'p' ? -1.0 : 1.0;
  const std::string_view band = rest.substr(1);
  if (band.substr(0, 3) == "ter") return CytobandKey{chrom, sign * kTelomere};
  size_t j = 0;
  while (j < band.size() && (is_digit(band[j]) || band[j] == '.')) ++j;
  if (j == 0) return CytobandKey{chrom, sign * kBareArm};
  std::string number(band.substr(0, j));
  if (number.back() == '.') number.pop_back();
  // The decimal reading orders bands correctly along an arm: a bigger number
  // is further from the centromere (p36.33 > p36.1 > p35, q11 < q21.1 < q21.2).
  return CytobandKey{chrom, sign * std::stod(number)};
}

int64_t GeneLocations::n_located() const {
  return std::count_if(chromosome.begin(), chromosome.end(), [](int16_t c) { return c >= 0; });
}

GeneLocations GeneLocations::from_positions(const Vocab& vocab, const std::vector<std::string>& genes,
                                            const std::vector<std::string>& chromosomes,
                                            const std::vector<double>& starts) {
  if (genes.size() != chromosomes.size() || genes.size() != starts.size())
    throw std::invalid_argument(fmt::format("gene locations: {} genes, {} chromosomes and {} starts (must be equal)",
                                            genes.size(), chromosomes.size(), starts.size()));
  std::vector<std::string> names(chromosomes.size());
  for (size_t i = 0; i < chromosomes.size(); ++i) names[i] = normalize_chromosome(chromosomes[i]);
  GeneLocations loc = empty_locations(vocab, names);
  for (size_t i = 0; i < genes.size(); ++i) {
    const int32_t id = vocab.id(genes[i]);
    if (id < vocab.n_special() || names[i].empty()) continue;
    if (loc.chromosome[static_cast<size_t>(id)] >= 0) continue;  // first row wins
    if (!std::isfinite(starts[i]))
      throw std::invalid_argument(fmt::format("gene locations: gene '{}' has a non-finite start", genes[i]));
    loc.chromosome[static_cast<size_t>(id)] = code_of(loc, names[i]);
    loc.position[static_cast<size_t>(id)] = starts[i];
  }
  return loc;
}

GeneLocations GeneLocations::from_cytobands(const Vocab& vocab, const std::vector<std::string>& genes,
                                            const std::vector<std::string>& locations) {
  if (genes.size() != locations.size())
    throw std::invalid_argument(
        fmt::format("gene locations: {} genes but {} locations (must be equal)", genes.size(), locations.size()));
  std::vector<std::optional<CytobandKey>> keys(locations.size());
  std::vector<std::string> names;
  for (size_t i = 0; i < locations.size(); ++i) {
    keys[i] = parse_cytoband(locations[i]);
    if (keys[i]) names.push_back(keys[i]->chromosome);
  }
  GeneLocations loc = empty_locations(vocab, names);
  for (size_t i = 0; i < genes.size(); ++i) {
    const int32_t id = vocab.id(genes[i]);
    if (id < vocab.n_special() || !keys[i]) continue;
    if (loc.chromosome[static_cast<size_t>(id)] >= 0) continue;
    loc.chromosome[static_cast<size_t>(id)] = code_of(loc, keys[i]->chromosome);
    loc.position[static_cast<size_t>(id)] = keys[i]->position;
  }
  return loc;
}

GeneLocations load_gene_locations(const std::string& path, const Vocab& vocab, const std::string& gene_column) {
  if (detail::tsv_has_columns(path, {gene_column, "chromosome", "start"})) {
    auto t = detail::read_tsv_columns(path, {gene_column, "chromosome", "start"});
    std::vector<double> starts(t.columns[2].size());
    for (size_t i = 0; i < starts.size(); ++i) {
      const auto& s = t.columns[2][i];
      try {
        size_t used = 0;
        starts[i] = std::stod(s, &used);
        if (used != s.size()) throw std::invalid_argument(s);
      } catch (const std::exception&) {
        throw std::runtime_error(fmt::format("{}: row {}: start '{}' is not a number", path, i + 2, s));
      }
    }
    return GeneLocations::from_positions(vocab, t.columns[0], t.columns[1], starts);
  }
  if (detail::tsv_has_columns(path, {gene_column, "location"})) {
    auto t = detail::read_tsv_columns(path, {gene_column, "location"});
    return GeneLocations::from_cytobands(vocab, t.columns[0], t.columns[1]);
  }
  // Neither layout: let the reader name what is missing and list the header.
  detail::read_tsv_columns(path, {gene_column, "location"});
  throw std::runtime_error(fmt::format("{}: needs columns chromosome + start, or location", path));
}

}  // namespace bmfm::data

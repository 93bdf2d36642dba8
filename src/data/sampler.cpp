#include "bmfm/data/sampler.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <stdexcept>
#include <unordered_map>

#include <fmt/format.h>

#include "bmfm/config/error.h"
#include "bmfm/data/random.h"
#include "bmfm/io/error.h"

namespace bmfm::data {

namespace {

// Stream ids of the seeded generators, so that e.g. the stratum order and the
// draws inside stratum 0 never share a stream.
constexpr uint64_t kStreamUniform = 1;
constexpr uint64_t kStreamStrataOrder = 2;
constexpr uint64_t kStreamFirstStratum = 16;

// The first k entries of v become a uniformly random k-subset, in random order
// (partial Fisher-Yates).
void partial_shuffle(std::vector<int64_t>& v, int64_t k, Rng& rng) {
  const int64_t n = static_cast<int64_t>(v.size());
  k = std::min(k, n);
  for (int64_t i = 0; i < k; ++i) {
    int64_t j = i + rng.uniform_int(n - i);
    std::swap(v[static_cast<size_t>(i)], v[static_cast<size_t>(j)]);
  }
}

std::vector<int64_t> take_sorted(std::vector<int64_t> v, int64_t k, Rng& rng) {
  partial_shuffle(v, k, rng);
  v.resize(static_cast<size_t>(std::min<int64_t>(k, static_cast<int64_t>(v.size()))));
  std::sort(v.begin(), v.end());
  return v;
}

constexpr const char* kMissing = "<NA>";

// Per candidate row, an id of the column's value; ids follow the ascending
// order of the values' text, missing last.
struct ColumnCodes {
  std::vector<int32_t> ids;
  std::vector<std::string> values;  // per id
  int32_t missing_id = -1;          // -1 when no value is missing
};

ColumnCodes column_codes(const io::Column& col, const std::vector<int64_t>& rows) {
  ColumnCodes out;
  out.ids.resize(rows.size());
  std::vector<std::string> text(rows.size());
  std::vector<uint8_t> missing(rows.size(), 0);
  for (size_t i = 0; i < rows.size(); ++i) {
    if (col.is_missing(rows[i]))
      missing[i] = 1;
    else
      text[i] = col.text(rows[i]);
  }
  std::map<std::string, int32_t> distinct;
  for (size_t i = 0; i < rows.size(); ++i)
    if (!missing[i]) distinct.emplace(text[i], 0);
  for (auto& [value, id] : distinct) {
    id = static_cast<int32_t>(out.values.size());
    out.values.push_back(value);
  }
  if (std::find(missing.begin(), missing.end(), 1) != missing.end()) {
    out.missing_id = static_cast<int32_t>(out.values.size());
    out.values.push_back(kMissing);
  }
  for (size_t i = 0; i < rows.size(); ++i) out.ids[i] = missing[i] ? out.missing_id : distinct.at(text[i]);
  return out;
}

}  // namespace

int64_t target_size(int64_t n, double fraction) {
  if (!(fraction >= 0 && fraction <= 1))
    throw std::invalid_argument(fmt::format("sampling fraction must be in [0, 1], got {}", fraction));
  return std::min<int64_t>(n, std::llround(fraction * static_cast<double>(n)));
}

std::vector<std::vector<int64_t>> Strata::members() const {
  std::vector<std::vector<int64_t>> out(names.size());
  for (size_t i = 0; i < sizes.size(); ++i) out[i].reserve(static_cast<size_t>(sizes[i]));
  for (size_t i = 0; i < rows.size(); ++i) out[static_cast<size_t>(group[i])].push_back(rows[i]);
  return out;
}

Strata make_strata(const io::DataFrame& obs, const std::vector<std::string>& columns, const std::vector<int64_t>& rows) {
  if (columns.empty()) throw std::invalid_argument("strata need at least one obs column");
  Strata s;
  s.columns = columns;
  if (rows.empty()) {
    s.rows.resize(static_cast<size_t>(obs.n_rows()));
    std::iota(s.rows.begin(), s.rows.end(), int64_t{0});
  } else {
    s.rows = rows;
    if (!std::is_sorted(s.rows.begin(), s.rows.end())) std::sort(s.rows.begin(), s.rows.end());
    if (s.rows.front() < 0 || s.rows.back() >= obs.n_rows())
      throw std::out_of_range(fmt::format("strata: row {} outside obs' {} rows",
                                          s.rows.front() < 0 ? s.rows.front() : s.rows.back(), obs.n_rows()));
  }
  std::vector<ColumnCodes> codes;
  for (const auto& name : columns) {
    const io::Column* col = obs.find(name);
    if (!col) {
      std::string have;
      for (const auto& c : obs.columns) have += (have.empty() ? "" : ", ") + c.name;
      throw io::FormatError(fmt::format("sampling strata: obs has no column '{}'; its columns are: {}", name,
                                        have.empty() ? "(none)" : have));
    }
    codes.push_back(column_codes(*col, s.rows));
  }
  // Value tuples -> one integer key, mixed radix (keeps the tuples' order).
  // Falls back to tuple keys if the radix product would not fit 64 bits.
  const size_t n = s.rows.size();
  bool fits = true;
  unsigned __int128 product = 1;
  for (const auto& c : codes) {
    product *= std::max<size_t>(1, c.values.size());
    if (product > UINT64_MAX) fits = false;
  }
  std::vector<std::vector<int32_t>> tuples;  // per stratum, in ascending order
  s.group.resize(n);
  if (fits) {
    std::vector<uint64_t> key(n, 0);
    for (const auto& c : codes)
      for (size_t i = 0; i < n; ++i) key[i] = key[i] * std::max<size_t>(1, c.values.size()) + static_cast<uint64_t>(c.ids[i]);
    std::vector<uint64_t> distinct = key;
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    std::unordered_map<uint64_t, int32_t> index;
    index.reserve(distinct.size());
    for (size_t g = 0; g < distinct.size(); ++g) index.emplace(distinct[g], static_cast<int32_t>(g));
    for (size_t i = 0; i < n; ++i) s.group[i] = index.at(key[i]);
    tuples.resize(distinct.size());
    std::vector<uint8_t> seen(distinct.size(), 0);
    for (size_t i = 0; i < n; ++i) {
      auto g = static_cast<size_t>(s.group[i]);
      if (seen[g]) continue;
      seen[g] = 1;
      for (const auto& c : codes) tuples[g].push_back(c.ids[i]);
    }
  } else {
    std::map<std::vector<int32_t>, int32_t> index;
    std::vector<int32_t> t(codes.size());
    for (size_t i = 0; i < n; ++i) {
      for (size_t c = 0; c < codes.size(); ++c) t[c] = codes[c].ids[i];
      index.emplace(t, 0);
    }
    for (auto& [tuple, g] : index) {
      g = static_cast<int32_t>(tuples.size());
      tuples.push_back(tuple);
    }
    for (size_t i = 0; i < n; ++i) {
      for (size_t c = 0; c < codes.size(); ++c) t[c] = codes[c].ids[i];
      s.group[i] = index.at(t);
    }
  }
  s.sizes.assign(tuples.size(), 0);
  for (int32_t g : s.group) ++s.sizes[static_cast<size_t>(g)];
  for (const auto& tuple : tuples) {
    std::string name;
    bool missing = false;
    for (size_t c = 0; c < codes.size(); ++c) {
      if (c) name += " | ";
      name += codes[c].values[static_cast<size_t>(tuple[c])];
      missing = missing || tuple[c] == codes[c].missing_id;
    }
    s.names.push_back(std::move(name));
    s.has_missing.push_back(missing ? 1 : 0);
  }
  return s;
}

std::vector<int64_t> sample_uniform(const std::vector<int64_t>& rows, int64_t target, uint64_t seed) {
  if (target < 0) throw std::invalid_argument(fmt::format("uniform sampling: target {} is negative", target));
  Rng rng(seed, kStreamUniform);
  return take_sorted(rows, target, rng);
}

std::vector<int64_t> sample_uniform(int64_t n_rows, int64_t target, uint64_t seed) {
  std::vector<int64_t> rows(static_cast<size_t>(n_rows));
  std::iota(rows.begin(), rows.end(), int64_t{0});
  return sample_uniform(rows, target, seed);
}

std::vector<int64_t> equal_allocation(const std::vector<int64_t>& sizes, int64_t target, uint64_t seed) {
  if (target < 0) throw std::invalid_argument(fmt::format("equal downsampling: target {} is negative", target));
  const int64_t total = std::accumulate(sizes.begin(), sizes.end(), int64_t{0});
  if (target >= total) return sizes;
  // Round-robin with one cell per open stratum per round ends, after `cap`
  // full rounds, with every stratum at min(size, cap); cap is the largest
  // number of full rounds that fits the target.
  auto taken = [&](int64_t cap) {
    int64_t t = 0;
    for (int64_t s : sizes) t += std::min(s, cap);
    return t;
  };
  int64_t lo = 0, hi = *std::max_element(sizes.begin(), sizes.end());
  while (lo < hi) {  // largest cap with taken(cap) <= target
    int64_t mid = lo + (hi - lo + 1) / 2;
    if (taken(mid) <= target)
      lo = mid;
    else
      hi = mid - 1;
  }
  const int64_t cap = lo;
  std::vector<int64_t> alloc(sizes.size());
  for (size_t g = 0; g < sizes.size(); ++g) alloc[g] = std::min(sizes[g], cap);
  int64_t left = target - taken(cap);  // < number of strata larger than cap
  // The last, partial round visits the strata in a seeded random order.
  std::vector<int64_t> order(sizes.size());
  std::iota(order.begin(), order.end(), int64_t{0});
  Rng rng(seed, kStreamStrataOrder);
  partial_shuffle(order, static_cast<int64_t>(order.size()), rng);
  for (int64_t g : order) {
    if (left == 0) break;
    if (sizes[static_cast<size_t>(g)] > cap) {
      ++alloc[static_cast<size_t>(g)];
      --left;
    }
  }
  return alloc;
}

std::vector<int64_t> sample_equal(const Strata& strata, int64_t target, uint64_t seed) {
  const std::vector<int64_t> alloc = equal_allocation(strata.sizes, target, seed);
  auto members = strata.members();
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(std::min<int64_t>(target, static_cast<int64_t>(strata.rows.size()))));
  for (size_t g = 0; g < members.size(); ++g) {
    Rng rng(seed, kStreamFirstStratum + g);
    auto picked = take_sorted(std::move(members[g]), alloc[g], rng);
    out.insert(out.end(), picked.begin(), picked.end());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<int64_t> sample_balanced(const Strata& strata, int64_t n_per_class, bool replace, uint64_t seed) {
  if (n_per_class < 0)
    throw std::invalid_argument(fmt::format("balanced sampling: n_per_class {} is negative", n_per_class));
  auto members = strata.members();
  std::vector<int64_t> out;
  for (size_t g = 0; g < members.size(); ++g) {
    if (strata.has_missing[g] || members[g].empty()) continue;
    Rng rng(seed, kStreamFirstStratum + g);
    if (replace) {
      const auto size = static_cast<int64_t>(members[g].size());
      for (int64_t i = 0; i < n_per_class; ++i) out.push_back(members[g][static_cast<size_t>(rng.uniform_int(size))]);
    } else {
      auto picked = take_sorted(std::move(members[g]), n_per_class, rng);
      out.insert(out.end(), picked.begin(), picked.end());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

const config::Schema<SampleConfig>& sample_schema() {
  using C = SampleConfig;
  static const auto schema =
      config::Schema<C>("sample")
          .field("method", &C::method, "none | uniform | equal (round-robin over strata) | balanced (n per class)")
          .field("fraction", &C::fraction, "uniform / equal: keep round(fraction * N) cells (0 = use n)")
          .field("n", &C::n, "uniform / equal: keep exactly n cells (instead of fraction)")
          .field("columns", &C::columns, "equal: obs columns whose value combinations are the strata; balanced: the class column(s)")
          .field("n_per_class", &C::n_per_class, "balanced: cells per class")
          .field("replace", &C::replace, "balanced: draw with replacement (every class gets exactly n_per_class)")
          .check([](const C& c, const config::Config& cfg, const std::string& prefix) {
            config::require_one_of(cfg, prefix + "method", c.method, {"none", "uniform", "equal", "balanced"});
            if (!(c.fraction >= 0 && c.fraction <= 1))
              config::fail(cfg, prefix + "fraction", fmt::format("must be in [0, 1], got {}", c.fraction));
            if (c.n < 0) config::fail(cfg, prefix + "n", fmt::format("must be >= 0, got {}", c.n));
            if (c.method == "uniform" || c.method == "equal") {
              if (c.fraction > 0 && c.n > 0)
                config::fail(cfg, prefix + "n", "set either fraction or n, not both");
              if (c.fraction == 0 && c.n == 0)
                config::fail(cfg, prefix + "fraction", "method " + c.method + " needs fraction (0 < f <= 1) or n > 0");
            }
            if ((c.method == "equal" || c.method == "balanced") && c.columns.empty())
              config::fail(cfg, prefix + "columns", "method " + c.method + " needs at least one obs column");
            if (c.method == "balanced" && c.n_per_class <= 0)
              config::fail(cfg, prefix + "n_per_class", "method balanced needs n_per_class > 0");
          });
  return schema;
}

std::vector<int64_t> sample_rows(const SampleConfig& cfg, const io::DataFrame& obs, const std::vector<int64_t>& rows,
                                 uint64_t seed, SampleOutcome* outcome) {
  SampleOutcome o;
  o.method = cfg.method;
  o.n_before = static_cast<int64_t>(rows.size());
  std::vector<int64_t> out;
  const int64_t n = static_cast<int64_t>(rows.size());
  const int64_t target = cfg.n > 0 ? std::min(cfg.n, n) : target_size(n, cfg.fraction);
  if (cfg.method == "none") {
    out = rows;
    o.target = n;
  } else if (cfg.method == "uniform") {
    out = sample_uniform(rows, target, seed);
    o.target = target;
  } else if (cfg.method == "equal" || cfg.method == "balanced") {
    if (rows.empty()) {
      o.target = 0;
    } else {
      Strata strata = make_strata(obs, cfg.columns, rows);
      if (cfg.method == "equal") {
        out = sample_equal(strata, target, seed);
        o.target = target;
      } else {
        out = sample_balanced(strata, cfg.n_per_class, cfg.replace, seed);
        o.target = static_cast<int64_t>(out.size());
      }
      o.strata_names = strata.names;
      o.strata_before = strata.sizes;
      o.strata_after.assign(strata.sizes.size(), 0);
      for (int64_t r : out) {  // strata.rows is ascending
        auto at = std::lower_bound(strata.rows.begin(), strata.rows.end(), r) - strata.rows.begin();
        ++o.strata_after[static_cast<size_t>(strata.group[static_cast<size_t>(at)])];
      }
    }
  } else {
    throw ConfigError("sample.method '" + cfg.method + "' is not one of: none, uniform, equal, balanced");
  }
  o.n_after = static_cast<int64_t>(out.size());
  if (outcome) *outcome = std::move(o);
  return out;
}

}  // namespace bmfm::data

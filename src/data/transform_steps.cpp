#include "bmfm/data/transform_steps.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <stdexcept>

#include <fmt/format.h>

#include "log1p_normalize.h"
#include "radix_sort.h"

namespace bmfm::data {

// ---- containers ------------------------------------------------------------------

void GeneSeq::clear() {
  genes.clear();
  raw.clear();
  values.clear();
}

void GeneSeq::assign(const int32_t* g, const float* raw_values, size_t n) {
  genes.assign(g, g + n);
  raw.assign(raw_values, raw_values + n);
  values.assign(raw_values, raw_values + n);
}

void GeneSeq::push_back(int32_t g, float r, float v) {
  genes.push_back(g);
  raw.push_back(r);
  values.push_back(v);
}

void GeneSeq::truncate(size_t n) {
  if (n >= genes.size()) return;
  genes.resize(n);
  raw.resize(n);
  values.resize(n);
}

GeneSet::GeneSet(int32_t vocab_size) : member_(static_cast<size_t>(std::max(vocab_size, 0)), 0) {}

void GeneSet::clear() {
  for (int32_t g : genes_) member_[static_cast<size_t>(g)] = 0;
  genes_.clear();
}

void GeneSet::insert(int32_t gene) {
  if (gene < 0 || gene >= vocab_size())
    throw std::out_of_range(fmt::format("GeneSet: gene id {} outside a vocabulary of {}", gene, vocab_size()));
  uint8_t& m = member_[static_cast<size_t>(gene)];
  if (!m) {
    m = 1;
    genes_.push_back(gene);
  }
}

void GeneSet::insert_expressed(const int32_t* genes, const float* values, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (values[i] != 0.0f) insert(genes[i]);
}

namespace {

// seq := seq[order[0..n)], through scratch.tmp so no buffer is reallocated once warm.
void apply_order(GeneSeq& seq, const uint32_t* order, size_t n, StepScratch& scratch) {
  GeneSeq& t = scratch.tmp;
  t.genes.resize(n);
  t.raw.resize(n);
  t.values.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const uint32_t k = order[i];
    t.genes[i] = seq.genes[k];
    t.raw[i] = seq.raw[k];
    t.values[i] = seq.values[k];
  }
  std::swap(seq.genes, t.genes);
  std::swap(seq.raw, t.raw);
  std::swap(seq.values, t.values);
}

std::vector<uint32_t>& identity(StepScratch& scratch, size_t n) {
  scratch.order.resize(n);
  std::iota(scratch.order.begin(), scratch.order.end(), 0u);
  return scratch.order;
}

// Keeps the positions where keep(i) is true, in order.
template <class Keep>
void compact(GeneSeq& seq, Keep keep) {
  size_t w = 0;
  for (size_t i = 0; i < seq.size(); ++i) {
    if (!keep(i)) continue;
    seq.genes[w] = seq.genes[i];
    seq.raw[w] = seq.raw[i];
    seq.values[w] = seq.values[i];
    ++w;
  }
  seq.truncate(w);
}

}  // namespace

// ---- (1) normalisation -----------------------------------------------------------

void scale_by_gene_medians(GeneSeq& seq, const std::vector<float>& gene_medians) {
  compact(seq, [&](size_t i) {
    const auto g = static_cast<size_t>(seq.genes[i]);
    return g < gene_medians.size() && gene_medians[g] > 0.0f;  // NaN compares false
  });
  for (size_t i = 0; i < seq.size(); ++i)
    seq.values[i] = static_cast<float>(static_cast<double>(seq.values[i]) /
                                       static_cast<double>(gene_medians[static_cast<size_t>(seq.genes[i])]));
}

void normalize_log1p(GeneSeq& seq, double target_sum) {
  double total = 0;
  for (float v : seq.values) total += v;
  if (!(total > 0)) {
    std::fill(seq.values.begin(), seq.values.end(), 0.0f);
    return;
  }
  detail::log1p_normalize(seq.values.data(), seq.size(), total, target_sum, seq.values.data());
}

double median_of(std::vector<double> totals) {
  if (totals.empty()) throw std::invalid_argument("median_of: no values (median scaling needs at least one cell)");
  const size_t n = totals.size();
  auto mid = totals.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(totals.begin(), mid, totals.end());
  const double upper = *mid;
  if (n % 2 == 1) return upper;
  const double lower = *std::max_element(totals.begin(), mid);
  return (lower + upper) / 2.0;
}

// ---- (2) ordering ------------------------------------------------------------------

void order_random(GeneSeq& seq, Rng& rng, StepScratch&) {
  const size_t n = seq.size();
  for (size_t i = n; i > 1; --i) {
    const auto j = static_cast<size_t>(rng.uniform_int(static_cast<int64_t>(i)));
    std::swap(seq.genes[i - 1], seq.genes[j]);
    std::swap(seq.raw[i - 1], seq.raw[j]);
    std::swap(seq.values[i - 1], seq.values[j]);
  }
}

void order_by_expression(GeneSeq& seq, StepScratch& scratch) {
  // One 64-bit key per position: the bits of a non-negative float order like
  // the float, so (~bits, gene) ascending is (value descending, gene ascending).
  const size_t n = seq.size();
  auto& keyed = scratch.keyed;
  keyed.resize(n);
  for (size_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &seq.values[i], sizeof bits);
    keyed[i] = {(static_cast<uint64_t>(~bits) << 32) | static_cast<uint32_t>(seq.genes[i]), static_cast<uint32_t>(i)};
  }
  detail::radix_sort(
      keyed, scratch.keyed_tmp, [](const std::pair<uint64_t, uint32_t>& x) { return x.first; }, 8);
  auto& order = scratch.order;
  order.resize(n);
  for (size_t i = 0; i < n; ++i) order[i] = keyed[i].second;
  apply_order(seq, order.data(), n, scratch);
}

void order_by_rank(GeneSeq& seq, const std::vector<float>& rank, StepScratch& scratch) {
  auto& order = identity(scratch, seq.size());
  const int32_t* g = seq.genes.data();
  auto rank_of = [&rank](int32_t gene) {
    const auto i = static_cast<size_t>(gene);
    return i < rank.size() ? rank[i] : std::nanf("");
  };
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    const float ra = rank_of(g[a]), rb = rank_of(g[b]);
    const bool na = std::isnan(ra), nb = std::isnan(rb);
    if (na != nb) return nb;  // ranked before unranked
    if (!na && ra != rb) return ra < rb;
    return g[a] < g[b];
  });
  apply_order(seq, order.data(), order.size(), scratch);
}

void order_chromosomal(GeneSeq& seq, const GeneLocations& loc, const ChromosomalOrder& options, Rng& rng,
                       StepScratch& scratch) {
  if (loc.empty()) throw std::invalid_argument("order_chromosomal: no gene locations loaded");
  auto chrom_of = [&loc](int32_t gene) -> int32_t {
    const auto i = static_cast<size_t>(gene);
    return i < loc.chromosome.size() ? loc.chromosome[i] : -1;
  };
  if (!options.keep_unlocated) compact(seq, [&](size_t i) { return chrom_of(seq.genes[i]) >= 0; });

  if (options.resample_length > 0) {
    // UCE: abundance decides how often a gene appears, via log1p(count) weights.
    auto& cdf = scratch.weights;
    cdf.resize(seq.size());
    double acc = 0;
    for (size_t i = 0; i < seq.size(); ++i) cdf[i] = acc += std::log1p(static_cast<double>(seq.raw[i]));
    auto& order = scratch.order;
    order.clear();
    if (acc > 0) {
      for (size_t k = 0; k < options.resample_length; ++k) {
        const double u = rng.uniform() * acc;
        auto it = std::upper_bound(cdf.begin(), cdf.end(), u);
        if (it == cdf.end()) --it;
        order.push_back(static_cast<uint32_t>(it - cdf.begin()));
      }
    }
    apply_order(seq, order.data(), order.size(), scratch);
  }

  // Chromosome blocks: a random permutation of all chromosome codes orders the
  // present ones uniformly at random too.
  auto& block = scratch.keys;
  const size_t n_chrom = loc.chromosome_names.size();
  block.resize(n_chrom);
  for (size_t c = 0; c < n_chrom; ++c) block[c] = c;
  if (options.shuffle_chromosomes)
    for (size_t i = n_chrom; i > 1; --i)
      std::swap(block[i - 1], block[static_cast<size_t>(rng.uniform_int(static_cast<int64_t>(i)))]);

  auto& order = identity(scratch, seq.size());
  const int32_t* g = seq.genes.data();
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    const int32_t ca = chrom_of(g[a]), cb = chrom_of(g[b]);
    if ((ca < 0) != (cb < 0)) return cb < 0;  // located first
    if (ca >= 0) {
      if (ca != cb) return block[static_cast<size_t>(ca)] < block[static_cast<size_t>(cb)];
      const double pa = loc.position[static_cast<size_t>(g[a])], pb = loc.position[static_cast<size_t>(g[b])];
      if (pa != pb) return pa < pb;
    }
    if (g[a] != g[b]) return g[a] < g[b];
    return a < b;  // resampled repeats: keep draw order
  });
  apply_order(seq, order.data(), order.size(), scratch);
}

// ---- (4) dropout -------------------------------------------------------------------

void dropout_random(GeneSeq& seq, double rate, Rng& rng) {
  if (!(rate >= 0.0 && rate <= 1.0))
    throw std::invalid_argument(fmt::format("dropout_random: rate must be in [0, 1], got {}", rate));
  if (rate == 0.0) return;
  compact(seq, [&](size_t) { return !rng.bernoulli(rate); });
}

void dropout_chunk(GeneSeq& seq, double fraction, Rng& rng) {
  if (!(fraction >= 0.0 && fraction <= 1.0))
    throw std::invalid_argument(fmt::format("dropout_chunk: fraction must be in [0, 1], got {}", fraction));
  const size_t n = seq.size();
  const auto chunk = static_cast<size_t>(std::llround(fraction * static_cast<double>(n)));
  if (chunk == 0) return;
  const auto start = static_cast<size_t>(rng.uniform_int(static_cast<int64_t>(n - chunk + 1)));
  compact(seq, [&](size_t i) { return i < start || i >= start + chunk; });
}

void dropout_top_k(GeneSeq& seq, size_t k, StepScratch& scratch) {
  const size_t n = seq.size();
  if (k == 0) return;
  if (k >= n) {
    seq.clear();
    return;
  }
  auto& order = identity(scratch, n);
  const float* v = seq.values.data();
  const int32_t* g = seq.genes.data();
  std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k - 1), order.end(),
                   [v, g](uint32_t a, uint32_t b) {
                     if (v[a] != v[b]) return v[a] > v[b];
                     return g[a] < g[b];
                   });
  auto& drop = scratch.keys;
  drop.assign(n, 0);
  for (size_t i = 0; i < k; ++i) drop[order[i]] = 1;
  compact(seq, [&](size_t i) { return drop[i] == 0; });
}

// ---- (5) zero-gene padding -----------------------------------------------------------

namespace {

// Appends to scratch.picked up to `need` genes of `pool` that are unmarked and
// eligible, uniformly without replacement, marking them. Rejection sampling
// while candidates are plentiful; a full scan once draws keep missing, so the
// cost stays O(need) typically and O(pool) at worst, and the sample stays uniform.
template <class Eligible>
size_t draw_zeros(const std::vector<int32_t>& pool, size_t need, Eligible eligible, Rng& rng, StepScratch& s) {
  if (need == 0 || pool.empty()) return 0;
  size_t got = 0;
  const size_t limit = 2 * need + 16;
  const auto n_pool = static_cast<int64_t>(pool.size());
  for (size_t tries = 0; got < need && tries < limit; ++tries) {
    const int32_t g = pool[static_cast<size_t>(rng.uniform_int(n_pool))];
    if (s.mark[static_cast<size_t>(g)] == s.epoch || !eligible(g)) continue;
    s.mark[static_cast<size_t>(g)] = s.epoch;
    s.picked.push_back(g);
    ++got;
  }
  if (got == need) return got;
  const size_t start = s.picked.size();
  for (int32_t g : pool)
    if (s.mark[static_cast<size_t>(g)] != s.epoch && eligible(g)) s.picked.push_back(g);
  const size_t m = s.picked.size() - start;
  const size_t take = std::min(need - got, m);
  for (size_t i = 0; i < take; ++i) {
    const auto j = i + static_cast<size_t>(rng.uniform_int(static_cast<int64_t>(m - i)));
    std::swap(s.picked[start + i], s.picked[start + j]);
    s.mark[static_cast<size_t>(s.picked[start + i])] = s.epoch;
  }
  s.picked.resize(start + take);
  return got + take;
}

// Zeros in pick order: batch-expressed ones first (when a batch is given), then the rest.
size_t pick_zeros(size_t need, const ZeroPaddingInput& in, bool batch_first, Rng& rng, StepScratch& s) {
  const GeneSet& measured = *in.measured;
  size_t got = 0;
  if (batch_first) {
    const GeneSet& batch = *in.batch;
    got += draw_zeros(
        batch.genes(), need, [&](int32_t g) { return g < measured.vocab_size() && measured.contains(g); }, rng, s);
    got += draw_zeros(
        measured.genes(), need - got, [&](int32_t g) { return !batch.contains(g); }, rng, s);
  } else {
    got += draw_zeros(
        measured.genes(), need, [](int32_t) { return true; }, rng, s);
  }
  return got;
}

}  // namespace

size_t pad_zero_genes(GeneSeq& seq, ZeroPadding mode, const ZeroPaddingInput& in, Rng& rng, StepScratch& s) {
  if (mode == ZeroPadding::None || in.target_length == 0) return 0;
  if (!in.measured) throw std::invalid_argument("pad_zero_genes: the set of measured (candidate) genes is required");
  if (mode == ZeroPadding::BatchWise && !in.batch)
    throw std::invalid_argument("pad_zero_genes: batch_wise padding needs the batch's expressed genes");
  if (!(in.zero_ratio >= 0.0 && in.zero_ratio <= 1.0))
    throw std::invalid_argument(fmt::format("pad_zero_genes: zero_ratio must be in [0, 1], got {}", in.zero_ratio));
  const auto vocab_size = static_cast<size_t>(in.measured->vocab_size());
  if (in.batch && static_cast<size_t>(in.batch->vocab_size()) != vocab_size)
    throw std::invalid_argument("pad_zero_genes: batch and measured gene sets use different vocabulary sizes");

  // Stamp the cell's genes: they are expressed, so never a zero.
  if (s.mark.size() != vocab_size) {
    s.mark.assign(vocab_size, 0);
    s.epoch = 0;
  }
  if (++s.epoch == 0) {  // wrapped: old stamps could alias
    std::fill(s.mark.begin(), s.mark.end(), 0u);
    s.epoch = 1;
  }
  auto stamp = [&](int32_t g) {
    if (g >= 0 && static_cast<size_t>(g) < vocab_size) s.mark[static_cast<size_t>(g)] = s.epoch;
  };
  for (size_t i = 0; i < in.n_cell_genes; ++i) stamp(in.cell_genes[i]);
  for (int32_t g : seq.genes) stamp(g);
  s.picked.clear();

  const size_t target = in.target_length;
  const size_t n0 = seq.size();
  const bool batch_first = mode == ZeroPadding::BatchWise || (mode == ZeroPadding::Interleaved && in.batch);

  if (mode != ZeroPadding::Interleaved) {
    if (n0 >= target) return 0;
    const size_t got = pick_zeros(target - n0, in, batch_first, rng, s);
    for (size_t i = 0; i < got; ++i) seq.push_back(s.picked[i], 0.0f, 0.0f);
    return got;
  }

  // Interleaved: aim for round(zero_ratio * target) zeros among `target`
  // positions, keeping the first expressed positions (the current order), and
  // give positions back to expressed genes when the zero candidates run out.
  const auto zeros_wanted = static_cast<size_t>(std::llround(in.zero_ratio * static_cast<double>(target)));
  size_t n_nz = std::min(n0, target - std::min(zeros_wanted, target));
  const size_t n_z = pick_zeros(target - n_nz, in, batch_first, rng, s);
  n_nz = std::min(n0, target - n_z);
  const size_t total = n_nz + n_z;
  GeneSeq& t = s.tmp;
  t.clear();
  size_t zi = 0, ni = 0;
  for (size_t j = 0; j < total; ++j) {
    // A zero goes at j when the even share of zeros up to j+1 grows past those placed.
    if ((j + 1) * n_z / total > zi) {
      t.push_back(s.picked[zi++], 0.0f, 0.0f);
    } else {
      t.push_back(seq.genes[ni], seq.raw[ni], seq.values[ni]);
      ++ni;
    }
  }
  std::swap(seq.genes, t.genes);
  std::swap(seq.raw, t.raw);
  std::swap(seq.values, t.values);
  return n_z;
}

}  // namespace bmfm::data

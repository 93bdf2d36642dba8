#include "bmfm/data/wced_targets.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "bmfm/data/batch.h"
#include "bmfm/data/loader.h"

namespace bmfm::data {

namespace {

// Transient mark for "in the input, not (yet) seen in the record"; never
// survives build().
constexpr uint8_t kCandidate = 3;

std::string wced_problem(const WcedConfig& c, std::string& key) {
  if (c.zeros != "none" && c.zeros != "all" && c.zeros != "sampled") {
    key = "zeros";
    return fmt::format("'{}' is not one of: none, all, sampled", c.zeros);
  }
  if (c.n_zeros < 0) {
    key = "n_zeros";
    return fmt::format("must be >= 0, got {}", c.n_zeros);
  }
  if (c.zeros == "sampled" && c.n_zeros == 0) {
    key = "n_zeros";
    return "zeros: sampled needs n_zeros > 0 (or use zeros: none)";
  }
  if (c.zeros != "sampled" && c.n_zeros != 0) {
    key = "n_zeros";
    return fmt::format("n_zeros applies to zeros: sampled only, got {} with zeros: {}", c.n_zeros, c.zeros);
  }
  if (c.bias_init != "zero" && c.bias_init != "data") {
    key = "bias_init";
    return fmt::format("'{}' is not one of: zero, data", c.bias_init);
  }
  if (c.bias_init_cells < 1) {
    key = "bias_init_cells";
    return fmt::format("must be >= 1, got {}", c.bias_init_cells);
  }
  if (!(c.target_sum > 0) || !std::isfinite(c.target_sum)) {
    key = "target_sum";
    return fmt::format("must be a positive number, got {}", c.target_sum);
  }
  return "";
}

}  // namespace

const config::Schema<WcedConfig>& wced_schema() {
  using W = WcedConfig;
  static const auto schema =
      config::Schema<W>("wced")
          .field("enabled", &W::enabled, "build whole-cell expression decoder targets")
          .field("zeros", &W::zeros, "none | all | sampled: vocabulary genes absent from the cell exposed as zeros")
          .field("n_zeros", &W::n_zeros, "sampled: exposed non-input zeros per cell")
          .field("target_sum", &W::target_sum, "targets are log1p(x / total * target_sum) of the raw record")
          .field("bias_init", &W::bias_init,
                 "zero | data: start the decoder's per-gene outputs at the training cells' gene means")
          .field("bias_init_cells", &W::bias_init_cells, "cells sampled for bias_init: data")
          .check([](const W& w, const config::Config& cfg, const std::string& prefix) {
            std::string key;
            const std::string why = wced_problem(w, key);
            if (!why.empty()) config::fail(cfg, prefix + key, why);
          });
  return schema;
}

WcedTargets::WcedTargets(const Vocab& vocab, WcedConfig config)
    : config_(std::move(config)), n_special_(vocab.n_special()), n_genes_(vocab.n_genes()) {
  std::string key;
  const std::string why = wced_problem(config_, key);
  if (!why.empty()) throw std::invalid_argument("wced." + key + ": " + why);
  if (n_genes_ <= 0) throw std::invalid_argument("wced: the vocabulary has no genes");
}

WcedCounts WcedTargets::build(const CellRecord& raw, const int32_t* input_genes, int64_t n_input, Rng& rng,
                              float* values, float* is_zero, uint8_t* set) const {
  WcedCounts counts;
  const auto V = static_cast<size_t>(n_genes_);
  std::fill_n(values, V, -100.0f);
  std::fill_n(is_zero, V, -100.0f);
  std::fill_n(set, V, wced_set::kNone);

  auto assign = [&](size_t j, uint8_t which, float v) {
    set[j] = which;
    values[j] = v;
    is_zero[j] = v == 0.0f ? 1.0f : 0.0f;
  };

  // 1. Mark the input genes.
  for (int64_t i = 0; i < n_input; ++i) {
    const int32_t g = input_genes[i];
    if (g >= n_special_ && g - n_special_ < n_genes_) set[static_cast<size_t>(g - n_special_)] = kCandidate;
  }

  // 2. Every record gene is a target, input or non-input.
  if (raw.genes.size() != raw.values.size())
    throw std::invalid_argument(fmt::format("wced: cell {}: record has {} genes but {} values", raw.cell_index,
                                            raw.genes.size(), raw.values.size()));
  double total = 0;
  for (size_t k = 0; k < raw.values.size(); ++k) {
    const float x = raw.values[k];
    if (!(x >= 0) || !std::isfinite(x))
      throw std::invalid_argument(fmt::format(
          "wced: cell {}: raw value {} of gene id {} (record position {}) is negative or not finite; WCED targets "
          "need the raw counts",
          raw.cell_index, x, raw.genes[k], k));
    total += x;
  }
  const double scale = total > 0 ? config_.target_sum / total : 0.0;
  for (size_t k = 0; k < raw.genes.size(); ++k) {
    const int32_t g = raw.genes[k];
    if (g < n_special_ || g - n_special_ >= n_genes_)
      throw std::invalid_argument(fmt::format(
          "wced: cell {}: record gene id {} at position {} is not a gene of the vocabulary [{}, {})", raw.cell_index,
          g, k, n_special_, n_special_ + n_genes_));
    const auto j = static_cast<size_t>(g - n_special_);
    if (set[j] == wced_set::kInput || set[j] == wced_set::kNonInput)
      throw std::invalid_argument(fmt::format("wced: cell {}: gene id {} appears twice in the record", raw.cell_index,
                                              g));
    const bool in_input = set[j] == kCandidate;
    assign(j, in_input ? wced_set::kInput : wced_set::kNonInput,
           static_cast<float>(std::log1p(static_cast<double>(raw.values[k]) * scale)));
    ++(in_input ? counts.n_input : counts.n_non_input);
  }

  // 3. Input genes the record does not hold: zeros when zeros are exposed.
  const bool expose = config_.zeros != "none";
  for (int64_t i = 0; i < n_input; ++i) {
    const int32_t g = input_genes[i];
    if (g < n_special_ || g - n_special_ >= n_genes_) continue;
    const auto j = static_cast<size_t>(g - n_special_);
    if (set[j] != kCandidate) continue;
    if (expose) {
      assign(j, wced_set::kInput, 0.0f);
      ++counts.n_input;
      ++counts.n_exposed_zeros;
    } else {
      set[j] = wced_set::kNone;
    }
  }

  // 4. Non-input zeros.
  if (config_.zeros == "all") {
    for (size_t j = 0; j < V; ++j)
      if (set[j] == wced_set::kNone) {
        assign(j, wced_set::kNonInput, 0.0f);
        ++counts.n_non_input;
        ++counts.n_exposed_zeros;
      }
  } else if (config_.zeros == "sampled") {
    const int64_t available = n_genes_ - counts.n_input - counts.n_non_input;
    int64_t need = std::min<int64_t>(config_.n_zeros, available);
    if (2 * need <= available) {
      // Rejection: at least half the draws hit a free gene.
      while (need > 0) {
        const auto j = static_cast<size_t>(rng.uniform_int(n_genes_));
        if (set[j] != wced_set::kNone) continue;
        assign(j, wced_set::kNonInput, 0.0f);
        --need;
        ++counts.n_non_input;
        ++counts.n_exposed_zeros;
      }
    } else {
      // Selection sampling (Knuth's algorithm S): one pass, uniform without replacement.
      int64_t left = available;
      for (size_t j = 0; j < V && need > 0; ++j) {
        if (set[j] != wced_set::kNone) continue;
        if (static_cast<double>(left) * rng.uniform() < static_cast<double>(need)) {
          assign(j, wced_set::kNonInput, 0.0f);
          --need;
          ++counts.n_non_input;
          ++counts.n_exposed_zeros;
        }
        --left;
      }
    }
  }
  return counts;
}

WcedGeneStats wced_gene_stats(const CellSource& source, const Vocab& vocab, const WcedConfig& config,
                              int64_t max_cells) {
  const int64_t V = vocab.n_genes(), n_special = vocab.n_special();
  const int64_t n = std::min(source.n_cells(), std::max<int64_t>(max_cells, 1));
  std::vector<double> sum(static_cast<size_t>(V), 0.0), p_target_zero(static_cast<size_t>(V), 0.0);
  std::vector<int64_t> expressed(static_cast<size_t>(V), 0);
  double all_sum = 0;
  int64_t all_n = 0;
  CellRecord rec;
  std::vector<uint8_t> here(static_cast<size_t>(V));
  for (int64_t i = 0; i < n; ++i) {
    source.read(n == source.n_cells() ? i : i * source.n_cells() / n, rec);
    double total = 0;
    for (float x : rec.values) total += x;
    const double scale = total > 0 ? config.target_sum / total : 0.0;
    std::fill(here.begin(), here.end(), uint8_t{0});
    int64_t n_expr = 0;
    for (size_t k = 0; k < rec.genes.size(); ++k) {
      const int64_t j = rec.genes[k] - n_special;
      if (j < 0 || j >= V || !(rec.values[k] > 0)) continue;
      const double y = std::log1p(static_cast<double>(rec.values[k]) * scale);
      sum[static_cast<size_t>(j)] += y;
      ++expressed[static_cast<size_t>(j)];
      here[static_cast<size_t>(j)] = 1;
      all_sum += y;
      ++all_n;
      ++n_expr;
    }
    // Probability that an absent gene of this cell is exposed as a zero target.
    const double q = config.zeros == "all" ? 1.0
                     : config.zeros == "sampled"
                         ? std::min(1.0, static_cast<double>(config.n_zeros) / std::max<double>(1.0, static_cast<double>(V - n_expr)))
                         : 0.0;
    for (int64_t j = 0; j < V; ++j)
      if (!here[static_cast<size_t>(j)]) p_target_zero[static_cast<size_t>(j)] += q;
  }
  WcedGeneStats s;
  s.n_cells = n;
  s.value_mean.resize(static_cast<size_t>(V));
  s.zero_logit.resize(static_cast<size_t>(V));
  s.expressed.resize(static_cast<size_t>(V));
  const double global = all_n > 0 ? all_sum / static_cast<double>(all_n) : 0.0;
  for (int64_t j = 0; j < V; ++j) {
    const auto e = static_cast<double>(expressed[static_cast<size_t>(j)]);
    s.value_mean[static_cast<size_t>(j)] = static_cast<float>(e > 0 ? sum[static_cast<size_t>(j)] / e : global);
    s.expressed[static_cast<size_t>(j)] = static_cast<float>(e / static_cast<double>(n));
    // Log-odds of "zero" among the cells where the gene is a target, with half
    // a count of smoothing on each side so unseen genes stay finite.
    const double z = p_target_zero[static_cast<size_t>(j)] + 0.5, nz = e + 0.5;
    s.zero_logit[static_cast<size_t>(j)] = static_cast<float>(std::clamp(std::log(z / nz), -8.0, 8.0));
  }
  return s;
}

}  // namespace bmfm::data

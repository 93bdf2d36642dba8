#include "bmfm/data/wced_targets.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "bmfm/data/batch.h"

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

}  // namespace bmfm::data

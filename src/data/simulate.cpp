#include "bmfm/data/simulate.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "bmfm/config/error.h"
#include "bmfm/data/random.h"

namespace bmfm::data {

const config::Schema<SimulateConfig>& simulate_schema() {
  using C = SimulateConfig;
  static const auto schema =
      config::Schema<C>("simulate")
          .field("n_cells", &C::n_cells, "number of cells")
          .field("n_genes", &C::n_genes, "number of genes")
          .field("n_cell_types", &C::n_cell_types, "number of cell types (groups with DE genes)")
          .field("cell_type_probs", &C::cell_type_probs, "cell type proportions; empty = equal")
          .field("n_batches", &C::n_batches, "number of batches")
          .field("batch_probs", &C::batch_probs, "batch proportions; empty = equal")
          .field("mean_shape", &C::mean_shape, "gene mean ~ Gamma(shape, rate): shape")
          .field("mean_rate", &C::mean_rate, "gene mean ~ Gamma(shape, rate): rate")
          .field("lib_loc", &C::lib_loc, "library size ~ LogNormal(loc, scale): loc (log UMI)")
          .field("lib_scale", &C::lib_scale, "library size ~ LogNormal(loc, scale): scale")
          .field("outlier_prob", &C::outlier_prob, "probability a gene is a high-expression outlier")
          .field("outlier_loc", &C::outlier_loc, "outlier factor ~ LogNormal(loc, scale): loc")
          .field("outlier_scale", &C::outlier_scale, "outlier factor ~ LogNormal(loc, scale): scale")
          .field("de_prob", &C::de_prob, "probability a gene is differentially expressed in a cell type")
          .field("de_down_prob", &C::de_down_prob, "probability a DE gene is down-regulated")
          .field("de_loc", &C::de_loc, "DE factor ~ LogNormal(loc, scale): loc")
          .field("de_scale", &C::de_scale, "DE factor ~ LogNormal(loc, scale): scale")
          .field("batch_loc", &C::batch_loc, "batch factor ~ LogNormal(loc, scale): loc")
          .field("batch_scale", &C::batch_scale, "batch factor ~ LogNormal(loc, scale): scale")
          .field("bcv_common", &C::bcv_common, "common biological coefficient of variation")
          .field("bcv_df", &C::bcv_df, "degrees of freedom of the BCV chi-squared")
          .field("dropout", &C::dropout, "dropout model: none | logistic | binomial")
          .field("dropout_mid", &C::dropout_mid, "logistic dropout midpoint (log mean)")
          .field("dropout_shape", &C::dropout_shape, "logistic dropout slope")
          .field("capture_prob", &C::capture_prob, "binomial dropout: per-molecule capture probability")
          .field("gene_prefix", &C::gene_prefix, "gene symbols are <prefix>00001, ...")
          .field("cell_type_prefix", &C::cell_type_prefix, "cell type names are <prefix>1, ...")
          .field("batch_prefix", &C::batch_prefix, "batch names are <prefix>1, ...")
          .check([](const C& c, const config::Config& cfg, const std::string& prefix) {
            auto fail = [&](const std::string& key, const std::string& why) {
              throw ConfigError(fmt::format("{}{} (from {}): {}", prefix, key, cfg.source(prefix + key).str(), why));
            };
            if (c.n_cells <= 0) fail("n_cells", "must be positive");
            if (c.n_genes <= 0) fail("n_genes", "must be positive");
            if (c.n_genes > 9999999) fail("n_genes", "at most 9,999,999");
            if (c.n_cell_types <= 0) fail("n_cell_types", "must be positive");
            if (c.n_batches <= 0) fail("n_batches", "must be positive");
            if (!c.cell_type_probs.empty() && static_cast<int64_t>(c.cell_type_probs.size()) != c.n_cell_types)
              fail("cell_type_probs", fmt::format("has {} entries but n_cell_types is {}", c.cell_type_probs.size(),
                                                  c.n_cell_types));
            if (!c.batch_probs.empty() && static_cast<int64_t>(c.batch_probs.size()) != c.n_batches)
              fail("batch_probs",
                   fmt::format("has {} entries but n_batches is {}", c.batch_probs.size(), c.n_batches));
            for (double p : c.cell_type_probs)
              if (!(p >= 0)) fail("cell_type_probs", "entries must be >= 0");
            for (double p : c.batch_probs)
              if (!(p >= 0)) fail("batch_probs", "entries must be >= 0");
            if (!(c.mean_shape > 0)) fail("mean_shape", "must be positive");
            if (!(c.mean_rate > 0)) fail("mean_rate", "must be positive");
            if (!(c.lib_scale >= 0)) fail("lib_scale", "must be >= 0");
            for (auto [key, p] : {std::pair{"outlier_prob", c.outlier_prob}, {"de_prob", c.de_prob},
                                  {"de_down_prob", c.de_down_prob}, {"capture_prob", c.capture_prob}})
              if (!(p >= 0 && p <= 1)) fail(key, fmt::format("must be a probability in [0, 1], got {}", p));
            if (!(c.bcv_common >= 0)) fail("bcv_common", "must be >= 0");
            if (!(c.bcv_df > 0)) fail("bcv_df", "must be positive");
            if (c.dropout != "none" && c.dropout != "logistic" && c.dropout != "binomial")
              fail("dropout", "'" + c.dropout + "' is not one of: none, logistic, binomial");
          });
  return schema;
}

namespace {

// Cumulative distribution of (possibly unnormalised) proportions; empty = equal.
std::vector<double> cumulative(const std::vector<double>& probs, int64_t n) {
  std::vector<double> p = probs.empty() ? std::vector<double>(static_cast<size_t>(n), 1.0) : probs;
  double total = std::accumulate(p.begin(), p.end(), 0.0);
  if (!(total > 0)) throw ConfigError("simulate: proportions sum to zero");
  std::vector<double> cdf(p.size());
  double acc = 0;
  for (size_t i = 0; i < p.size(); ++i) cdf[i] = (acc += p[i] / total);
  cdf.back() = 1.0;
  return cdf;
}

int32_t draw_category(const std::vector<double>& cdf, double u) {
  return static_cast<int32_t>(std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
}

// Multiplicative factor per gene: with probability `prob` LogNormal(loc, scale),
// inverted with probability `down_prob`; otherwise 1 (Splatter's getLNormFactors).
std::vector<double> lognormal_factors(Rng& rng, int64_t n, double prob, double down_prob, double loc, double scale) {
  std::vector<double> f(static_cast<size_t>(n), 1.0);
  for (auto& x : f) {
    if (!rng.bernoulli(prob)) continue;
    double v = rng.lognormal(loc, scale);
    x = rng.bernoulli(down_prob) ? 1.0 / v : v;
  }
  return f;
}

io::Column categorical(const std::string& name, std::vector<int32_t> codes, const std::string& prefix, int64_t n) {
  io::Column c;
  c.name = name;
  c.kind = io::Column::Kind::Categorical;
  c.dtype = "category";
  c.codes = std::move(codes);
  for (int64_t i = 0; i < n; ++i) c.categories.push_back(prefix + std::to_string(i + 1));
  return c;
}

}  // namespace

io::AnnData simulate(const SimulateConfig& cfg, uint64_t seed) {
  const int64_t n_cells = cfg.n_cells, n_genes = cfg.n_genes;
  const size_t G = static_cast<size_t>(n_genes);

  // Gene-level parameters come from one stream so they do not depend on n_cells.
  Rng gene_rng(seed, 0);
  std::vector<double> base_mean(G);
  for (auto& m : base_mean) m = gene_rng.gamma(cfg.mean_shape, 1.0 / cfg.mean_rate);
  std::vector<double> sorted = base_mean;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<long>(G / 2), sorted.end());
  const double median = sorted[G / 2];
  std::vector<uint8_t> is_outlier(G, 0);
  for (size_t g = 0; g < G; ++g) {
    if (gene_rng.bernoulli(cfg.outlier_prob)) {
      is_outlier[g] = 1;
      base_mean[g] = median * gene_rng.lognormal(cfg.outlier_loc, cfg.outlier_scale);
    }
  }
  std::vector<std::vector<double>> type_factor, batch_factor;
  for (int64_t t = 0; t < cfg.n_cell_types; ++t)
    type_factor.push_back(lognormal_factors(gene_rng, n_genes, cfg.de_prob, cfg.de_down_prob, cfg.de_loc, cfg.de_scale));
  for (int64_t b = 0; b < cfg.n_batches; ++b)
    batch_factor.push_back(lognormal_factors(gene_rng, n_genes, 1.0, 0.5, cfg.batch_loc, cfg.batch_scale));
  // One chi-squared draw per gene scales its BCV (Splatter draws them per gene).
  std::vector<double> bcv_scale(G);
  for (auto& s : bcv_scale) s = std::sqrt(cfg.bcv_df / gene_rng.chi_squared(cfg.bcv_df));

  // Proportions per (type, batch): the per-cell mean is proportion * library size.
  std::vector<std::vector<double>> proportions;
  for (int64_t t = 0; t < cfg.n_cell_types; ++t) {
    for (int64_t b = 0; b < cfg.n_batches; ++b) {
      std::vector<double> p(G);
      double total = 0;
      for (size_t g = 0; g < G; ++g) total += p[g] = base_mean[g] * type_factor[t][g] * batch_factor[b][g];
      for (auto& x : p) x /= total;
      proportions.push_back(std::move(p));
    }
  }

  const auto type_cdf = cumulative(cfg.cell_type_probs, cfg.n_cell_types);
  const auto batch_cdf = cumulative(cfg.batch_probs, cfg.n_batches);
  std::vector<int32_t> cell_type(static_cast<size_t>(n_cells)), batch(static_cast<size_t>(n_cells));
  std::vector<std::vector<int32_t>> row_cols(static_cast<size_t>(n_cells));
  std::vector<std::vector<float>> row_vals(static_cast<size_t>(n_cells));

  // Each cell has its own stream (seed, 1 + cell): output is identical for any thread count.
#pragma omp parallel for schedule(dynamic, 64)
  for (int64_t c = 0; c < n_cells; ++c) {
    Rng rng(seed, static_cast<uint64_t>(c) + 1);
    const int32_t t = draw_category(type_cdf, rng.uniform());
    const int32_t b = draw_category(batch_cdf, rng.uniform());
    cell_type[static_cast<size_t>(c)] = t;
    batch[static_cast<size_t>(c)] = b;
    const double lib = rng.lognormal(cfg.lib_loc, cfg.lib_scale);
    const auto& prop = proportions[static_cast<size_t>(t * cfg.n_batches + b)];
    auto& cols = row_cols[static_cast<size_t>(c)];
    auto& vals = row_vals[static_cast<size_t>(c)];
    for (size_t g = 0; g < G; ++g) {
      const double lambda = prop[g] * lib;
      const double bcv = (cfg.bcv_common + 1.0 / std::sqrt(lambda)) * bcv_scale[g];
      const double shape = 1.0 / (bcv * bcv);
      const double mean = rng.gamma(shape, lambda / shape);
      int64_t count = rng.poisson(mean);
      if (cfg.dropout == "logistic") {
        const double p_drop = 1.0 / (1.0 + std::exp(-cfg.dropout_shape * (std::log(mean) - cfg.dropout_mid)));
        if (rng.bernoulli(p_drop)) count = 0;
      } else if (cfg.dropout == "binomial" && count > 0) {
        count = rng.binomial(count, cfg.capture_prob);
      }
      if (count > 0) {
        cols.push_back(static_cast<int32_t>(g));
        vals.push_back(static_cast<float>(count));
      }
    }
  }

  io::AnnData ad;
  ad.X.n_rows = n_cells;
  ad.X.n_cols = n_genes;
  ad.X.indptr.assign(1, 0);
  for (int64_t c = 0; c < n_cells; ++c) {
    auto& cols = row_cols[static_cast<size_t>(c)];
    auto& vals = row_vals[static_cast<size_t>(c)];
    ad.X.indices.insert(ad.X.indices.end(), cols.begin(), cols.end());
    ad.X.data.insert(ad.X.data.end(), vals.begin(), vals.end());
    ad.X.indptr.push_back(static_cast<int64_t>(ad.X.data.size()));
    std::vector<int32_t>().swap(cols);
    std::vector<float>().swap(vals);
  }

  const int width = std::max(5, static_cast<int>(std::to_string(std::max(n_cells, n_genes)).size()));
  ad.obs.index_name = "cell_id";
  for (int64_t c = 0; c < n_cells; ++c) ad.obs.index.push_back(fmt::format("cell_{:0{}d}", c + 1, width));
  ad.obs.columns.push_back(categorical("cell_type", std::move(cell_type), cfg.cell_type_prefix, cfg.n_cell_types));
  ad.obs.columns.push_back(categorical("batch", std::move(batch), cfg.batch_prefix, cfg.n_batches));

  ad.var.index_name = "gene_symbol";
  for (int64_t g = 0; g < n_genes; ++g) ad.var.index.push_back(fmt::format("{}{:0{}d}", cfg.gene_prefix, g + 1, width));
  io::Column mean_col;
  mean_col.name = "base_mean";
  mean_col.kind = io::Column::Kind::Numeric;
  mean_col.dtype = "float64";
  mean_col.numeric = base_mean;
  io::Column outlier_col;
  outlier_col.name = "is_outlier";
  outlier_col.kind = io::Column::Kind::Boolean;
  outlier_col.dtype = "bool";
  outlier_col.boolean = is_outlier;
  ad.var.columns.push_back(std::move(mean_col));
  ad.var.columns.push_back(std::move(outlier_col));
  // Ground truth (as Splatter's DEFacGroup / BatchFac columns): lets users and
  // tests check that a method recovers the simulated structure.
  auto factor_column = [&](const std::string& name, const std::vector<double>& f) {
    io::Column col;
    col.name = name;
    col.kind = io::Column::Kind::Numeric;
    col.dtype = "float64";
    col.numeric = f;
    ad.var.columns.push_back(std::move(col));
  };
  for (int64_t t = 0; t < cfg.n_cell_types; ++t)
    factor_column("de_factor_" + cfg.cell_type_prefix + std::to_string(t + 1), type_factor[static_cast<size_t>(t)]);
  for (int64_t b = 0; b < cfg.n_batches; ++b)
    factor_column("batch_factor_" + cfg.batch_prefix + std::to_string(b + 1), batch_factor[static_cast<size_t>(b)]);
  return ad;
}

}  // namespace bmfm::data

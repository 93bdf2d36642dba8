// QC configuration (schema and checks) and the result's accessors.
#include "bmfm/data/qc.h"

#include <algorithm>

#include <fmt/format.h>

#include "bmfm/config/error.h"

namespace bmfm::data {

namespace {

const std::vector<std::string>& iqr_metric_names() {
  static const std::vector<std::string> names = {"log1p_total_counts", "log1p_n_genes_by_counts", "pct_counts_mt",
                                                 "pct_counts_ribo"};
  return names;
}

const config::Schema<IqrConfig>& iqr_schema() {
  using C = IqrConfig;
  static const auto schema =
      config::Schema<C>("qc.iqr")
          .field("enabled", &C::enabled, "remove outlier cells by the interquartile range rule")
          .field("k", &C::k, "remove cells outside [Q1 - k*IQR, Q3 + k*IQR]")
          .field("metrics", &C::metrics,
                 "metrics tested (a cell outside the bounds of any one is removed): log1p_total_counts, "
                 "log1p_n_genes_by_counts, pct_counts_mt, pct_counts_ribo")
          .check([](const C& c, const config::Config& cfg, const std::string& prefix) {
            if (!(c.k > 0)) config::fail(cfg, prefix + "k", fmt::format("must be positive, got {}", c.k));
            if (c.enabled && c.metrics.empty()) config::fail(cfg, prefix + "metrics", "iqr is enabled but lists no metric");
            for (const auto& m : c.metrics) config::require_one_of(cfg, prefix + "metrics", m, iqr_metric_names());
          });
  return schema;
}

const config::Schema<ProteinCodingConfig>& protein_coding_schema() {
  using C = ProteinCodingConfig;
  static const auto schema =
      config::Schema<C>("qc.protein_coding")
          .field("enabled", &C::enabled, "keep only genes the gene table marks as `protein-coding gene`")
          .field("gene_table", &C::gene_table, "TSV with columns symbol, ensembl_gene_id, locus_group (e.g. HGNC)")
          .field("gene_id_column", &C::gene_id_column, "var column with the gene ids to match; '' = the var index")
          .field("match", &C::match, "auto (symbol, then Ensembl id) | symbol | ensembl")
          .check([](const C& c, const config::Config& cfg, const std::string& prefix) {
            config::require_one_of(cfg, prefix + "match", c.match, {"auto", "symbol", "ensembl"});
            if (c.enabled && c.gene_table.empty())
              config::fail(cfg, prefix + "gene_table",
                           "protein_coding is enabled but no gene table is set (e.g. ../shared/data/genes/hgnc_genes.tsv)");
          });
  return schema;
}

const config::Schema<DispersionConfig>& dispersion_schema() {
  using C = DispersionConfig;
  static const auto schema =
      config::Schema<C>("qc.dispersion")
          .field("min_disp", &C::min_disp,
                 "keep genes whose normalised (seurat) dispersion is > min_disp; null = rule off")
          .field("n_bins", &C::n_bins, "number of equal-width bins of log1p(mean) the dispersion is normalised in")
          .field("target_sum", &C::target_sum, "normalize_total target before the dispersion")
          .check([](const C& c, const config::Config& cfg, const std::string& prefix) {
            if (c.n_bins < 1) config::fail(cfg, prefix + "n_bins", fmt::format("must be >= 1, got {}", c.n_bins));
            if (!(c.target_sum > 0))
              config::fail(cfg, prefix + "target_sum", fmt::format("must be positive, got {}", c.target_sum));
          });
  return schema;
}

template <class V>
void check_min_max(const std::optional<V>& lo, const std::optional<V>& hi, const std::string& lo_key,
                   const std::string& hi_key, const config::Config& cfg) {
  if (lo && *lo < 0) config::fail(cfg, lo_key, fmt::format("must be >= 0, got {}", *lo));
  if (hi && *hi < 0) config::fail(cfg, hi_key, fmt::format("must be >= 0, got {}", *hi));
  if (lo && hi && *lo > *hi)
    config::fail(cfg, hi_key, fmt::format("{} is below {} = {}: no cell could pass", *hi, lo_key, *lo));
}

}  // namespace

const config::Schema<QcConfig>& qc_schema() {
  using C = QcConfig;
  static const auto schema =
      config::Schema<C>("qc")
          .field("matrix", &C::matrix, "matrix holding the raw counts: X or layers/<name> (e.g. layers/counts)")
          .field("gene_symbol_column", &C::gene_symbol_column,
                 "var column with gene symbols for the MT / ribosomal prefixes; '' = the var index")
          .field("mt_prefixes", &C::mt_prefixes, "gene name prefixes of mitochondrial genes")
          .field("ribo_prefixes", &C::ribo_prefixes, "gene name prefixes of ribosomal protein genes")
          .field("min_counts", &C::min_counts, "rule 1: keep cells with total_counts >= this; null = off")
          .field("max_counts", &C::max_counts, "rule 2: keep cells with total_counts <= this; null = off")
          .field("min_genes", &C::min_genes, "rule 3: keep cells with n_genes_by_counts >= this; null = off")
          .field("max_genes", &C::max_genes, "rule 4: keep cells with n_genes_by_counts <= this; null = off")
          .field("max_mt_fraction", &C::max_mt_fraction,
                 "rule 5: keep cells whose mitochondrial fraction of counts is <= this (0.15 = 15%); null = off")
          .section("iqr", &C::iqr, iqr_schema(), "rule 6: interquartile-range outlier removal")
          .field("min_cells", &C::min_cells, "rule 7: keep genes expressed (> 0) in >= this many kept cells; null = off")
          .section("protein_coding", &C::protein_coding, protein_coding_schema(), "rule 8: protein-coding genes only")
          .section("dispersion", &C::dispersion, dispersion_schema(), "rule 9: remove low-dispersion genes")
          .field("chunk_rows", &C::chunk_rows, "rows read per chunk (memory ~ chunk_rows x genes per cell)")
          .field("threads", &C::threads, "threads; 0 = all available cores")
          .check([](const C& c, const config::Config& cfg, const std::string& prefix) {
            if (c.matrix.empty()) config::fail(cfg, prefix + "matrix", "is empty: use X or layers/<name>");
            check_min_max(c.min_counts, c.max_counts, prefix + "min_counts", prefix + "max_counts", cfg);
            check_min_max(c.min_genes, c.max_genes, prefix + "min_genes", prefix + "max_genes", cfg);
            if (c.max_mt_fraction && !(*c.max_mt_fraction >= 0 && *c.max_mt_fraction <= 1))
              config::fail(cfg, prefix + "max_mt_fraction",
                           fmt::format("is a fraction in [0, 1] (15% is 0.15), got {}", *c.max_mt_fraction));
            if (c.min_cells && *c.min_cells < 0)
              config::fail(cfg, prefix + "min_cells", fmt::format("must be >= 0, got {}", *c.min_cells));
            if (c.chunk_rows <= 0)
              config::fail(cfg, prefix + "chunk_rows", fmt::format("must be positive, got {}", c.chunk_rows));
            if (c.threads < 0) config::fail(cfg, prefix + "threads", fmt::format("must be >= 0, got {}", c.threads));
          });
  return schema;
}

std::vector<std::string> count_based_rules(const QcConfig& cfg) {
  std::vector<std::string> rules;
  if (cfg.min_counts) rules.push_back("min_counts");
  if (cfg.max_counts) rules.push_back("max_counts");
  if (cfg.min_genes) rules.push_back("min_genes");
  if (cfg.max_genes) rules.push_back("max_genes");
  if (cfg.max_mt_fraction) rules.push_back("max_mt_fraction");
  if (cfg.iqr.enabled) rules.push_back("iqr");
  if (cfg.dispersion.min_disp) rules.push_back("dispersion");
  return rules;
}

int64_t QcResult::n_obs_after() const { return std::count(keep_cells.begin(), keep_cells.end(), uint8_t{1}); }
int64_t QcResult::n_vars_after() const { return std::count(keep_genes.begin(), keep_genes.end(), uint8_t{1}); }

namespace {
std::vector<int64_t> kept(const std::vector<uint8_t>& mask) {
  std::vector<int64_t> out;
  for (size_t i = 0; i < mask.size(); ++i)
    if (mask[i]) out.push_back(static_cast<int64_t>(i));
  return out;
}
}  // namespace

std::vector<int64_t> QcResult::kept_cells() const { return kept(keep_cells); }
std::vector<int64_t> QcResult::kept_genes() const { return kept(keep_genes); }

}  // namespace bmfm::data

// The QC rules (qc.h lists them in order): cell rules on the metrics, the
// optional sampling step, gene rules on the kept cells.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "bmfm/config/error.h"
#include "bmfm/data/hvg.h"
#include "bmfm/data/qc.h"
#include "bmfm/io/error.h"
#include "qc_stream.h"

namespace bmfm::data {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

StreamOptions stream_options(const QcConfig& cfg, bool require_counts) {
  StreamOptions o;
  o.chunk_rows = cfg.chunk_rows;
  o.threads = cfg.threads;
  if (require_counts) o.require_counts_for = count_based_rules(cfg);
  return o;
}

// Removes the kept items failing `pass` and records the rule.
template <class Pass>
void apply_rule(std::vector<uint8_t>& keep, const std::string& name, const std::string& axis, const std::string& setting,
                std::vector<RuleOutcome>& rules, Pass pass) {
  RuleOutcome o{name, axis, setting, 0, 0};
  for (size_t i = 0; i < keep.size(); ++i) {
    if (!keep[i]) continue;
    if (!pass(static_cast<int64_t>(i))) {
      keep[i] = 0;
      ++o.removed;
    } else {
      ++o.remaining;
    }
  }
  rules.push_back(o);
}

std::string number(double v) { return fmt::format("{}", v); }

}  // namespace

QcResult qc_cells(const MatrixSource& src, const io::DataFrame& var, const QcConfig& cfg) {
  if (var.n_rows() != src.n_cols)
    throw io::FormatError(fmt::format("{}: var has {} rows but the matrix has {} columns", src.what, var.n_rows(), src.n_cols));
  std::vector<std::string> names;
  try {
    names = io::gene_ids(var, cfg.gene_symbol_column);
  } catch (const io::FormatError& e) {
    throw io::FormatError(fmt::format("qc.gene_symbol_column = '{}' ({}): {}", cfg.gene_symbol_column, src.what, e.what()));
  }
  QcResult r;
  r.n_obs_before = src.n_rows;
  r.n_vars_before = src.n_cols;
  const std::vector<std::string> needs_counts = count_based_rules(cfg);
  r.metrics = compute_cell_metrics(src, gene_flags(names, cfg.mt_prefixes, cfg.ribo_prefixes),
                                   stream_options(cfg, !needs_counts.empty()));
  if (!r.metrics.not_counts.empty())
    spdlog::warn("{} does not hold raw counts ({}): total_counts and the other QC metrics are not counts", src.what,
                 r.metrics.not_counts);
  if ((cfg.max_mt_fraction || cfg.iqr.enabled) && r.metrics.n_mt_genes == 0)
    spdlog::warn("no gene of {} starts with a mitochondrial prefix ({}); pct_counts_mt is 0 for every cell{}", src.what,
                 join(cfg.mt_prefixes), cfg.gene_symbol_column.empty() ? " (set qc.gene_symbol_column if the var index holds Ensembl ids)" : "");
  r.keep_cells.assign(static_cast<size_t>(src.n_rows), 1);
  r.keep_genes.assign(static_cast<size_t>(src.n_cols), 1);
  const CellMetrics& m = r.metrics;
  auto& keep = r.keep_cells;
  if (cfg.min_counts)
    apply_rule(keep, "min_counts", "cells", "total_counts >= " + number(*cfg.min_counts), r.rules,
               [&](int64_t i) { return m.total_counts[static_cast<size_t>(i)] >= *cfg.min_counts; });
  if (cfg.max_counts)
    apply_rule(keep, "max_counts", "cells", "total_counts <= " + number(*cfg.max_counts), r.rules,
               [&](int64_t i) { return m.total_counts[static_cast<size_t>(i)] <= *cfg.max_counts; });
  if (cfg.min_genes)
    apply_rule(keep, "min_genes", "cells", fmt::format("n_genes_by_counts >= {}", *cfg.min_genes), r.rules,
               [&](int64_t i) { return m.n_genes_by_counts[static_cast<size_t>(i)] >= *cfg.min_genes; });
  if (cfg.max_genes)
    apply_rule(keep, "max_genes", "cells", fmt::format("n_genes_by_counts <= {}", *cfg.max_genes), r.rules,
               [&](int64_t i) { return m.n_genes_by_counts[static_cast<size_t>(i)] <= *cfg.max_genes; });
  if (cfg.max_mt_fraction)
    apply_rule(keep, "max_mt_fraction", "cells",
               fmt::format("total_counts_mt / total_counts <= {} ({} mitochondrial genes)", *cfg.max_mt_fraction,
                           m.n_mt_genes),
               r.rules, [&](int64_t i) { return m.mt_fraction(i) <= *cfg.max_mt_fraction; });
  if (cfg.iqr.enabled) {
    // Bounds from the cells that reach this rule, every metric on the same population.
    std::vector<int64_t> seen;
    for (size_t i = 0; i < keep.size(); ++i)
      if (keep[i]) seen.push_back(static_cast<int64_t>(i));
    std::vector<uint8_t> outside(keep.size(), 0);
    if (!seen.empty()) {
      for (const auto& metric : cfg.iqr.metrics) {
        const std::vector<double> values = m.values(metric, seen);
        IqrBounds b;
        b.metric = metric;
        b.q1 = percentile_linear(values, 25);
        b.q3 = percentile_linear(values, 75);
        const double iqr = b.q3 - b.q1;
        b.lower = b.q1 - cfg.iqr.k * iqr;
        b.upper = b.q3 + cfg.iqr.k * iqr;
        for (size_t j = 0; j < seen.size(); ++j) {
          if (values[j] < b.lower || values[j] > b.upper) {
            ++b.outside;
            outside[static_cast<size_t>(seen[j])] = 1;
          }
        }
        r.iqr.push_back(b);
      }
    }
    apply_rule(keep, "iqr", "cells", fmt::format("k = {} on {}", cfg.iqr.k, join(cfg.iqr.metrics)), r.rules,
               [&](int64_t i) { return !outside[static_cast<size_t>(i)]; });
  }
  return r;
}

void restrict_cells(QcResult& result, const std::vector<int64_t>& rows, const std::string& name,
                    const std::string& setting) {
  std::vector<uint8_t> chosen(result.keep_cells.size(), 0);
  for (int64_t r : rows) {
    if (r < 0 || r >= static_cast<int64_t>(chosen.size()) || !result.keep_cells[static_cast<size_t>(r)])
      throw std::invalid_argument(fmt::format("restrict_cells ({}): row {} is not a kept cell", name, r));
    chosen[static_cast<size_t>(r)] = 1;
  }
  apply_rule(result.keep_cells, name, "cells", setting, result.rules,
             [&](int64_t i) { return chosen[static_cast<size_t>(i)] != 0; });
}

void sample_cells(QcResult& result, const SampleConfig& cfg, const io::DataFrame& obs, uint64_t seed) {
  if (cfg.method == "none") return;
  if (obs.n_rows() != static_cast<int64_t>(result.keep_cells.size()))
    throw io::FormatError(
        fmt::format("sampling: obs has {} rows but QC saw {} cells", obs.n_rows(), result.keep_cells.size()));
  if (cfg.method == "balanced" && cfg.replace)
    throw ConfigError(
        "sample.replace = true would write the same cell several times into one h5ad; sampling with replacement is "
        "for training loaders (bmfm::data::sample_balanced), not for bmfm qc");
  SampleOutcome outcome;
  std::vector<int64_t> rows = sample_rows(cfg, obs, result.kept_cells(), seed, &outcome);
  std::string setting = cfg.method;
  if (cfg.method == "uniform" || cfg.method == "equal")
    setting += cfg.n > 0 ? fmt::format(" n = {}", cfg.n) : fmt::format(" fraction = {}", cfg.fraction);
  if (cfg.method == "balanced") setting += fmt::format(" n_per_class = {}", cfg.n_per_class);
  if (!cfg.columns.empty()) setting += " by " + join(cfg.columns, " x ");
  setting += fmt::format(", seed = {}", seed);
  restrict_cells(result, rows, "sample", setting);
  result.sample = std::move(outcome);
}

namespace {

DispersionStats dispersion_stats(const MatrixSource& src, const QcConfig& cfg, const std::vector<uint8_t>& keep_cells,
                                 const std::vector<uint8_t>& genes_in) {
  const auto G = static_cast<size_t>(src.n_cols);
  const int nt = detail::compute_threads(cfg.threads);
  std::vector<std::vector<double>> sum(static_cast<size_t>(nt), std::vector<double>(G, 0)),
      sumsq(static_cast<size_t>(nt), std::vector<double>(G, 0));
  const double target = cfg.dispersion.target_sum;
  int64_t n_cells = 0;
  for (uint8_t k : keep_cells) n_cells += k ? 1 : 0;
  detail::for_each_chunk(src, cfg.chunk_rows, &keep_cells, [&](const io::CsrMatrix& chunk, int64_t row0) {
#pragma omp parallel num_threads(nt)
    {
      auto& s = sum[static_cast<size_t>(omp_get_thread_num())];
      auto& s2 = sumsq[static_cast<size_t>(omp_get_thread_num())];
#pragma omp for schedule(static)
      for (int64_t r = 0; r < chunk.n_rows; ++r) {
        if (!keep_cells[static_cast<size_t>(row0 + r)]) continue;
        const auto k0 = static_cast<size_t>(chunk.indptr[static_cast<size_t>(r)]);
        const auto k1 = static_cast<size_t>(chunk.indptr[static_cast<size_t>(r) + 1]);
        double total = 0;  // normalize_total sums over the genes present at this point
        for (size_t k = k0; k < k1; ++k)
          if (genes_in[static_cast<size_t>(chunk.indices[k])]) total += chunk.data[k];
        if (total <= 0) continue;  // an all-zero cell stays zero (scanpy divides by 1)
        const double scale = target / total;
        for (size_t k = k0; k < k1; ++k) {
          const auto g = static_cast<size_t>(chunk.indices[k]);
          if (!genes_in[g]) continue;
          const double y = chunk.data[k] * scale;
          s[g] += y;
          s2[g] += y * y;
        }
      }
    }
  });
  DispersionStats d;
  d.means.assign(G, kNaN);
  d.dispersions.assign(G, kNaN);
  d.dispersions_norm.assign(G, kNaN);
  std::vector<size_t> genes;
  for (size_t g = 0; g < G; ++g)
    if (genes_in[g]) genes.push_back(g);
  d.n_genes_seen = static_cast<int64_t>(genes.size());
  if (genes.empty() || n_cells == 0) return d;
  const auto n = static_cast<double>(n_cells);
  std::vector<double> mean(genes.size()), var(genes.size());
  for (size_t j = 0; j < genes.size(); ++j) {
    const size_t g = genes[j];
    double s = 0, s2 = 0;
    for (int t = 0; t < nt; ++t) {
      s += sum[static_cast<size_t>(t)][g];
      s2 += sumsq[static_cast<size_t>(t)][g];
    }
    mean[j] = s / n;
    // scanpy's _get_mean_var: E[x^2] - E[x]^2, then the n / (n - 1) correction.
    var[j] = n > 1 ? (s2 / n - mean[j] * mean[j]) * (n / (n - 1)) : kNaN;
  }
  // The binning and z-scoring are shared with the benchmark's HVG selection.
  const GeneDispersion gd = seurat_dispersion(mean, var, static_cast<int>(cfg.dispersion.n_bins));
  for (size_t j = 0; j < genes.size(); ++j) {
    d.means[genes[j]] = gd.means[j];
    d.dispersions[genes[j]] = gd.dispersions[j];
    d.dispersions_norm[genes[j]] = gd.dispersions_norm[j];
  }
  return d;
}

}  // namespace

void qc_genes(const MatrixSource& src, const io::DataFrame& var, const QcConfig& cfg, QcResult& r,
              const GeneTable* table) {
  const auto G = static_cast<size_t>(src.n_cols);
  if (r.keep_cells.size() != static_cast<size_t>(src.n_rows) || r.keep_genes.size() != G)
    throw std::invalid_argument("qc_genes: the QC result does not belong to " + src.what);
  // n_cells per gene over the kept cells (rule 7 and var's n_cells_by_counts);
  // when every cell is kept, the metrics pass has counted them already.
  const bool all_kept = std::all_of(r.keep_cells.begin(), r.keep_cells.end(), [](uint8_t k) { return k != 0; });
  if (all_kept && r.metrics.gene_n_cells.size() == G) {
    r.gene_n_cells_kept = r.metrics.gene_n_cells;
  } else {
    const int nt = detail::compute_threads(cfg.threads);
    std::vector<std::vector<int64_t>> local(static_cast<size_t>(nt), std::vector<int64_t>(G, 0));
    detail::for_each_chunk(src, cfg.chunk_rows, &r.keep_cells, [&](const io::CsrMatrix& chunk, int64_t row0) {
#pragma omp parallel num_threads(nt)
      {
        auto& n_cells = local[static_cast<size_t>(omp_get_thread_num())];
#pragma omp for schedule(static)
        for (int64_t row = 0; row < chunk.n_rows; ++row) {
          if (!r.keep_cells[static_cast<size_t>(row0 + row)]) continue;
          for (int64_t k = chunk.indptr[static_cast<size_t>(row)]; k < chunk.indptr[static_cast<size_t>(row) + 1]; ++k)
            if (chunk.data[static_cast<size_t>(k)] > 0) ++n_cells[static_cast<size_t>(chunk.indices[static_cast<size_t>(k)])];
        }
      }
    });
    r.gene_n_cells_kept.assign(G, 0);
    for (const auto& l : local)
      for (size_t g = 0; g < G; ++g) r.gene_n_cells_kept[g] += l[g];
  }

  if (cfg.min_cells)
    apply_rule(r.keep_genes, "min_cells", "genes", fmt::format("n_cells_by_counts >= {} (over the kept cells)", *cfg.min_cells),
               r.rules, [&](int64_t g) { return r.gene_n_cells_kept[static_cast<size_t>(g)] >= *cfg.min_cells; });

  if (cfg.protein_coding.enabled) {
    std::unique_ptr<GeneTable> loaded;
    if (!table) {
      try {
        loaded = std::make_unique<GeneTable>(GeneTable::load(cfg.protein_coding.gene_table));
      } catch (const io::FormatError& e) {
        throw io::FormatError(fmt::format("qc.protein_coding.gene_table: {} (a relative path is taken from the "
                                          "working folder; set the key or BMFM_DATA_DIR)",
                                          e.what()));
      }
      table = loaded.get();
    }
    std::vector<std::string> ids;
    try {
      ids = io::gene_ids(var, cfg.protein_coding.gene_id_column);
    } catch (const io::FormatError& e) {
      throw io::FormatError(fmt::format("qc.protein_coding.gene_id_column = '{}' ({}): {}",
                                        cfg.protein_coding.gene_id_column, src.what, e.what()));
    }
    const GeneTable::Match match = parse_gene_match(cfg.protein_coding.match);
    int64_t found = 0;
    for (const auto& id : ids) found += table->contains(id, match) ? 1 : 0;
    if (found == 0)
      throw io::FormatError(fmt::format(
          "protein_coding: none of the {} gene ids of {} ({}, e.g. '{}') is in gene table {} (match = {}); point "
          "qc.protein_coding.gene_id_column at the var column holding symbols or Ensembl ids",
          ids.size(), src.what,
          cfg.protein_coding.gene_id_column.empty() ? std::string("var index") : "var column " + cfg.protein_coding.gene_id_column,
          ids.empty() ? "" : ids.front(), table->source(), cfg.protein_coding.match));
    apply_rule(r.keep_genes, "protein_coding", "genes",
               fmt::format("locus_group == '{}' in {} ({} of {} gene ids found, match = {})", kProteinCodingLocusGroup,
                           table->source(), found, ids.size(), cfg.protein_coding.match),
               r.rules, [&](int64_t g) { return table->is_protein_coding(ids[static_cast<size_t>(g)], match); });
  }

  if (cfg.dispersion.min_disp) {
    r.dispersion = dispersion_stats(src, cfg, r.keep_cells, r.keep_genes);
    const double cut = *cfg.dispersion.min_disp;
    const auto& norm = r.dispersion->dispersions_norm;
    apply_rule(r.keep_genes, "dispersion", "genes",
               fmt::format("dispersions_norm > {} (seurat, {} bins, target_sum {})", cut, cfg.dispersion.n_bins,
                           cfg.dispersion.target_sum),
               r.rules, [&](int64_t g) { return norm[static_cast<size_t>(g)] > cut; });  // NaN fails
  }
}

QcResult run_qc(const MatrixSource& src, const io::DataFrame& var, const QcConfig& cfg, const GeneTable* table) {
  QcResult r = qc_cells(src, var, cfg);
  qc_genes(src, var, cfg, r, table);
  return r;
}

}  // namespace bmfm::data

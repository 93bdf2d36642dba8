// Quality control of a count matrix, with scanpy's semantics
// (sc.pp.calculate_qc_metrics, filter_cells, filter_genes,
// highly_variable_genes(flavor="seurat")), streamed over row chunks so that
// files larger than memory can be checked.
//
// Per-cell metrics (scanpy names), computed once on the chosen matrix with
// every gene of the file:
//   total_counts       sum of the cell's values
//   n_genes_by_counts  number of genes with a value > 0
//   total_counts_mt    sum over genes whose name starts with an MT prefix ("MT-", "mt-")
//   total_counts_ribo  sum over genes starting with a ribosomal prefix ("RPS", "RPL", "Rps", "Rpl")
//   pct_counts_mt      100 * total_counts_mt / total_counts (percent, as scanpy; 0 for an empty cell)
//   pct_counts_ribo    the same for ribosomal genes
// Per gene: n_cells_by_counts, the number of cells with a value > 0.
//
// Rules, applied in this fixed order (each optional; a cell or gene removed by
// an earlier rule is not counted again by a later one):
//   cells  1 min_counts       keep total_counts >= min_counts
//          2 max_counts       keep total_counts <= max_counts
//          3 min_genes        keep n_genes_by_counts >= min_genes
//          4 max_genes        keep n_genes_by_counts <= max_genes
//          5 max_mt_fraction  keep total_counts_mt / total_counts <= max_mt_fraction (a fraction, paper: 0.15)
//          6 iqr              remove cells outside [Q1 - k*IQR, Q3 + k*IQR] for any configured metric
//                             (log1p_total_counts, log1p_n_genes_by_counts, pct_counts_mt,
//                             pct_counts_ribo); quartiles over the cells left after rules 1-5, all
//                             metrics on that same population, numpy's default (linear
//                             interpolation) quantile definition
//          (sampling, when configured, happens here: after the cell rules, before the gene rules)
//   genes  7 min_cells        keep genes with a value > 0 in >= min_cells of the kept cells
//          8 protein_coding   keep genes that a gene table marks `protein-coding gene`
//          9 dispersion       seurat-flavour normalised dispersion over the kept cells and the genes
//                             left after 7-8: per cell x / sum(x over those genes) * target_sum
//                             (normalize_total; the mean and variance are of these values, which is
//                             what scanpy gets from expm1 of log1p data), mean (clamped to 1e-12 when
//                             zero) and unbiased variance per gene, dispersion = log(var / mean)
//                             (undefined when var = 0), genes binned into n_bins equal-width bins of
//                             log1p(mean) (pandas.cut), dispersion z-scored within the bin (a bin with
//                             one gene gives 1); keep genes with dispersions_norm > min_disp
//                             (scanpy's strict min_disp test; undefined dispersions are removed)
// Cell metrics are never recomputed after gene rules: they describe the cells
// as the file holds them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bmfm/config/schema.h"
#include "bmfm/data/gene_table.h"
#include "bmfm/data/sampler.h"
#include "bmfm/io/anndata.h"
#include "bmfm/io/h5ad.h"

namespace bmfm::data {

struct IqrConfig {
  bool enabled = false;
  double k = 1.5;
  std::vector<std::string> metrics = {"log1p_total_counts", "log1p_n_genes_by_counts", "pct_counts_mt"};
};

struct ProteinCodingConfig {
  bool enabled = false;
  std::string gene_table;      // TSV with symbol, ensembl_gene_id, locus_group
  std::string gene_id_column;  // var column holding the ids to match; "" = var index
  std::string match = "auto";  // auto (symbol, then Ensembl id) | symbol | ensembl
};

struct DispersionConfig {
  std::optional<double> min_disp;  // null = rule off
  int64_t n_bins = 20;
  double target_sum = 1e4;
};

struct QcConfig {
  std::string matrix = "X";                 // X or layers/<name>: the raw counts
  std::string gene_symbol_column;           // var column with symbols for the MT / ribo prefixes; "" = index
  std::vector<std::string> mt_prefixes = {"MT-", "mt-"};
  std::vector<std::string> ribo_prefixes = {"RPS", "RPL", "Rps", "Rpl"};
  std::optional<double> min_counts;
  std::optional<double> max_counts;
  std::optional<int64_t> min_genes;
  std::optional<int64_t> max_genes;
  std::optional<double> max_mt_fraction;
  IqrConfig iqr;
  std::optional<int64_t> min_cells;
  ProteinCodingConfig protein_coding;
  DispersionConfig dispersion;
  int64_t chunk_rows = 4096;  // rows read per chunk
  int64_t threads = 0;        // 0 = all available cores
};

const config::Schema<QcConfig>& qc_schema();

// Names of the enabled rules that need raw counts (all but protein_coding and min_cells).
std::vector<std::string> count_based_rules(const QcConfig& cfg);

// Where QC reads rows from: an open h5ad matrix or one in memory.
struct MatrixSource {
  std::string what;  // e.g. "layers/counts of data/pbmc.h5ad", for messages
  int64_t n_rows = 0;
  int64_t n_cols = 0;
  bool row_streamable = true;  // false for CSC, whose row slices read the whole matrix
  std::string alternatives;    // for messages: the file's other matrices, e.g. "X, layers/counts"
  std::function<io::CsrMatrix(int64_t row_begin, int64_t row_end)> read;
};
// `key` is "X" or "layers/<name>"; anything else (raw/X, a missing layer) throws
// ConfigError naming the key and listing the layers the file has.
MatrixSource matrix_source(const io::CellReader& reader, const std::string& key);
MatrixSource matrix_source(const io::CsrMatrix& m, std::string what);

// Per-gene flags from names: bit 1 = mitochondrial, bit 2 = ribosomal.
enum GeneFlag : uint8_t { kGeneMt = 1, kGeneRibo = 2 };
std::vector<uint8_t> gene_flags(const std::vector<std::string>& names, const std::vector<std::string>& mt_prefixes,
                                const std::vector<std::string>& ribo_prefixes);

struct CellMetrics {
  std::vector<double> total_counts;
  std::vector<int32_t> n_genes_by_counts;
  std::vector<double> total_counts_mt;
  std::vector<double> total_counts_ribo;
  std::vector<int64_t> gene_n_cells;  // n_cells_by_counts per gene, over all cells
  int64_t n_mt_genes = 0, n_ribo_genes = 0;
  // First value that is not a raw count (empty when the matrix holds counts).
  std::string not_counts;

  int64_t n_cells() const { return static_cast<int64_t>(total_counts.size()); }
  double mt_fraction(int64_t i) const;    // 0 for an empty cell
  double ribo_fraction(int64_t i) const;  // 0 for an empty cell
  // A metric by name: total_counts, n_genes_by_counts, pct_counts_mt,
  // pct_counts_ribo, log1p_total_counts, log1p_n_genes_by_counts,
  // total_counts_mt, total_counts_ribo. Throws std::invalid_argument for others.
  double value(const std::string& metric, int64_t i) const;
  // The metric of every cell (rows empty) or of `rows`.
  std::vector<double> values(const std::string& metric, const std::vector<int64_t>& rows = {}) const;
};

struct StreamOptions {
  int64_t chunk_rows = 4096;
  int64_t threads = 0;
  // When non-empty, a value that is not a raw count throws io::FormatError
  // saying these rules need counts.
  std::vector<std::string> require_counts_for;
};

// One streaming pass: the per-cell metrics and per-gene n_cells.
CellMetrics compute_cell_metrics(const MatrixSource& src, const std::vector<uint8_t>& flags, const StreamOptions& opt);

// numpy.percentile(values, q) with the default linear interpolation; q in [0, 100].
double percentile_linear(std::vector<double> values, double q);

struct RuleOutcome {
  std::string name;     // min_counts, ..., sample, min_cells, ...
  std::string axis;     // "cells" or "genes"
  std::string setting;  // e.g. ">= 500", "k = 1.5 on log1p_total_counts, pct_counts_mt", "equal 10% by cell_type"
  int64_t removed = 0;
  int64_t remaining = 0;
};

struct IqrBounds {
  std::string metric;
  double q1 = 0, q3 = 0, lower = 0, upper = 0;
  int64_t outside = 0;  // cells outside the bounds among those the rule saw
};

struct DispersionStats {  // per gene of the file; NaN for genes the rule did not see
  std::vector<double> means;             // log1p(mean of normalised values), scanpy's `means`
  std::vector<double> dispersions;       // log(var / mean)
  std::vector<double> dispersions_norm;  // z-score within the mean bin
  int64_t n_genes_seen = 0;
};

struct QcResult {
  int64_t n_obs_before = 0, n_vars_before = 0;
  CellMetrics metrics;
  std::vector<uint8_t> keep_cells, keep_genes;
  std::vector<RuleOutcome> rules;
  std::vector<IqrBounds> iqr;
  std::optional<SampleOutcome> sample;
  std::vector<int64_t> gene_n_cells_kept;  // per gene of the file: cells with a value > 0 among the kept cells
  std::optional<DispersionStats> dispersion;

  int64_t n_obs_after() const;
  int64_t n_vars_after() const;
  std::vector<int64_t> kept_cells() const;  // ascending file rows
  std::vector<int64_t> kept_genes() const;  // ascending file columns
};

// Step 1: metrics (one pass) and cell rules 1-6. `var` supplies the gene
// names (cfg.gene_symbol_column or the index).
QcResult qc_cells(const MatrixSource& src, const io::DataFrame& var, const QcConfig& cfg);
// Optional step 2: keep only `rows` (a subset of the kept cells), recorded as rule `name`.
void restrict_cells(QcResult& result, const std::vector<int64_t>& rows, const std::string& name,
                    const std::string& setting);
// Optional step 2 via a sampler config (method none is a no-op).
void sample_cells(QcResult& result, const SampleConfig& cfg, const io::DataFrame& obs, uint64_t seed);
// Step 3: gene rules 7-9 over the kept cells (one pass, two with dispersion).
// `table` may be null: then cfg.protein_coding.gene_table is loaded when needed.
void qc_genes(const MatrixSource& src, const io::DataFrame& var, const QcConfig& cfg, QcResult& result,
              const GeneTable* table = nullptr);
// All three steps, without sampling.
QcResult run_qc(const MatrixSource& src, const io::DataFrame& var, const QcConfig& cfg, const GeneTable* table = nullptr);

// The filtered AnnData: the kept cells and genes of X, every layer, raw/X
// (rows only: raw keeps every gene, as in anndata) and the dense obsm entries;
// obs gains the QC metric columns (replacing same-named ones), var gains
// n_cells_by_counts (over the kept cells) and, with the dispersion rule,
// means / dispersions / dispersions_norm. Unused categories are dropped.
// Reads the file chunk by chunk; the result is held in memory.
io::AnnData qc_subset(const io::CellReader& reader, const QcResult& result, const QcConfig& cfg);

// Rows / columns of in-memory tables.
io::CsrMatrix take(const io::CsrMatrix& m, const std::vector<int64_t>& rows, const std::vector<int64_t>& cols);

// Reports. `input` / `output` are recorded as given.
struct QcReportContext {
  std::string input, output, matrix;
  double seconds = 0;
};
std::string qc_report_json(const QcResult& result, const QcConfig& cfg, const QcReportContext& ctx);
std::string qc_report_markdown(const QcResult& result, const QcConfig& cfg, const QcReportContext& ctx);
// A text histogram (one line per bin: range, count, bar of '#').
std::string text_histogram(const std::vector<double>& values, int n_bins = 20, int width = 40);

}  // namespace bmfm::data

#include "bmfm/data/transforms.h"

#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "bmfm/config/error.h"
#include "bmfm/data/gene_mapping.h"
#include "transform_tsv.h"

namespace bmfm::data {

namespace {

const std::vector<std::string> kOrderModes = {"none", "random", "expression", "rank", "chromosomal"};
const std::vector<std::string> kDropoutModes = {"none", "random", "chunk", "ordered"};
const std::vector<std::string> kPaddingModes = {"none", "random", "batch_wise", "interleaved"};
const std::vector<std::string> kRdaModes = {"none", "downsample", "equal", "align"};
const std::vector<std::string> kBinningMethods = {"none", "int_cast", "percentile", "scgpt", "log"};
const std::vector<std::string> kRoundings = {"floor", "ceil"};

struct Violation {
  std::string key;  // relative to the transforms section, e.g. "rda.mode"
  std::string what;
};

bool one_of(const std::string& v, const std::vector<std::string>& choices) {
  for (const auto& c : choices)
    if (c == v) return true;
  return false;
}

// Every rule of the transforms section, in one place: the schema check (keys
// with file:line) and the pipeline constructor (programmatic configs) share it.
std::vector<Violation> violations(const TransformConfig& c) {
  std::vector<Violation> out;
  auto add = [&out](std::string key, std::string what) { out.push_back({std::move(key), std::move(what)}); };
  auto choice = [&](const std::string& key, const std::string& v, const std::vector<std::string>& choices) {
    if (!one_of(v, choices)) add(key, fmt::format("'{}' is not one of: {}", v, fmt::join(choices, ", ")));
  };
  auto probability = [&](const std::string& key, double p) {
    if (!(p >= 0.0 && p <= 1.0)) add(key, fmt::format("must be in [0, 1], got {}", p));
  };
  choice("order.mode", c.order.mode, kOrderModes);
  choice("dropout.mode", c.dropout.mode, kDropoutModes);
  choice("zero_padding.mode", c.zero_padding.mode, kPaddingModes);
  choice("rda.mode", c.rda.mode, kRdaModes);
  choice("binning.method", c.binning.method, kBinningMethods);
  choice("binning.int_cast_rounding", c.binning.int_cast_rounding, kRoundings);
  const bool rda = c.rda.mode != "none";
  if (c.max_length < 0) add("max_length", "must be >= 0 (0 = no limit)");
  if (rda && c.max_length > 0 && c.max_length < 3)
    add("max_length", fmt::format("must be >= 3 with RDA ([S], [T] and at least one gene), got {}", c.max_length));
  if (!(c.normalize.target_sum > 0)) add("normalize.target_sum", "must be positive");
  if (!c.normalize.enabled && c.normalize.median_scaling)
    add("normalize.median_scaling", "has no effect with normalize.enabled: false");
  if (!c.normalize.enabled && !c.normalize.gene_medians_file.empty())
    add("normalize.gene_medians_file", "has no effect with normalize.enabled: false");
  if (rda && c.normalize.enabled)
    add("normalize.enabled",
        "must be false when rda.mode is set: RDA log-normalises the kept genes itself (inputs by S, targets by R)");
  if (c.order.mode == "rank" && c.order.rank_column.empty())
    add("order.rank_column", "order.mode 'rank' needs the numeric var column to order by");
  if (c.order.mode == "chromosomal" && c.order.locations_file.empty())
    add("order.locations_file", "order.mode 'chromosomal' needs a gene locations TSV (e.g. hgnc_genes.tsv)");
  if (c.order.resample && c.order.mode != "chromosomal")
    add("order.resample", "only applies to order.mode chromosomal");
  if (c.order.resample && c.max_length == 0) add("order.resample", "needs max_length > 0 (the number of draws)");
  if (c.order.resample && rda) add("order.resample", "repeats one gene at several positions; not combinable with RDA");
  probability("dropout.rate", c.dropout.rate);
  probability("dropout.chunk_fraction", c.dropout.chunk_fraction);
  if (c.dropout.top_k < 0) add("dropout.top_k", "must be >= 0");
  if (c.zero_padding.mode != "none" && c.max_length == 0)
    add("zero_padding.mode", "needs max_length > 0 (the length to pad up to)");
  probability("zero_padding.zero_ratio", c.zero_padding.zero_ratio);
  if (!(c.rda.threshold >= 0)) add("rda.threshold", "must be >= 0");
  probability("rda.probability", c.rda.probability);
  if (!(c.rda.beta_a > 0) || !(c.rda.beta_b > 0)) add("rda.beta_a", "Beta parameters must be positive");
  if (!(c.rda.target_sum > 0)) add("rda.target_sum", "must be positive");
  if (c.rda.mode == "align" && !(c.rda.align_depth > 0))
    add("rda.align_depth", "rda.mode 'align' needs the target depth [T] (> 0)");
  if (c.binning.method != "none") {
    const int64_t min_bins = c.binning.method == "scgpt" ? 3 : 2;
    if (c.binning.n_bins < min_bins || c.binning.n_bins > 1000000)
      add("binning.n_bins", fmt::format("must be in [{}, 1000000], got {}", min_bins, c.binning.n_bins));
    if (rda)
      add("binning.method",
          "RDA's [S] [T] depth values are continuous and have no bin: use binning.method none (a continuous "
          "expression encoder) with RDA");
  }
  if (c.binning.method == "log" && !(c.binning.log_min > 0 && c.binning.log_max > c.binning.log_min))
    add("binning.log_min", "log bins need 0 < log_min < log_max");
  return out;
}

}  // namespace

// ---- schema ----------------------------------------------------------------------------

const config::Schema<TransformConfig>& transform_schema() {
  using N = NormalizeConfig;
  using O = OrderConfig;
  using D = DropoutConfig;
  using Z = ZeroPaddingConfig;
  using R = RdaConfig;
  using B = BinningConfig;
  using T = TransformConfig;
  static const auto normalize =
      config::Schema<N>("transforms.normalize")
          .field("enabled", &N::enabled, "(1) log1p(x / total * target_sum), total over the cell's mapped genes")
          .field("target_sum", &N::target_sum, "the sum each cell is scaled to before log1p")
          .field("median_scaling", &N::median_scaling,
                 "use the dataset's median total count as the target sum (scanpy normalize_total(target_sum=None))")
          .field("gene_medians_file", &N::gene_medians_file,
                 "Geneformer-style per-gene medians (TSV: gene, median): divide each gene by its median first, "
                 "dropping genes without one; '' = off");
  static const auto order =
      config::Schema<O>("transforms.order")
          .field("mode", &O::mode, "(2) none | random | expression (descending) | rank | chromosomal")
          .field("rank_column", &O::rank_column, "rank: numeric var column, smaller first")
          .field("rank_descending", &O::rank_descending, "rank: larger first")
          .field("locations_file", &O::locations_file,
                 "chromosomal: TSV with gene + (chromosome, start) or HGNC cytoband `location`")
          .field("locations_gene_column", &O::locations_gene_column, "chromosomal: the gene column of locations_file")
          .field("shuffle_chromosomes", &O::shuffle_chromosomes,
                 "chromosomal: chromosome blocks in random order per cell (UCE); false = 1..22, X, Y, MT")
          .field("keep_unlocated", &O::keep_unlocated, "chromosomal: keep genes without a location, after the rest")
          .field("resample", &O::resample,
                 "chromosomal: UCE repeats: max_length draws with replacement, weights log1p(count)");
  static const auto dropout =
      config::Schema<D>("transforms.dropout")
          .field("mode", &D::mode, "(4) none | random | chunk | ordered")
          .field("rate", &D::rate, "random: probability of removing each position")
          .field("chunk_fraction", &D::chunk_fraction, "chunk: fraction of positions in the contiguous block removed")
          .field("top_k", &D::top_k, "ordered: remove the k highest-expressed genes");
  static const auto padding =
      config::Schema<Z>("transforms.zero_padding")
          .field("mode", &Z::mode,
                 "(5) none | random | batch_wise (zeros expressed elsewhere in the batch first) | interleaved")
          .field("zero_ratio", &Z::zero_ratio, "interleaved: fraction of the max_length positions that are zeros");
  static const auto rda =
      config::Schema<R>("transforms.rda")
          .field("mode", &R::mode, "(6) none | downsample (scFoundation) | equal (no thinning) | align (inference)")
          .field("threshold", &R::threshold, "downsample only cells whose kept raw total R is >= this")
          .field("probability", &R::probability, "chance a cell above the threshold is downsampled")
          .field("beta_a", &R::beta_a, "thinning fraction b ~ Beta(beta_a, beta_b)")
          .field("beta_b", &R::beta_b, "thinning fraction b ~ Beta(beta_a, beta_b)")
          .field("target_sum", &R::target_sum, "inputs log1p(x/S*target_sum), targets log1p(r/R*target_sum)")
          .field("align_depth", &R::align_depth, "align: the target depth written as [T]");
  static const auto binning =
      config::Schema<B>("transforms.binning")
          .field("method", &B::method, "(7) none | int_cast | percentile | scgpt | log")
          .field("n_bins", &B::n_bins, "bin ids 0 .. n_bins-1, 0 = zero expression")
          .field("int_cast_rounding", &B::int_cast_rounding, "int_cast: floor (scBERT) | ceil")
          .field("random_ties", &B::random_ties, "scgpt: spread values equal to several edges at random")
          .field("log_min", &B::log_min, "log: lower end of the log-spaced bins")
          .field("log_max", &B::log_max, "log: upper end of the log-spaced bins");
  static const auto schema =
      config::Schema<T>("transforms")
          .field("max_length", &T::max_length, "positions out of the transforms ([S] [T] included); 0 = no limit")
          .section("normalize", &T::normalize, normalize, "(1) normalisation")
          .section("order", &T::order, order, "(2) gene ordering")
          .section("dropout", &T::dropout, dropout, "(4) dropout")
          .section("zero_padding", &T::zero_padding, padding, "(5) zero-gene padding")
          .section("rda", &T::rda, rda, "(6) read-depth-aware downsampling")
          .section("binning", &T::binning, binning, "(7) expression binning")
          .check([](const T& c, const config::Config& cfg, const std::string& prefix) {
            const auto v = violations(c);
            if (!v.empty()) config::fail(cfg, prefix + v.front().key, v.front().what);
          });
  return schema;
}

// ---- resources --------------------------------------------------------------------------

std::vector<float> load_gene_medians(const std::string& path, const Vocab& vocab) {
  const auto header = detail::read_tsv_columns(path, {}).header;
  if (header.empty() || header.front().empty())
    throw std::runtime_error(fmt::format("{}: the first header field must name the gene column", path));
  auto t = detail::read_tsv_columns(path, {header.front(), "median"});
  std::vector<float> medians(static_cast<size_t>(vocab.size()), std::numeric_limits<float>::quiet_NaN());
  for (size_t i = 0; i < t.columns[0].size(); ++i) {
    const int32_t id = vocab.id(t.columns[0][i]);
    if (id < vocab.n_special()) continue;
    const std::string& s = t.columns[1][i];
    double m = 0;
    try {
      size_t used = 0;
      m = std::stod(s, &used);
      if (used != s.size()) throw std::invalid_argument(s);
    } catch (const std::exception&) {
      throw std::runtime_error(fmt::format("{}: row {}: median '{}' is not a number", path, i + 2, s));
    }
    if (std::isnan(medians[static_cast<size_t>(id)])) medians[static_cast<size_t>(id)] = static_cast<float>(m);
  }
  return medians;
}

TransformResources load_transform_resources(const TransformConfig& cfg, const Vocab& vocab) {
  TransformResources r;
  if (cfg.normalize.enabled && !cfg.normalize.gene_medians_file.empty())
    r.gene_medians = load_gene_medians(cfg.normalize.gene_medians_file, vocab);
  if (cfg.order.mode == "chromosomal")
    r.locations = load_gene_locations(cfg.order.locations_file, vocab, cfg.order.locations_gene_column);
  return r;
}

std::vector<float> ranks_from_var_column(const io::DataFrame& var, const std::string& column,
                                         const GeneMapping& mapping, bool descending) {
  const io::Column& c = var.at(column);
  if (c.kind != io::Column::Kind::Numeric && c.kind != io::Column::Kind::Integer)
    throw std::invalid_argument(fmt::format(
        "order.rank_column: var column '{}' holds {} values; ranks need a numeric column", column, c.dtype));
  if (c.size() != mapping.n_vars())
    throw std::invalid_argument(fmt::format("order.rank_column: var column '{}' has {} rows but the mapping has {}",
                                            column, c.size(), mapping.n_vars()));
  std::vector<float> rank(static_cast<size_t>(mapping.vocab_size()), std::numeric_limits<float>::quiet_NaN());
  for (int64_t v = 0; v < c.size(); ++v) {
    const int32_t g = mapping.vocab_id(v);
    if (g < 0 || c.is_missing(v) || !std::isnan(rank[static_cast<size_t>(g)])) continue;
    double x = c.kind == io::Column::Kind::Numeric ? c.numeric[static_cast<size_t>(v)]
                                                   : static_cast<double>(c.integer[static_cast<size_t>(v)]);
    rank[static_cast<size_t>(g)] = static_cast<float>(descending ? -x : x);
  }
  return rank;
}

Rng cell_rng(uint64_t seed, uint64_t epoch, int64_t cell_index) {
  return Rng(seed ^ (0x6a09e667f3bcc909ULL * (epoch + 1)), static_cast<uint64_t>(cell_index));
}

// ---- pipeline ----------------------------------------------------------------------------

namespace {

template <class E>
E pick(const std::string& v, const std::vector<std::string>& names, std::initializer_list<E> values) {
  auto it = values.begin();
  for (const auto& n : names) {
    if (n == v) return *it;
    ++it;
  }
  throw std::logic_error("unvalidated choice " + v);
}

}  // namespace

TransformPipeline::TransformPipeline(const TransformConfig& cfg, const Vocab& vocab, TransformResources resources)
    : cfg_(cfg),
      res_(std::move(resources)),
      vocab_size_(vocab.size()),
      n_special_(vocab.n_special()),
      all_genes_(vocab.size()) {
  const auto v = violations(cfg);
  if (!v.empty()) throw ConfigError(fmt::format("transforms.{}: {}", v.front().key, v.front().what));
  order_ = pick(cfg.order.mode, kOrderModes,
                {Order::None, Order::Random, Order::Expression, Order::Rank, Order::Chromosomal});
  dropout_ = pick(cfg.dropout.mode, kDropoutModes, {Dropout::None, Dropout::Random, Dropout::Chunk, Dropout::Ordered});
  padding_ = pick(cfg.zero_padding.mode, kPaddingModes,
                  {ZeroPadding::None, ZeroPadding::Random, ZeroPadding::BatchWise, ZeroPadding::Interleaved});
  rda_.mode = pick(cfg.rda.mode, kRdaModes, {RdaMode::None, RdaMode::Downsample, RdaMode::Equal, RdaMode::Align});
  rda_.threshold = cfg.rda.threshold;
  rda_.probability = cfg.rda.probability;
  rda_.beta_a = cfg.rda.beta_a;
  rda_.beta_b = cfg.rda.beta_b;
  rda_.target_sum = cfg.rda.target_sum;
  rda_.align_depth = cfg.rda.align_depth;
  binning_.method = pick(cfg.binning.method, kBinningMethods,
                         {BinningMethod::None, BinningMethod::IntCast, BinningMethod::Percentile, BinningMethod::ScGpt,
                          BinningMethod::Log});
  binning_.n_bins = static_cast<int32_t>(cfg.binning.n_bins);
  binning_.int_cast_ceil = cfg.binning.int_cast_rounding == "ceil";
  binning_.random_ties = cfg.binning.random_ties;
  binning_.log_min = cfg.binning.log_min;
  binning_.log_max = cfg.binning.log_max;

  if (rda_.mode != RdaMode::None) {
    if (!vocab.depth_s_id() || !vocab.depth_t_id())
      throw ConfigError(
          "transforms.rda.mode: RDA needs a vocabulary with the [S] and [T] depth tokens "
          "(build it with depth_tokens: true)");
  }
  gene_budget_ = cfg.max_length > 0 ? static_cast<size_t>(cfg.max_length) - static_cast<size_t>(n_depth_tokens()) : 0;
  chromosomal_.shuffle_chromosomes = cfg.order.shuffle_chromosomes;
  chromosomal_.keep_unlocated = cfg.order.keep_unlocated;
  chromosomal_.resample_length = cfg.order.resample ? gene_budget_ : 0;
  if (order_ == Order::Chromosomal && res_.locations.empty())
    throw ConfigError(
        "transforms.order.mode: chromosomal ordering needs gene locations (TransformResources::locations; "
        "load_transform_resources reads order.locations_file)");
  if (!res_.locations.empty() && res_.locations.chromosome.size() != static_cast<size_t>(vocab_size_))
    throw std::invalid_argument("TransformResources::locations was built for a different vocabulary");
  if (cfg.normalize.enabled && !cfg.normalize.gene_medians_file.empty() && res_.gene_medians.empty())
    throw ConfigError(
        "transforms.normalize.gene_medians_file: set, but no gene medians were loaded "
        "(TransformResources::gene_medians; see load_transform_resources)");
  if (!res_.gene_medians.empty() && res_.gene_medians.size() != static_cast<size_t>(vocab_size_))
    throw std::invalid_argument("TransformResources::gene_medians was built for a different vocabulary");
  for (int32_t g = n_special_; g < vocab_size_; ++g) all_genes_.insert(g);
}

void TransformPipeline::apply(const CellRecord& cell, Rng& rng, TransformWorkspace& ws, TransformOutput& out,
                              const CellContext& context) const {
  if (cell.genes.size() != cell.values.size())
    throw std::invalid_argument(
        fmt::format("cell {}: {} genes but {} values", cell.cell_index, cell.genes.size(), cell.values.size()));
  apply(cell.cell_index, cell.genes.data(), cell.values.data(), cell.genes.size(), rng, ws, out, context);
}

void TransformPipeline::apply(int64_t cell_index, const int32_t* genes, const float* values, size_t n, Rng& rng,
                              TransformWorkspace& ws, TransformOutput& out, const CellContext& ctx) const {
  GeneSeq& seq = ws.seq;
  seq.assign(genes, values, n);
  for (size_t i = 0; i < n; ++i) {
    if (genes[i] < n_special_ || genes[i] >= vocab_size_)
      throw std::invalid_argument(
          fmt::format("cell {}: gene id {} at position {} is not a gene of this vocabulary "
                      "(ids {}..{}); was the record built with another vocabulary?",
                      cell_index, genes[i], i, n_special_, vocab_size_ - 1));
    if (!(values[i] >= 0.0f) || !std::isfinite(values[i]))
      throw std::invalid_argument(
          fmt::format("cell {}: value {} at position {} (gene id {}) is not a finite "
                      "non-negative number",
                      cell_index, values[i], i, genes[i]));
  }

  // (1) normalisation
  if (cfg_.normalize.enabled) {
    if (!res_.gene_medians.empty()) scale_by_gene_medians(seq, res_.gene_medians);
    double target = cfg_.normalize.target_sum;
    if (cfg_.normalize.median_scaling) {
      if (!(ctx.median_total > 0))
        throw std::invalid_argument(fmt::format(
            "cell {}: normalize.median_scaling needs CellContext::median_total > 0 (median_of(mapped_totals(...)) "
            "of the cell's dataset), got {}",
            cell_index, ctx.median_total));
      target = ctx.median_total;
    }
    normalize_log1p(seq, target);
  }
  // Percentile / scGPT bins come from the whole cell, before any position is
  // dropped (after expression ordering the values are sorted already: reuse that).
  const bool cell_edges = binning_.method == BinningMethod::Percentile || binning_.method == BinningMethod::ScGpt;
  if (cell_edges && order_ != Order::Expression)
    compute_bin_edges(seq.values.data(), seq.size(), binning_, ws.bin_edges);

  // (2) ordering
  switch (order_) {
    case Order::None:
      break;
    case Order::Random:
      order_random(seq, rng, ws.steps);
      break;
    case Order::Expression:
      order_by_expression(seq, ws.steps);
      if (cell_edges) compute_bin_edges_descending(seq.values.data(), seq.size(), binning_, ws.bin_edges);
      break;
    case Order::Rank:
      if (!ctx.gene_ranks || ctx.gene_ranks->size() != static_cast<size_t>(vocab_size_))
        throw std::invalid_argument(fmt::format(
            "cell {}: order.mode rank needs CellContext::gene_ranks (vocab-sized, from ranks_from_var_column)",
            cell_index));
      order_by_rank(seq, *ctx.gene_ranks, ws.steps);
      break;
    case Order::Chromosomal:
      order_chromosomal(seq, res_.locations, chromosomal_, rng, ws.steps);
      break;
  }
  // (3) truncation
  if (gene_budget_ > 0) seq.truncate(gene_budget_);
  // (4) dropout
  switch (dropout_) {
    case Dropout::None:
      break;
    case Dropout::Random:
      dropout_random(seq, cfg_.dropout.rate, rng);
      break;
    case Dropout::Chunk:
      dropout_chunk(seq, cfg_.dropout.chunk_fraction, rng);
      break;
    case Dropout::Ordered:
      dropout_top_k(seq, static_cast<size_t>(cfg_.dropout.top_k), ws.steps);
      break;
  }
  // (5) zero-gene padding
  out.n_zero_padded = 0;
  if (padding_ != ZeroPadding::None) {
    if (padding_ == ZeroPadding::BatchWise && !ctx.batch)
      throw std::invalid_argument(fmt::format(
          "cell {}: zero_padding.mode batch_wise needs CellContext::batch (the genes expressed in the batch)",
          cell_index));
    ZeroPaddingInput in;
    in.target_length = gene_budget_;
    in.zero_ratio = cfg_.zero_padding.zero_ratio;
    in.measured = ctx.measured ? ctx.measured : &all_genes_;
    in.batch = ctx.batch;
    in.cell_genes = genes;
    in.n_cell_genes = n;
    if (in.measured->vocab_size() != vocab_size_ || (in.batch && in.batch->vocab_size() != vocab_size_))
      throw std::invalid_argument(
          fmt::format("cell {}: CellContext gene sets were built for a vocabulary of another "
                      "size than {}",
                      cell_index, vocab_size_));
    out.n_zero_padded = static_cast<int32_t>(pad_zero_genes(seq, padding_, in, rng, ws.steps));
  }

  // (6) RDA, and the output arrays
  const size_t m = seq.size();
  out.cell_index = cell_index;
  out.rda = RdaOutcome{};
  out.genes.assign(seq.genes.begin(), seq.genes.end());
  out.targets.clear();
  out.bins.clear();
  if (rda_.mode != RdaMode::None) {
    out.values.resize(m);
    out.targets.resize(m);
    try {
      out.rda = rda_transform(seq.raw.data(), m, rda_, rng, out.values.data(), out.targets.data());
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(fmt::format("cell {}: {}", cell_index, e.what()));
    }
    out.has_depth = true;
    out.depth_s = static_cast<float>(std::log1p(out.rda.input_depth));
    out.depth_t = static_cast<float>(std::log1p(out.rda.target_depth));
  } else {
    out.values.assign(seq.values.begin(), seq.values.end());
    out.has_depth = false;
    out.depth_s = out.depth_t = 0;
  }
  // (7) binning
  if (binning_.method != BinningMethod::None) {
    out.bins.resize(m);
    digitize_values(seq.values.data(), m, binning_, ws.bin_edges, rng, out.bins.data());
  }
}

}  // namespace bmfm::data

// `bmfm prepare`: h5ad files -> streaming corpus, one row chunk at a time.
#include "bmfm/data/prepare.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "bmfm/config/error.h"
#include "bmfm/data/corpus_writer.h"
#include "bmfm/data/gene_table.h"
#include "bmfm/data/gene_mapping.h"
#include "bmfm/io/h5ad.h"

namespace bmfm::data {

namespace fs = std::filesystem;

const config::Schema<PrepareConfig>& prepare_schema() {
  static const auto schema =
      config::Schema<PrepareConfig>("prepare")
          .field("inputs", &PrepareConfig::inputs,
                 "h5ad files, TileDB-SOMA experiment folders, folders of *.h5ad (added sorted)")
          .field("output", &PrepareConfig::output, "corpus folder to create")
          .field("vocab", &PrepareConfig::vocab, "vocabulary JSON; '' = build from the union of the inputs' genes")
          .field("vocab_gene_table", &PrepareConfig::vocab_gene_table,
                 "when vocab is '': build it from this gene table's symbols (e.g. ../shared/data/genes/hgnc_genes.tsv)")
          .field("vocab_protein_coding", &PrepareConfig::vocab_protein_coding,
                 "with vocab_gene_table: only protein-coding genes (locus_group)")
          .field("vocab_depth_tokens", &PrepareConfig::vocab_depth_tokens,
                 "add the [S]/[T] depth tokens (RDA) to a built vocabulary")
          .field("gene_column", &PrepareConfig::gene_column, "var column with the gene ids; '' = the var index")
          .field("strip_ensembl_version", &PrepareConfig::strip_ensembl_version,
                 "match ENSG...16 as ENSG... (both sides)")
          .field("matrix", &PrepareConfig::matrix, "X or layers/<name>: the raw counts to store")
          .field("obs_filter", &PrepareConfig::obs_filter,
                 "obs value filter for every input, e.g. \"tissue_general == 'blood' and is_primary_data == True\"")
          .field("soma_measurement", &PrepareConfig::soma_measurement,
                 "SOMA inputs: the measurement (ms/<name>) to read; '' = the only one, else RNA")
          .field("label_columns", &PrepareConfig::label_columns, "obs columns stored as labels, with dictionaries")
          .section("qc", &PrepareConfig::qc, qc_schema(), "QC rules per input file (docs/qc.md); off by default")
          .section("sample", &PrepareConfig::sample, sample_schema(), "optional downsampling per input file")
          .field("cells_per_shard", &PrepareConfig::cells_per_shard, "cells per binary shard")
          .field("chunk_rows", &PrepareConfig::chunk_rows, "rows read from a file at a time")
          .field("seed", &PrepareConfig::seed, "sampler seed")
          .field("overwrite", &PrepareConfig::overwrite, "replace an existing corpus at output")
          .check([](const PrepareConfig& c, const config::Config& cfg, const std::string& prefix) {
            if (c.inputs.empty()) config::fail(cfg, prefix + "inputs", "no input files (give --inputs a.h5ad dir/ ...)");
            if (c.output.empty()) config::fail(cfg, prefix + "output", "no output folder (give --output corpus/)");
            if (c.cells_per_shard < 1) config::fail(cfg, prefix + "cells_per_shard", "must be >= 1");
            if (c.chunk_rows < 1) config::fail(cfg, prefix + "chunk_rows", "must be >= 1");
            if (c.matrix != "X" && c.matrix.rfind("layers/", 0) != 0)
              config::fail(cfg, prefix + "matrix", "must be X or layers/<name>, got '" + c.matrix + "'");
            if (c.qc.matrix != "X" && c.qc.matrix != c.matrix)
              config::fail(cfg, prefix + "qc.matrix",
                           "prepare runs QC on `matrix` (" + c.matrix + "); set matrix instead of qc.matrix");
          });
  return schema;
}

std::vector<std::string> expand_inputs(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const auto& in : inputs) {
    if (fs::is_directory(in) && io::is_soma_experiment(in)) {
      files.push_back(in);
    } else if (fs::is_directory(in)) {
      std::vector<std::string> found;
      for (const auto& e : fs::directory_iterator(in))
        if (e.is_regular_file() && e.path().extension() == ".h5ad") found.push_back(e.path().string());
      if (found.empty())
        throw std::runtime_error(fmt::format("prepare: input folder {} holds no *.h5ad files and is not a SOMA experiment", in));
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(in)) {
      files.push_back(in);
    } else {
      throw std::runtime_error(fmt::format("prepare: input {} does not exist", in));
    }
  }
  return files;
}

bool qc_enabled(const QcConfig& qc) {
  return !count_based_rules(qc).empty() || qc.min_cells.has_value() || qc.protein_coding.enabled;
}

namespace {

// Only the label columns of `obs` (the rest is not needed and may be large).
io::DataFrame label_table(const io::DataFrame& obs, const std::vector<LabelColumnConfig>& columns,
                          const std::string& path) {
  io::DataFrame kept;
  kept.index.resize(static_cast<size_t>(obs.n_rows()));
  for (const auto& lc : columns) {
    const io::Column* col = obs.find(lc.name);
    if (!col) {
      std::string have;
      for (const auto& c : obs.columns) have += (have.empty() ? "" : ", ") + c.name;
      throw std::runtime_error(
          fmt::format("prepare: {} has no obs column '{}' (label_columns); its columns: {}", path, lc.name, have));
    }
    kept.columns.push_back(*col);
  }
  return kept;
}

}  // namespace

namespace {
io::OpenOptions open_options(const PrepareConfig& cfg) {
  io::OpenOptions o;
  o.obs_filter = cfg.obs_filter;
  o.measurement = cfg.soma_measurement;
  return o;
}
}  // namespace

PrepareStats prepare_corpus(const PrepareConfig& cfg) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<std::string> files = expand_inputs(cfg.inputs);
  // Pass 1 over the files' small tables: the vocabulary (union of genes) and
  // the label dictionary. No file stays open; only the label columns of every
  // obs are held until the dictionary is built (LabelDictionary::build needs
  // them together: ~4 bytes per cell per categorical column).
  // obs columns read from each input: the label columns, plus the sampler's.
  std::vector<std::string> label_names, obs_needed;
  for (const auto& lc : cfg.label_columns) label_names.push_back(lc.name);
  obs_needed = label_names;
  obs_needed.insert(obs_needed.end(), cfg.sample.columns.begin(), cfg.sample.columns.end());
  std::vector<std::string> union_list;
  std::vector<io::DataFrame> label_obs;
  for (const auto& f : files) {
    const auto reader = io::open_cells(f, open_options(cfg));
    if (!reader->has_matrix(cfg.matrix))
      throw std::runtime_error(fmt::format("prepare: {} has no matrix {} (set matrix: X or layers/<name>)", f,
                                           cfg.matrix));
    if (cfg.vocab.empty() && cfg.vocab_gene_table.empty()) union_list = union_genes({union_list, nonempty_gene_ids(io::gene_ids(reader->read_var(), cfg.gene_column),
                                                                 fmt::format("{} var {}", f, cfg.gene_column.empty() ? "index" : "'" + cfg.gene_column + "'"))});
    if (!cfg.label_columns.empty()) label_obs.push_back(label_table(reader->read_obs_columns(label_names), cfg.label_columns, f));
  }
  Vocab vocab;
  VocabOptions vocab_options;
  vocab_options.depth_tokens = cfg.vocab_depth_tokens;
  if (!cfg.vocab.empty()) {
    if (!cfg.vocab_gene_table.empty() || cfg.vocab_depth_tokens)
      throw ConfigError("prepare: vocab is a file (" + cfg.vocab +
                                "); vocab_gene_table / vocab_depth_tokens only apply to a vocabulary built here");
    vocab = Vocab::load(cfg.vocab);
  } else if (!cfg.vocab_gene_table.empty()) {
    const GeneTable table = GeneTable::load(cfg.vocab_gene_table);
    std::vector<std::string> genes;
    if (cfg.vocab_protein_coding) {
      genes = table.protein_coding_symbols();
    } else {
      for (const auto& r : table.records()) genes.push_back(r.symbol);
    }
    vocab = Vocab::from_genes(union_genes({genes}), vocab_options);
    spdlog::info("vocabulary: {} {}genes from {}", vocab.n_genes(), cfg.vocab_protein_coding ? "protein-coding " : "",
                 cfg.vocab_gene_table);
  } else {
    vocab = Vocab::from_genes(union_list, vocab_options);
    spdlog::info("vocabulary: {} genes from the union of {} input file(s)", vocab.n_genes(), files.size());
  }
  union_list.clear();
  union_list.shrink_to_fit();
  LabelDictionary dict;
  if (!cfg.label_columns.empty()) {
    std::vector<const io::DataFrame*> tables;
    for (const auto& o : label_obs) tables.push_back(&o);
    dict = LabelDictionary::build(tables, cfg.label_columns, "prepare inputs");
    label_obs.clear();  // pass 2 reads each file's obs again, so memory does not grow with the inputs
  }
  CorpusWriter writer(cfg.output, vocab, dict, cfg.cells_per_shard, cfg.overwrite);
  writer.set_matrix(cfg.matrix);
  QcConfig qc = cfg.qc;
  qc.matrix = cfg.matrix;
  qc.chunk_rows = cfg.chunk_rows;
  const bool run_qc_rules = qc_enabled(qc);

  PrepareStats stats;
  std::vector<int32_t> words;
  CellRecord record;
  for (size_t fi = 0; fi < files.size(); ++fi) {
    const std::string& path = files[fi];
    const auto reader = io::open_cells(path, open_options(cfg));
    const io::DataFrame var = reader->read_var();
    io::DataFrame obs;
    if (cfg.sample.method != "none") obs = reader->read_obs_columns(obs_needed);
    const int64_t n_obs = reader->n_obs();
    std::vector<uint8_t> keep_rows(static_cast<size_t>(n_obs), 1);
    std::vector<std::string> names = io::gene_ids(var, cfg.gene_column);
    if (run_qc_rules || cfg.sample.method != "none") {
      const MatrixSource src = matrix_source(*reader, cfg.matrix);
      QcResult qr = qc_cells(src, var, qc);
      if (cfg.sample.method != "none")
        sample_cells(qr, cfg.sample, obs, static_cast<uint64_t>(cfg.seed) + fi);
      qc_genes(src, var, qc, qr);
      keep_rows = qr.keep_cells;
      // Genes the QC gene rules remove are renamed to a name no vocabulary holds.
      for (size_t g = 0; g < names.size(); ++g)
        if (!qr.keep_genes[g]) names[g] = "\x01qc-removed:" + names[g];
      for (const auto& rule : qr.rules)
        spdlog::info("  {}: {:<16} {:<5} removed {:>9}, {:>9} left", path, rule.name, rule.axis, rule.removed,
                     rule.remaining);
    }
    GeneMappingOptions mo;
    mo.column = cfg.gene_column;
    mo.strip_ensembl_version = cfg.strip_ensembl_version;
    const GeneMapping mapping = GeneMapping::build(names, vocab, mo, "var of " + path);
    spdlog::info("{}", mapping.summary());
    if (mapping.n_mapped() == 0)
      throw std::runtime_error(fmt::format("prepare: no gene of {} is in the vocabulary ({}); check gene_column / vocab",
                                           path, mapping.summary()));
    std::optional<EncodedLabels> enc;
    if (!cfg.label_columns.empty())
      enc = encode_labels(cfg.sample.method != "none" ? obs : label_table(reader->read_obs_columns(label_names), cfg.label_columns, path),
                          dict, cfg.label_columns, path);
    CellRecordBuilder builder(mapping);
    int64_t written = 0;
    bool checked_counts = false;  // the first chunk read tells (io::counts_problem)
    for (int64_t b = 0; b < n_obs; b += cfg.chunk_rows) {
      const int64_t e = std::min(n_obs, b + cfg.chunk_rows);
      bool any = false;
      for (int64_t r = b; r < e && !any; ++r) any = keep_rows[static_cast<size_t>(r)] != 0;
      if (!any) continue;
      const io::CsrMatrix X = reader->read_matrix(cfg.matrix, b, e);
      if (!checked_counts) {
        checked_counts = true;
        const std::string why = io::counts_problem(X, 1000000, b);
        if (!why.empty())
          spdlog::warn("{} {} does not look like raw counts ({}), yet {} treats it as counts: it would be normalised "
                       "and log-transformed again. Point data.matrix at the raw counts (e.g. layers/counts or raw/X); "
                       "if the values are already normalised, set transforms.normalize.enabled=false",
                       path, cfg.matrix, why, cfg.counts_consumer);
      }
      for (int64_t r = b; r < e; ++r) {
        if (!keep_rows[static_cast<size_t>(r)]) continue;
        builder.build(X, r - b, r, record);
        if (enc) label_words(*enc, r, words);
        writer.add(record.genes.data(), record.values.data(), record.genes.size(), words.data());
        ++written;
      }
    }
    writer.add_source({path, n_obs, written, mapping.summary(), mapping.mapped_vocab_ids()});
    stats.n_obs += n_obs;
    stats.n_written += written;
    spdlog::info("{}: {} of {} cells written", path, written, n_obs);
  }
  stats.n_files = static_cast<int64_t>(files.size());
  if (stats.n_written == 0)
    spdlog::warn("prepare: no cell of the {} input file(s) passed QC / sampling; the corpus {} is empty",
                 files.size(), cfg.output);
  writer.finish();
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return stats;
}

}  // namespace bmfm::data

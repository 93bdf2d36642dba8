// `bmfm prepare`: many h5ad files -> one streaming corpus (corpus.h).
//
// Per input file, in order: map genes onto the vocabulary (GeneMapping), run
// the QC cell rules (streamed), the optional sampler, the QC gene rules (genes
// they remove are dropped from the records), then stream the kept rows in
// chunks of `chunk_rows` into the corpus writer. Files are never read whole;
// obs tables are (they are small next to X), to build the label dictionary.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bmfm/config/schema.h"
#include "bmfm/data/corpus.h"
#include "bmfm/data/labels.h"
#include "bmfm/data/qc.h"
#include "bmfm/data/sampler.h"

namespace bmfm::data {

struct PrepareConfig {
  std::vector<std::string> inputs;   // h5ad files, SOMA experiment folders, folders of *.h5ad (sorted by name)
  std::string output;                // corpus folder to create
  std::string vocab;                 // vocabulary JSON; "" = built (gene table, else union of the inputs' genes)
  std::string vocab_gene_table;      // build the vocabulary from this gene table (symbol, ensembl_gene_id, locus_group)
  bool vocab_protein_coding = true;  // with vocab_gene_table: protein-coding genes only
  bool vocab_depth_tokens = false;   // add the [S]/[T] depth tokens RDA needs
  std::string gene_column;           // var column with the gene ids; "" = the var index
  bool strip_ensembl_version = false;
  std::string matrix = "X";          // X or layers/<name>: the raw counts stored in the corpus
  std::string obs_filter;            // Census-style obs value filter applied to every input; "" = all cells
  std::string soma_measurement;      // SOMA inputs: ms/<name> to read; "" = the only one, else RNA
  std::vector<LabelColumnConfig> label_columns;
  QcConfig qc;
  SampleConfig sample;
  int64_t cells_per_shard = 100000;
  int64_t chunk_rows = 4096;
  int64_t seed = 0;                  // sampler seed
  bool overwrite = false;            // replace an existing corpus at `output`
  // Who will treat the stored values as counts, named in the warning printed
  // when an input's matrix does not look like raw counts (prepare stores
  // whatever it is given; pretraining normalises it as counts).
  std::string counts_consumer = "the corpus (it stores raw counts)";
};

const config::Schema<PrepareConfig>& prepare_schema();

// Inputs named by `inputs`: h5ad files and SOMA experiment folders as given,
// other folders expand to their *.h5ad files (sorted); throws
// std::runtime_error for a missing path or an empty folder.
std::vector<std::string> expand_inputs(const std::vector<std::string>& inputs);
// True when any QC rule is configured (then prepare runs the QC passes).
bool qc_enabled(const QcConfig& qc);

struct PrepareStats {
  int64_t n_obs = 0;      // rows read over all inputs
  int64_t n_written = 0;  // cells in the corpus
  int64_t n_files = 0;
  double seconds = 0;
};

// Builds the corpus; returns what it did. Logs per-file gene mapping summaries.
PrepareStats prepare_corpus(const PrepareConfig& cfg);

}  // namespace bmfm::data

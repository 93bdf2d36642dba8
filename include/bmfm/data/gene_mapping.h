// Mapping a dataset's genes (var) onto the vocabulary, and turning CSR rows
// into CellRecords of vocabulary ids.
//
// Matching is exact and case-sensitive (DESIGN.md "Gene identity"), on the var
// index or a named var column (e.g. cellbench's Ensembl index or its
// `gene_symbol` column; bmfm_cellxgene_pretrain's `feature_name` index).
// With `strip_ensembl_version`, a trailing ".<digits>" is removed from
// Ensembl-looking ids ("ENS..." prefix) on both sides before matching, so
// "ENSG00000141510.16" matches "ENSG00000141510"; nothing else is rewritten
// (e.g. GENCODE's "ENSG...._PAR_Y" ids stay as they are and do not match).
//
// Genes that are not in the vocabulary are dropped from every record; how many
// there are, examples, and the fraction of counts they carry are reported so a
// bad column choice is visible at once. Several var columns can map to one
// vocabulary gene (duplicate symbols in var, or versions collapsing under
// stripping): their values are SUMMED into one entry of the record (the same
// molecules counted under two names), and `n_duplicates` reports how many.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bmfm/data/cell.h"
#include "bmfm/data/vocab.h"
#include "bmfm/io/anndata.h"

namespace bmfm::io {
class CellReader;
}

namespace bmfm::data {

struct GeneMappingOptions {
  std::string column;                  // var column holding the gene ids; "" = the var index
  bool strip_ensembl_version = false;  // "ENSG00000141510.16" -> "ENSG00000141510" before matching
};

class GeneMapping {
 public:
  GeneMapping() = default;
  // `var_genes`: the id of each var column of X, in order. `source` names
  // where they came from, for messages (e.g. "var index of pbmc.h5ad").
  static GeneMapping build(const std::vector<std::string>& var_genes, const Vocab& vocab,
                           const GeneMappingOptions& options = {}, const std::string& source = "var");
  // Reads the ids from `var` (index or options.column; throws io::FormatError
  // listing var's columns when the column is absent).
  static GeneMapping from_var(const io::DataFrame& var, const Vocab& vocab, const GeneMappingOptions& options = {},
                              const std::string& source = "var");

  int64_t n_vars() const { return static_cast<int64_t>(var_to_vocab_.size()); }
  int64_t n_mapped() const { return n_mapped_; }
  int64_t n_unmapped() const { return n_vars() - n_mapped_; }
  // Mapped var columns whose vocabulary id an earlier column already took.
  int64_t n_duplicates() const { return n_duplicates_; }
  // Vocabulary id of var column `var`, -1 when unmapped.
  int32_t vocab_id(int64_t var) const { return var_to_vocab_[static_cast<size_t>(var)]; }
  const std::vector<int32_t>& var_to_vocab() const { return var_to_vocab_; }
  // The distinct vocabulary ids this dataset measures, ascending: the genes
  // that can be a measured zero of its cells (zero-gene padding candidates).
  const std::vector<int32_t>& mapped_vocab_ids() const { return mapped_ids_; }
  // Up to 10 unmapped names, in var order.
  const std::vector<std::string>& unmapped_examples() const { return unmapped_examples_; }
  int32_t vocab_size() const { return vocab_size_; }
  const std::string& vocab_hash() const { return vocab_hash_; }
  const std::string& source() const { return source_; }
  // One line: "var index of x.h5ad: 11533 genes, 10865 mapped, 668 unmapped (e.g. A, B), 0 duplicates".
  std::string summary() const;

 private:
  std::vector<int32_t> var_to_vocab_;
  std::vector<int32_t> mapped_ids_;
  std::vector<std::string> unmapped_examples_;
  int64_t n_mapped_ = 0, n_duplicates_ = 0;
  int32_t vocab_size_ = 0;
  std::string vocab_hash_, source_;
};

// Totals of stored values, and the part in unmapped genes.
struct UnmappedCounts {
  int64_t n_cells = 0;
  double total = 0;     // sum of every stored value
  double unmapped = 0;  // sum over unmapped var columns
  double fraction() const { return total > 0 ? unmapped / total : 0.0; }
  void add(const UnmappedCounts& other) {
    n_cells += other.n_cells;
    total += other.total;
    unmapped += other.unmapped;
  }
};

// Over all rows of an in-memory matrix (or row slice). X.n_cols must equal
// mapping.n_vars() (std::invalid_argument otherwise).
UnmappedCounts count_unmapped(const io::CsrMatrix& X, const GeneMapping& mapping);
// Over rows [row_begin, row_end) (-1 = to the end) of matrix `key` of a file,
// read `chunk_rows` rows at a time, so memory does not grow with the file.
UnmappedCounts count_unmapped(const io::CellReader& reader, const GeneMapping& mapping, const std::string& key = "X",
                              int64_t row_begin = 0, int64_t row_end = -1, int64_t chunk_rows = 4096);

// Per-cell totals over the mapped genes (what normalisation divides by), for
// rows [row_begin, row_end), streamed in chunks: the input of median scaling.
std::vector<double> mapped_totals(const io::CellReader& reader, const GeneMapping& mapping,
                                  const std::string& key = "X", int64_t row_begin = 0, int64_t row_end = -1,
                                  int64_t chunk_rows = 4096);

// CSR rows -> CellRecords. Keeps a vocabulary-sized scratch array for summing
// duplicates, so build one per loader thread and reuse it.
class CellRecordBuilder {
 public:
  explicit CellRecordBuilder(const GeneMapping& mapping);
  // Row `row` of X (a slice of the source; `cell_index` is the row in the
  // source, kept for provenance). Unmapped genes and stored zeros are dropped;
  // genes keep the file's column order (a duplicate sits where its first
  // column was). `out.genes` / `out.values` are overwritten (capacity reused),
  // `out.labels` is left for the caller. Non-finite or negative values are
  // kept; the transforms reject them naming the cell.
  void build(const io::CsrMatrix& X, int64_t row, int64_t cell_index, CellRecord& out);

 private:
  const GeneMapping* mapping_;
  std::vector<int32_t> slot_;  // vocab id -> position in the record being built, -1 = none
};

}  // namespace bmfm::data

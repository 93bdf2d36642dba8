// A gene annotation table (HGNC-style TSV): which genes exist, their Ensembl
// ids and their locus group, e.g. to restrict a dataset or a vocabulary to
// protein-coding genes.
//
// Format: tab-separated, first line a header naming the columns; the columns
// `symbol`, `ensembl_gene_id` and `locus_group` are required, any others are
// ignored. A field may be wrapped in double quotes ("a|b", with "" for a
// literal quote). Empty lines are skipped. `../shared/data/genes/hgnc_genes.tsv`
// is such a table.
//
// Lookups are case-sensitive exact matches (DESIGN.md "Gene identity");
// Ensembl ids are compared without their version suffix (ENSG00000141510.12
// == ENSG00000141510). Symbols are unique in HGNC; if a table repeats one, the
// first row wins. Ensembl ids are not unique (HGNC maps a few ids to two
// symbols), so an id lookup returns every row that carries it.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace bmfm::data {

inline constexpr const char* kProteinCodingLocusGroup = "protein-coding gene";

struct GeneRecord {
  std::string symbol;
  std::string ensembl_id;  // without version suffix; may be empty
  std::string locus_group;
  bool protein_coding() const { return locus_group == kProteinCodingLocusGroup; }
};

// "ENSG00000141510.12" -> "ENSG00000141510". Only ids that look like Ensembl
// ids lose a trailing ".<digits>": clone-based symbols such as "RP11-34P13.7"
// are left alone.
std::string strip_ensembl_version(const std::string& id);
// True for ids of the form ENS<letters><digits>[.<digits>] (ENSG..., ENSMUSG..., ENST...).
bool looks_like_ensembl_id(const std::string& id);

class GeneTable {
 public:
  GeneTable() = default;
  // Throws io::FormatError naming the file (and, for a missing column, the
  // column and the header it found; for a short row, its line number).
  static GeneTable load(const std::string& path);
  // From records already in memory (tests, other table sources).
  static GeneTable from_records(std::vector<GeneRecord> records, std::string source = "<memory>");

  const std::string& source() const { return source_; }
  int64_t size() const { return static_cast<int64_t>(records_.size()); }
  const std::vector<GeneRecord>& records() const { return records_; }

  // nullptr when absent.
  const GeneRecord* by_symbol(const std::string& symbol) const;
  // Every row with this Ensembl id (version suffix ignored); empty when absent.
  std::vector<const GeneRecord*> by_ensembl(const std::string& id) const;

  // How a gene identifier is looked up.
  enum class Match {
    Auto,     // symbol first, then Ensembl id (version stripped)
    Symbol,
    Ensembl,
  };
  // True when the identifier names a protein-coding gene of the table (for an
  // Ensembl id shared by several rows: when any of them is protein-coding).
  bool is_protein_coding(const std::string& id, Match match = Match::Auto) const;
  // True when the identifier is found at all.
  bool contains(const std::string& id, Match match = Match::Auto) const;
  // Symbols of the protein-coding rows, in table order.
  std::vector<std::string> protein_coding_symbols() const;

 private:
  std::string source_;
  std::vector<GeneRecord> records_;
  std::unordered_map<std::string, int32_t> symbol_index_;
  std::unordered_map<std::string, std::vector<int32_t>> ensembl_index_;
};

// "auto" | "symbol" | "ensembl"; throws std::invalid_argument listing them.
GeneTable::Match parse_gene_match(const std::string& text);

}  // namespace bmfm::data

// Where each vocabulary gene sits on the genome, for chromosomal gene ordering
// (UCE-style: genes grouped by chromosome, ordered by position within it).
//
// Two sources are supported:
// - base-pair positions: a (gene, chromosome, start) table, as UCE ships
//   (chromosome names "1".."22", "X", "Y", "MT", with or without a "chr"
//   prefix; "M" / "chrM" mean MT); ordering is then exact.
// - cytobands: HGNC's `location` column ("19q13.43", "Xp22.33", "12cen",
//   "1p36.33-p36.32", "Xp22.33 and Yp11.2", "mitochondria"). A band gives an
//   ordering key, not a position: the p arm runs from its tip (p36 first) to the
//   centromere, then the q arm outwards (q11 ... q44). Only the first band of a
//   range or of an "A and B" pair is used; "pter"/"qter" sit at the ends; a
//   bare arm ("1q") sits next to the centromere; a bare chromosome ("21",
//   "21 unplaced", "21 not on reference assembly") sits at the centromere.
//   Genes in the same band tie (the ordering breaks ties by vocabulary id).
//   "reserved", "unplaced", "not on reference assembly" without a chromosome,
//   and "" are unlocated.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bmfm/data/vocab.h"

namespace bmfm::data {

// "chr1" -> "1", "chrX" -> "X", "M" / "chrM" / "chrMT" / "mitochondria" -> "MT"; others unchanged.
std::string normalize_chromosome(std::string_view name);

struct CytobandKey {
  std::string chromosome;  // normalised
  double position = 0;     // ordering key along the chromosome (p arm < 0 < q arm)
};
// The key of an HGNC location string, or nullopt when it names no chromosome.
std::optional<CytobandKey> parse_cytoband(std::string_view location);

struct GeneLocations {
  // Indexed by vocabulary id: chromosome code (-1 = unlocated) and position.
  std::vector<int16_t> chromosome;
  std::vector<double> position;
  // Code -> name, in natural order: 1..22, X, Y, MT, then other names sorted.
  std::vector<std::string> chromosome_names;

  bool empty() const { return chromosome.empty(); }
  int64_t n_located() const;

  // `genes`, `chromosomes` and `starts` are parallel columns of a table; rows
  // whose gene is not in the vocabulary are skipped, and a gene listed twice
  // keeps its first row. Empty chromosome names leave the gene unlocated.
  static GeneLocations from_positions(const Vocab& vocab, const std::vector<std::string>& genes,
                                      const std::vector<std::string>& chromosomes, const std::vector<double>& starts);
  // `locations` are HGNC cytoband strings (see above).
  static GeneLocations from_cytobands(const Vocab& vocab, const std::vector<std::string>& genes,
                                      const std::vector<std::string>& locations);
};

// Reads a tab-separated table with a header row: `gene_column` plus either
// `chromosome` and `start` (base pairs) or `location` (HGNC cytobands), e.g.
// ../shared/data/genes/hgnc_genes.tsv with gene_column "symbol". Throws
// std::runtime_error naming the file and listing its columns.
GeneLocations load_gene_locations(const std::string& path, const Vocab& vocab, const std::string& gene_column);

}  // namespace bmfm::data

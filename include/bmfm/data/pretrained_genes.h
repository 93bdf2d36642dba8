// Pretrained gene embeddings (e.g. gene2vec) read without torch, and aligned
// onto a vocabulary to initialise a model's gene embedding table.
//
// Two formats, chosen by extension:
//  - text (anything but .npy), as gene2vec ships it: one gene per line,
//    "GENE v1 v2 ... vD" separated by spaces or tabs; blank lines are ignored.
//    An optional first line of exactly two integers "N D" (word2vec text
//    format) is checked against the rows that follow.
//  - .npy (NumPy format 1.0/2.0/3.0, '<f4' or '<f8', C order, shape (N, D))
//    plus `genes_file`, one gene name per line, N lines, in row order.
//
// Gene names are matched exactly and case-sensitively (DESIGN.md "Gene
// identity"): "tp53" does not initialise "TP53". Every error is a
// std::runtime_error naming the file and, where there is one, the line and gene.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bmfm/data/vocab.h"

namespace bmfm::data {

struct PretrainedGenes {
  int64_t dim = 0;                 // D
  std::vector<std::string> genes;  // N distinct names, in file order
  std::vector<float> values;       // (N, D) row-major
  std::string source;              // the file(s) read, for messages
};

// Throws std::runtime_error for: an unreadable file; a ragged row (line,
// expected vs found count); a value that is not a number or not finite as
// float32 (gene and line); a duplicate gene (both lines); a header that
// disagrees with the rows; a .npy of another dtype, order, rank or size; a gene
// list whose length differs from the array's rows; no rows at all.
// `genes_file` is required for .npy and rejected for text.
PretrainedGenes load_pretrained_genes(const std::string& path, const std::string& genes_file = "");

struct AlignedGeneEmbedding {
  int64_t dim = 0;
  std::vector<float> values;                  // (vocab.size(), dim) row-major; uncovered rows are zero
  std::vector<uint8_t> covered;               // vocab.size(); 1 where the row came from the file
  int64_t n_covered = 0;                      // covered vocabulary genes (specials are never covered)
  std::vector<std::string> missing_examples;  // up to 10 uncovered vocabulary genes, in vocabulary order
};

// Row i of the result is the pretrained vector of vocab.token(i) when it is a
// gene in `pretrained`. Special tokens stay zero and uncovered even when the
// file happens to contain a name like "[PAD]": their rows are learned from
// scratch. Throws std::runtime_error when `pretrained` is inconsistent
// (values.size() != genes.size() * dim, dim <= 0, duplicate genes).
AlignedGeneEmbedding align_to_vocab(const PretrainedGenes& pretrained, const Vocab& vocab);

}  // namespace bmfm::data

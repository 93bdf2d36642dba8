// Streaming corpus: a folder that `bmfm prepare` writes and loaders read by
// memory mapping (docs/corpus.md).
//
//   corpus/manifest.json    format "bmfm-corpus", version 1, vocabulary hash,
//                           label dictionary, shard list, source files
//   corpus/vocab.json       the vocabulary the gene ids refer to
//   corpus/shard-00000.bin  binary shard (little-endian):
//     header (64 bytes): magic "BMFMSHRD", u32 version (1), u32 n_label_words,
//                        u64 n_cells, u64 nnz, u64 index_offset, 24 bytes zero
//     records at byte 64: per cell, genes int32[n] then raw values float32[n]
//     index at index_offset (= 64 + 8 * nnz): u64 offsets[n_cells + 1] (in
//                        entries: cell i has offsets[i+1] - offsets[i] genes and
//                        starts at byte 64 + 8 * offsets[i]), then int32
//                        labels[n_cells * n_label_words]
//   so a shard's size is exactly 64 + 8 nnz + 8 (n_cells + 1) + 4 n_cells W.
//
// Label words per cell (W = C + M + R of the label layout): the class index of
// each classification column (-100 = missing), the multi-hot block of each
// multi-label column as int32 0 / 1 / -100, and each regression value as the
// bit pattern of a float32 (NaN = missing).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bmfm/data/cell.h"
#include "bmfm/data/labels.h"
#include "bmfm/data/vocab.h"

namespace bmfm::data {

namespace corpus_format {
inline constexpr const char* kFormat = "bmfm-corpus";
inline constexpr int kVersion = 1;
inline constexpr char kShardMagic[8] = {'B', 'M', 'F', 'M', 'S', 'H', 'R', 'D'};
inline constexpr uint32_t kShardVersion = 1;
inline constexpr size_t kHeaderBytes = 64;
inline constexpr const char* kManifest = "manifest.json";
inline constexpr const char* kVocabFile = "vocab.json";
std::string shard_name(int64_t shard);  // "shard-00000.bin"
// Exact byte size of a shard with these counts.
uint64_t shard_bytes(uint64_t n_cells, uint64_t nnz, uint32_t n_label_words);
}  // namespace corpus_format

struct CorpusShardInfo {
  std::string file;  // relative to the corpus folder
  int64_t n_cells = 0;
  int64_t nnz = 0;
  int64_t bytes = 0;
};

struct CorpusSourceInfo {
  std::string path;
  int64_t n_obs = 0;         // rows of the file
  int64_t n_written = 0;     // cells that passed QC / sampling
  std::string mapping;       // GeneMapping::summary()
  // Vocabulary ids this file measures (after QC gene rules): the candidates
  // for zero-gene padding of its cells. Empty = unknown (all genes).
  std::vector<int32_t> measured_genes;
};

struct CorpusManifest {
  std::string vocab_hash;
  int64_t n_cells = 0;
  int64_t n_label_words = 0;
  std::vector<CorpusShardInfo> shards;
  std::vector<CorpusSourceInfo> sources;
  std::string label_dictionary_json;  // LabelDictionary::to_json(); "" = no label columns
  std::string matrix = "X";

  std::string to_json() const;
  // Throws std::runtime_error naming `what` for a bad or foreign manifest.
  static CorpusManifest from_json(const std::string& text, const std::string& what);
};

// One cell as it sits in a mapped shard (valid while the Corpus lives).
struct CellView {
  int64_t cell_index = -1;  // global position in the corpus
  const int32_t* genes = nullptr;
  const float* values = nullptr;
  size_t n = 0;
  const int32_t* labels = nullptr;  // n_label_words entries
};

// A read-only, memory-mapped corpus. Thread-safe after open (all methods const).
class Corpus {
 public:
  // Validates the manifest, every shard's magic, version, counts and exact
  // size, and the offset index; throws std::runtime_error naming the file and
  // shard. With `vocab`, its hash must equal the corpus's (Vocab::require_hash).
  static Corpus open(const std::string& dir, const Vocab* vocab = nullptr);
  Corpus(Corpus&&) noexcept;
  Corpus& operator=(Corpus&&) noexcept;
  ~Corpus();

  const std::string& dir() const;
  const CorpusManifest& manifest() const;
  int64_t n_cells() const;
  int64_t n_shards() const;
  // The vocabulary stored in the corpus (vocab.json).
  const Vocab& vocab() const;
  // The label dictionary (empty when the corpus has no label columns).
  const LabelDictionary& labels() const;

  // Cell `i` in [0, n_cells): O(1) (shard found by binary search over starts).
  CellView cell(int64_t i) const;
  // Copies cell i into `out` (genes, values, label words; cell_index = i).
  void read(int64_t i, CellRecord& out) const;
  // Drops the mapped pages from this process's resident set (madvise
  // MADV_DONTNEED; they stay in the page cache and are re-read on access), so
  // a long shuffled pass over a large corpus keeps a flat RSS. Safe while
  // other threads read.
  void release_pages() const;

 private:
  Corpus();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Label words of EncodedLabels row `i` (layout above).
void label_words(const EncodedLabels& enc, int64_t i, std::vector<int32_t>& out);
// And back: words -> the TransformedCell label vectors.
void split_label_words(const int32_t* words, const LabelLayout& layout, std::vector<int32_t>& class_labels,
                       std::vector<float>& multilabel, std::vector<float>& regression);

}  // namespace bmfm::data

// Writing a streaming corpus (format: corpus.h). Cells are appended one at a
// time; shards are written as they fill, so memory holds one shard's offset
// index and label words, never its records.
//
// Everything goes into `<dir>.tmp-<pid>/`; finish() writes the manifest last
// and renames the folder to `<dir>`, so an interrupted run never leaves a
// folder that looks like a complete corpus (a stale .tmp-<pid> folder can be
// deleted).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "bmfm/data/corpus.h"
#include "bmfm/data/labels.h"
#include "bmfm/data/vocab.h"

namespace bmfm::data {

class CorpusWriter {
 public:
  // Throws std::runtime_error when `dir` already exists (unless `overwrite`,
  // then the old corpus is replaced at finish()) or the temp folder can't be made.
  CorpusWriter(std::string dir, const Vocab& vocab, const LabelDictionary& labels, int64_t cells_per_shard,
               bool overwrite = false);
  ~CorpusWriter();  // without finish(): removes the temp folder
  CorpusWriter(const CorpusWriter&) = delete;
  CorpusWriter& operator=(const CorpusWriter&) = delete;

  // `label_words` has n_label_words() entries (corpus.h layout).
  void add(const int32_t* genes, const float* values, size_t n, const int32_t* label_words);
  void add(const CellRecord& cell) { add(cell.genes.data(), cell.values.data(), cell.genes.size(), cell.labels.data()); }
  void add_source(CorpusSourceInfo source) { manifest_.sources.push_back(std::move(source)); }
  void set_matrix(const std::string& matrix) { manifest_.matrix = matrix; }

  int64_t n_cells() const { return manifest_.n_cells; }
  int64_t n_label_words() const { return manifest_.n_label_words; }
  const std::string& temp_dir() const { return tmp_; }
  // Closes the last shard, writes vocab.json and manifest.json, renames.
  CorpusManifest finish();

 private:
  void open_shard();
  void close_shard();
  std::string dir_, tmp_;
  bool overwrite_ = false, finished_ = false;
  const Vocab* vocab_;
  int64_t cells_per_shard_;
  CorpusManifest manifest_;
  std::FILE* file_ = nullptr;
  std::vector<uint64_t> offsets_;
  std::vector<int32_t> labels_;
};

}  // namespace bmfm::data

// Streaming corpus writer: shards filled cell by cell, manifest last, folder
// renamed into place at the end.
#include "bmfm/data/corpus_writer.h"

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

namespace bmfm::data {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the corpus format is little-endian; add byte swapping");

namespace fs = std::filesystem;

namespace {

void write_all(std::FILE* f, const void* data, size_t bytes, const std::string& what) {
  if (bytes && std::fwrite(data, 1, bytes, f) != bytes)
    throw std::runtime_error(fmt::format("corpus: writing {} failed: {}", what, std::strerror(errno)));
}

}  // namespace

CorpusWriter::CorpusWriter(std::string dir, const Vocab& vocab, const LabelDictionary& labels, int64_t cells_per_shard,
                           bool overwrite)
    : dir_(std::move(dir)), overwrite_(overwrite), vocab_(&vocab), cells_per_shard_(cells_per_shard) {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
  if (cells_per_shard_ < 1)
    throw std::invalid_argument(fmt::format("corpus: cells_per_shard must be >= 1, got {}", cells_per_shard_));
  if (fs::exists(dir_) && !overwrite_)
    throw std::runtime_error(fmt::format("corpus: output {} already exists; remove it or choose another output", dir_));
  tmp_ = fmt::format("{}.tmp-{}", dir_, ::getpid());
  fs::remove_all(tmp_);
  const auto parent = fs::path(tmp_).parent_path();
  if (!parent.empty()) fs::create_directories(parent);
  if (!fs::create_directory(tmp_)) throw std::runtime_error(fmt::format("corpus: cannot create {}", tmp_));
  manifest_.vocab_hash = vocab.hash();
  const auto lay = labels.layout();
  manifest_.n_label_words = lay.n_class_columns + lay.multilabel_width + lay.n_regression;
  if (!labels.columns().empty()) manifest_.label_dictionary_json = labels.to_json();
}

CorpusWriter::~CorpusWriter() {
  if (file_) std::fclose(file_);
  if (!finished_) {
    std::error_code ec;
    fs::remove_all(tmp_, ec);
  }
}

void CorpusWriter::open_shard() {
  const std::string name = corpus_format::shard_name(static_cast<int64_t>(manifest_.shards.size()));
  const std::string path = (fs::path(tmp_) / name).string();
  file_ = std::fopen(path.c_str(), "wb");
  if (!file_) throw std::runtime_error(fmt::format("corpus: cannot create {}: {}", path, std::strerror(errno)));
  const char zeros[corpus_format::kHeaderBytes] = {};
  write_all(file_, zeros, sizeof zeros, path);  // header written at close_shard, when the counts are known
  manifest_.shards.push_back({name, 0, 0, 0});
  offsets_.assign(1, 0);
  labels_.clear();
}

void CorpusWriter::add(const int32_t* genes, const float* values, size_t n, const int32_t* label_words) {
  if (finished_) throw std::logic_error("corpus: add() after finish()");
  if (!file_) open_shard();
  auto& shard = manifest_.shards.back();
  const std::string& what = shard.file;
  write_all(file_, genes, 4 * n, what);
  write_all(file_, values, 4 * n, what);
  offsets_.push_back(offsets_.back() + n);
  labels_.insert(labels_.end(), label_words, label_words + manifest_.n_label_words);
  ++shard.n_cells;
  ++manifest_.n_cells;
  if (shard.n_cells >= cells_per_shard_) close_shard();
}

void CorpusWriter::close_shard() {
  if (!file_) return;
  auto& shard = manifest_.shards.back();
  const uint64_t n_cells = static_cast<uint64_t>(shard.n_cells), nnz = offsets_.back();
  const uint32_t n_words = static_cast<uint32_t>(manifest_.n_label_words);
  write_all(file_, offsets_.data(), 8 * offsets_.size(), shard.file);
  write_all(file_, labels_.data(), 4 * labels_.size(), shard.file);
  unsigned char header[corpus_format::kHeaderBytes] = {};
  const uint32_t version = corpus_format::kShardVersion;
  const uint64_t index_offset = corpus_format::kHeaderBytes + 8 * nnz;
  std::memcpy(header, corpus_format::kShardMagic, 8);
  std::memcpy(header + 8, &version, 4);
  std::memcpy(header + 12, &n_words, 4);
  std::memcpy(header + 16, &n_cells, 8);
  std::memcpy(header + 24, &nnz, 8);
  std::memcpy(header + 32, &index_offset, 8);
  if (std::fseek(file_, 0, SEEK_SET) != 0) throw std::runtime_error("corpus: seek failed in " + shard.file);
  write_all(file_, header, sizeof header, shard.file);
  const bool ok = std::fflush(file_) == 0 && ::fsync(fileno(file_)) == 0;
  std::fclose(file_);
  file_ = nullptr;
  if (!ok) throw std::runtime_error(fmt::format("corpus: flushing {} failed: {}", shard.file, std::strerror(errno)));
  shard.nnz = static_cast<int64_t>(nnz);
  shard.bytes = static_cast<int64_t>(corpus_format::shard_bytes(n_cells, nnz, n_words));
}

CorpusManifest CorpusWriter::finish() {
  close_shard();
  vocab_->save((fs::path(tmp_) / corpus_format::kVocabFile).string());
  {
    const std::string path = (fs::path(tmp_) / corpus_format::kManifest).string();
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) throw std::runtime_error(fmt::format("corpus: cannot create {}", path));
    const std::string text = manifest_.to_json();
    const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size() && std::fflush(f) == 0;
    std::fclose(f);
    if (!ok) throw std::runtime_error(fmt::format("corpus: writing {} failed", path));
  }
  if (fs::exists(dir_)) {
    if (!overwrite_) throw std::runtime_error(fmt::format("corpus: output {} appeared while writing", dir_));
    fs::remove_all(dir_);
  }
  fs::rename(tmp_, dir_);
  finished_ = true;
  return manifest_;
}

}  // namespace bmfm::data

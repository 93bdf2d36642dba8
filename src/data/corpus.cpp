// Streaming corpus reader: manifest parsing, shard validation, mmap access.
#include "bmfm/data/corpus.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace bmfm::data {

namespace fs = std::filesystem;

namespace corpus_format {
std::string shard_name(int64_t shard) { return fmt::format("shard-{:05d}.bin", shard); }
uint64_t shard_bytes(uint64_t n_cells, uint64_t nnz, uint32_t n_label_words) {
  return kHeaderBytes + 8 * nnz + 8 * (n_cells + 1) + 4 * n_cells * n_label_words;
}
}  // namespace corpus_format

std::string CorpusManifest::to_json() const {
  nlohmann::ordered_json j;
  j["format"] = corpus_format::kFormat;
  j["version"] = corpus_format::kVersion;
  j["vocab_hash"] = vocab_hash;
  j["vocab_file"] = corpus_format::kVocabFile;
  j["matrix"] = matrix;
  j["n_cells"] = n_cells;
  j["n_label_words"] = n_label_words;
  j["labels"] = label_dictionary_json.empty() ? nlohmann::ordered_json(nullptr)
                                              : nlohmann::ordered_json::parse(label_dictionary_json);
  auto& sh = j["shards"] = nlohmann::ordered_json::array();
  for (const auto& s : shards) sh.push_back({{"file", s.file}, {"n_cells", s.n_cells}, {"nnz", s.nnz}, {"bytes", s.bytes}});
  auto& src = j["sources"] = nlohmann::ordered_json::array();
  for (const auto& s : sources)
    src.push_back({{"path", s.path},
                   {"n_obs", s.n_obs},
                   {"n_written", s.n_written},
                   {"mapping", s.mapping},
                   {"measured_genes", s.measured_genes}});
  return j.dump(2) + "\n";
}

CorpusManifest CorpusManifest::from_json(const std::string& text, const std::string& what) {
  CorpusManifest m;
  try {
    // ordered: the label dictionary keeps its column order (the order of the label words).
    const auto j = nlohmann::ordered_json::parse(text);
    if (!j.is_object() || j.value("format", "") != corpus_format::kFormat)
      throw std::runtime_error(fmt::format("{}: not a bmfm corpus manifest (format is not \"{}\")", what,
                                           corpus_format::kFormat));
    const int version = j.at("version").get<int>();
    if (version != corpus_format::kVersion)
      throw std::runtime_error(fmt::format("{}: corpus version {} is not supported (this bmfm reads version {}); "
                                           "re-run bmfm prepare",
                                           what, version, corpus_format::kVersion));
    m.vocab_hash = j.at("vocab_hash").get<std::string>();
    m.matrix = j.value("matrix", "X");
    m.n_cells = j.at("n_cells").get<int64_t>();
    m.n_label_words = j.at("n_label_words").get<int64_t>();
    if (j.contains("labels") && !j.at("labels").is_null()) m.label_dictionary_json = j.at("labels").dump();
    for (const auto& s : j.at("shards"))
      m.shards.push_back({s.at("file").get<std::string>(), s.at("n_cells").get<int64_t>(), s.at("nnz").get<int64_t>(),
                          s.at("bytes").get<int64_t>()});
    for (const auto& s : j.at("sources"))
      m.sources.push_back({s.at("path").get<std::string>(), s.at("n_obs").get<int64_t>(),
                           s.at("n_written").get<int64_t>(), s.value("mapping", ""),
                           s.value("measured_genes", std::vector<int32_t>{})});
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(fmt::format("{}: malformed corpus manifest: {}", what, e.what()));
  }
  int64_t total = 0;
  for (const auto& s : m.shards) total += s.n_cells;
  if (total != m.n_cells)
    throw std::runtime_error(
        fmt::format("{}: n_cells is {} but the shards list {} cells in all", what, m.n_cells, total));
  return m;
}

namespace {

struct MappedShard {
  void* base = nullptr;
  size_t bytes = 0;
  int64_t n_cells = 0;
  const uint64_t* offsets = nullptr;
  const int32_t* labels = nullptr;
  const unsigned char* records = nullptr;
};

std::string read_text(const fs::path& p, const std::string& what) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot read {}", what, p.string()));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

struct Corpus::Impl {
  std::string dir;
  CorpusManifest manifest;
  Vocab vocab;
  LabelDictionary labels;
  std::vector<MappedShard> shards;
  std::vector<int64_t> starts;  // first global cell of each shard, plus n_cells
  ~Impl() {
    for (auto& s : shards)
      if (s.base) munmap(s.base, s.bytes);
  }
};

Corpus::Corpus() : impl_(std::make_unique<Impl>()) {}
Corpus::Corpus(Corpus&&) noexcept = default;
Corpus& Corpus::operator=(Corpus&&) noexcept = default;
Corpus::~Corpus() = default;

Corpus Corpus::open(const std::string& dir, const Vocab* vocab) {
  Corpus c;
  Impl& im = *c.impl_;
  im.dir = dir;
  const fs::path root(dir);
  const std::string mpath = (root / corpus_format::kManifest).string();
  if (!fs::is_directory(root))
    throw std::runtime_error(fmt::format("corpus {}: no such folder (make one with bmfm prepare)", dir));
  if (!fs::exists(mpath))
    throw std::runtime_error(fmt::format("corpus {}: no {} (an unfinished bmfm prepare leaves <dir>.tmp-<pid>; "
                                         "re-run it)",
                                         dir, corpus_format::kManifest));
  im.manifest = CorpusManifest::from_json(read_text(mpath, "corpus " + dir), mpath);
  const auto& m = im.manifest;
  im.vocab = Vocab::load((root / corpus_format::kVocabFile).string());
  im.vocab.require_hash(m.vocab_hash, "corpus " + mpath + " (its vocab.json)");
  if (vocab) vocab->require_hash(m.vocab_hash, "corpus " + mpath);
  if (!m.label_dictionary_json.empty()) {
    im.labels = LabelDictionary::from_json(m.label_dictionary_json, mpath);
    const auto lay = im.labels.layout();
    if (lay.n_class_columns + lay.multilabel_width + lay.n_regression != m.n_label_words)
      throw std::runtime_error(fmt::format("{}: n_label_words {} does not match the label dictionary ({} words)",
                                           mpath, m.n_label_words,
                                           lay.n_class_columns + lay.multilabel_width + lay.n_regression));
  } else if (m.n_label_words != 0) {
    throw std::runtime_error(fmt::format("{}: n_label_words {} but no label dictionary", mpath, m.n_label_words));
  }

  int64_t start = 0;
  for (size_t s = 0; s < m.shards.size(); ++s) {
    const auto& info = m.shards[s];
    const std::string path = (root / info.file).string();
    const std::string where = fmt::format("corpus {}: shard {} ({})", dir, s, path);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error(fmt::format("{}: cannot open: {}", where, std::strerror(errno)));
    struct stat st {};
    fstat(fd, &st);
    const uint64_t expected = corpus_format::shard_bytes(static_cast<uint64_t>(info.n_cells),
                                                         static_cast<uint64_t>(info.nnz),
                                                         static_cast<uint32_t>(m.n_label_words));
    if (static_cast<uint64_t>(st.st_size) != expected || info.bytes != static_cast<int64_t>(expected)) {
      ::close(fd);
      throw std::runtime_error(fmt::format("{}: {} bytes on disk, but the manifest's {} cells / {} values / {} label "
                                           "words need {} bytes{}; the corpus is damaged, re-run bmfm prepare",
                                           where, st.st_size, info.n_cells, info.nnz, m.n_label_words, expected,
                                           static_cast<uint64_t>(st.st_size) < expected ? " (truncated)" : ""));
    }
    MappedShard ms;
    ms.bytes = static_cast<size_t>(expected);
    ms.base = mmap(nullptr, ms.bytes, PROT_READ, MAP_SHARED, fd, 0);
    ::close(fd);
    if (ms.base == MAP_FAILED) throw std::runtime_error(fmt::format("{}: mmap failed: {}", where, std::strerror(errno)));
    im.shards.push_back(ms);  // owned from here (unmapped by ~Impl)
    auto* bytes = static_cast<const unsigned char*>(ms.base);
    uint32_t version = 0, n_words = 0;
    uint64_t n_cells = 0, nnz = 0, index_offset = 0;
    std::memcpy(&version, bytes + 8, 4);
    std::memcpy(&n_words, bytes + 12, 4);
    std::memcpy(&n_cells, bytes + 16, 8);
    std::memcpy(&nnz, bytes + 24, 8);
    std::memcpy(&index_offset, bytes + 32, 8);
    if (std::memcmp(bytes, corpus_format::kShardMagic, 8) != 0)
      throw std::runtime_error(fmt::format("{}: not a bmfm shard (bad magic)", where));
    if (version != corpus_format::kShardVersion)
      throw std::runtime_error(fmt::format("{}: shard version {}, this bmfm reads {}", where, version,
                                           corpus_format::kShardVersion));
    if (n_cells != static_cast<uint64_t>(info.n_cells) || nnz != static_cast<uint64_t>(info.nnz) ||
        n_words != static_cast<uint32_t>(m.n_label_words) || index_offset != corpus_format::kHeaderBytes + 8 * nnz)
      throw std::runtime_error(fmt::format("{}: header says {} cells / {} values / {} label words, manifest says {} / {} / {}",
                                           where, n_cells, nnz, n_words, info.n_cells, info.nnz, m.n_label_words));
    auto& mapped = im.shards.back();
    mapped.n_cells = info.n_cells;
    mapped.records = bytes + corpus_format::kHeaderBytes;
    mapped.offsets = reinterpret_cast<const uint64_t*>(bytes + index_offset);
    mapped.labels = reinterpret_cast<const int32_t*>(bytes + index_offset + 8 * (n_cells + 1));
    if (mapped.offsets[0] != 0 || mapped.offsets[n_cells] != nnz)
      throw std::runtime_error(fmt::format("{}: offset index does not span the {} values", where, nnz));
    for (uint64_t i = 0; i < n_cells; ++i)
      if (mapped.offsets[i + 1] < mapped.offsets[i])
        throw std::runtime_error(fmt::format("{}: offset index decreases at cell {}", where, i));
    im.starts.push_back(start);
    start += info.n_cells;
  }
  im.starts.push_back(start);
  return c;
}

const std::string& Corpus::dir() const { return impl_->dir; }
const CorpusManifest& Corpus::manifest() const { return impl_->manifest; }
int64_t Corpus::n_cells() const { return impl_->manifest.n_cells; }
int64_t Corpus::n_shards() const { return static_cast<int64_t>(impl_->shards.size()); }
const Vocab& Corpus::vocab() const { return impl_->vocab; }
const LabelDictionary& Corpus::labels() const { return impl_->labels; }

CellView Corpus::cell(int64_t i) const {
  const auto& im = *impl_;
  if (i < 0 || i >= n_cells())
    throw std::out_of_range(fmt::format("corpus {}: cell {} outside [0, {})", im.dir, i, n_cells()));
  const size_t s = static_cast<size_t>(std::upper_bound(im.starts.begin(), im.starts.end(), i) - im.starts.begin() - 1);
  const auto& sh = im.shards[s];
  const uint64_t local = static_cast<uint64_t>(i - im.starts[s]);
  const uint64_t begin = sh.offsets[local], end = sh.offsets[local + 1];
  CellView v;
  v.cell_index = i;
  v.n = static_cast<size_t>(end - begin);
  v.genes = reinterpret_cast<const int32_t*>(sh.records + 8 * begin);
  v.values = reinterpret_cast<const float*>(sh.records + 8 * begin + 4 * v.n);
  v.labels = sh.labels + local * static_cast<uint64_t>(im.manifest.n_label_words);
  return v;
}

void Corpus::read(int64_t i, CellRecord& out) const {
  const CellView v = cell(i);
  out.cell_index = i;
  out.genes.assign(v.genes, v.genes + v.n);
  out.values.assign(v.values, v.values + v.n);
  out.labels.assign(v.labels, v.labels + impl_->manifest.n_label_words);
}

void Corpus::release_pages() const {
  for (const auto& s : impl_->shards) madvise(s.base, s.bytes, MADV_DONTNEED);
}

void label_words(const EncodedLabels& enc, int64_t i, std::vector<int32_t>& out) {
  const auto& lay = enc.layout;
  out.clear();
  const auto r = static_cast<size_t>(i);
  for (int64_t c = 0; c < lay.n_class_columns; ++c)
    out.push_back(enc.class_labels[r * static_cast<size_t>(lay.n_class_columns) + static_cast<size_t>(c)]);
  for (int64_t c = 0; c < lay.multilabel_width; ++c)
    out.push_back(static_cast<int32_t>(enc.multilabel[r * static_cast<size_t>(lay.multilabel_width) + static_cast<size_t>(c)]));
  for (int64_t c = 0; c < lay.n_regression; ++c) {
    const float v = enc.regression[r * static_cast<size_t>(lay.n_regression) + static_cast<size_t>(c)];
    int32_t w;
    std::memcpy(&w, &v, 4);
    out.push_back(w);
  }
}

void split_label_words(const int32_t* words, const LabelLayout& layout, std::vector<int32_t>& class_labels,
                       std::vector<float>& multilabel, std::vector<float>& regression) {
  class_labels.assign(words, words + layout.n_class_columns);
  words += layout.n_class_columns;
  multilabel.resize(static_cast<size_t>(layout.multilabel_width));
  for (int64_t c = 0; c < layout.multilabel_width; ++c) multilabel[static_cast<size_t>(c)] = static_cast<float>(words[c]);
  words += layout.multilabel_width;
  regression.resize(static_cast<size_t>(layout.n_regression));
  for (int64_t c = 0; c < layout.n_regression; ++c) std::memcpy(&regression[static_cast<size_t>(c)], words + c, 4);
}

}  // namespace bmfm::data

// Gene vocabulary: special tokens first, then genes. Token ids are positions.
//
// The content hash (of the ordered token list) is stored with every corpus
// and checkpoint; loading one against a different vocabulary is an error,
// because the same id would then mean a different gene.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace bmfm::data {

namespace tokens {
inline constexpr const char* kUnk = "[UNK]";
inline constexpr const char* kSep = "[SEP]";
inline constexpr const char* kPad = "[PAD]";
inline constexpr const char* kCls = "[CLS]";
inline constexpr const char* kMask = "[MASK]";
inline constexpr const char* kDepthS = "[S]";  // RDA: log1p(input depth)
inline constexpr const char* kDepthT = "[T]";  // RDA: log1p(target depth)
}  // namespace tokens

// How `union_genes` orders the union of several gene lists.
enum class GeneOrder {
  FirstAppearance,  // list by list, each gene where it first appears: stable when datasets are appended
  Sorted,           // byte-wise ascending (std::string operator<): independent of the dataset order
};

// The union of several datasets' gene lists (empty names are an error naming
// the list and position). Duplicates within or across lists collapse to one.
std::vector<std::string> union_genes(const std::vector<std::vector<std::string>>& gene_lists,
                                     GeneOrder order = GeneOrder::FirstAppearance);

// A file's gene ids as vocabulary entries: `ids` without the empty ones (a
// var column with missing symbols, e.g. Ensembl ids that have none), with a
// warning naming `what` (file and column) and how many were left out: those
// genes cannot be told apart, so their counts are not read.
std::vector<std::string> nonempty_gene_ids(std::vector<std::string> ids, const std::string& what);

struct VocabOptions {
  bool depth_tokens = false;  // add [S] and [T] (RDA)
  int extra_cls_tokens = 0;   // [CLS_1] ... for multiple sequence-level readouts
};

class Vocab {
 public:
  Vocab() = default;
  // Specials ([UNK] [SEP] [PAD] [CLS] [MASK], then optional [S] [T], [CLS_i]),
  // then `genes` in the given order; duplicate genes are an error naming them.
  static Vocab from_genes(const std::vector<std::string>& genes, const VocabOptions& options = {});
  // JSON: {"format": "bmfm-vocab", "version": 1, "specials": [...], "genes": [...], "hash": "..."}.
  static Vocab load(const std::string& path);
  void save(const std::string& path) const;
  // The text save() writes.
  std::string to_json() const;

  int32_t size() const { return static_cast<int32_t>(tokens_.size()); }
  const std::vector<std::string>& tokens() const { return tokens_; }
  int32_t n_special() const { return n_special_; }
  int32_t n_genes() const { return size() - n_special_; }
  bool is_special(int32_t id) const { return id >= 0 && id < n_special_; }
  const std::string& token(int32_t id) const { return tokens_.at(static_cast<size_t>(id)); }
  // -1 when absent. Case-sensitive exact match (DESIGN.md "Gene identity").
  int32_t id(const std::string& token) const;

  int32_t unk_id() const { return unk_; }
  int32_t sep_id() const { return sep_; }
  int32_t pad_id() const { return pad_; }
  int32_t cls_id() const { return cls_; }
  int32_t mask_id() const { return mask_; }
  std::optional<int32_t> depth_s_id() const;
  std::optional<int32_t> depth_t_id() const;

  // Stable hex digest of the ordered token list (FNV-1a 64 over the tokens
  // joined by '\n'): identical vocabularies hash identically on every machine.
  const std::string& hash() const { return hash_; }
  // Throws std::runtime_error naming `what` (e.g. "corpus corpus/manifest.json")
  // when `expected_hash` differs from this vocabulary's hash.
  void require_hash(const std::string& expected_hash, const std::string& what) const;

 private:
  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int32_t> index_;
  int32_t n_special_ = 0;
  int32_t unk_ = -1, sep_ = -1, pad_ = -1, cls_ = -1, mask_ = -1;
  std::string hash_;
};

}  // namespace bmfm::data

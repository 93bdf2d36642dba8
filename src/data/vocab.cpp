#include "bmfm/data/vocab.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace bmfm::data {

namespace {

constexpr const char* kFormat = "bmfm-vocab";
constexpr int kVersion = 1;

std::string fnv1a64_hex(const std::vector<std::string>& tokens) {
  uint64_t h = 0xcbf29ce484222325ULL;
  auto eat = [&h](unsigned char c) {
    h ^= c;
    h *= 0x100000001b3ULL;
  };
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i > 0) eat('\n');
    for (unsigned char c : tokens[i]) eat(c);
  }
  return fmt::format("{:016x}", h);
}

std::vector<std::string> default_specials(const VocabOptions& options) {
  std::vector<std::string> s = {tokens::kUnk, tokens::kSep, tokens::kPad, tokens::kCls, tokens::kMask};
  if (options.depth_tokens) {
    s.emplace_back(tokens::kDepthS);
    s.emplace_back(tokens::kDepthT);
  }
  for (int i = 1; i <= options.extra_cls_tokens; ++i) s.push_back(fmt::format("[CLS_{}]", i));
  return s;
}

// A token must survive the '\n'-joined hash and JSON unambiguously.
void check_token(const std::string& token, const std::string& where) {
  if (token.empty()) throw std::invalid_argument(fmt::format("vocabulary: empty token at {}", where));
  if (token.find('\n') != std::string::npos || token.find('\r') != std::string::npos)
    throw std::invalid_argument(fmt::format("vocabulary: token '{}' at {} contains a line break", token, where));
}

}  // namespace

std::vector<std::string> nonempty_gene_ids(std::vector<std::string> ids, const std::string& what) {
  const size_t before = ids.size();
  ids.erase(std::remove_if(ids.begin(), ids.end(), [](const std::string& g) { return g.empty(); }), ids.end());
  if (ids.size() < before)
    spdlog::warn("{}: {} of {} genes have an empty id and are left out of the vocabulary (their counts are not read)",
                 what, before - ids.size(), before);
  return ids;
}

std::vector<std::string> union_genes(const std::vector<std::vector<std::string>>& gene_lists, GeneOrder order) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  for (size_t l = 0; l < gene_lists.size(); ++l) {
    const auto& list = gene_lists[l];
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i].empty())
        throw std::invalid_argument(fmt::format("union_genes: gene list {} has an empty name at position {}", l, i));
      if (seen.insert(list[i]).second) out.push_back(list[i]);
    }
  }
  if (order == GeneOrder::Sorted) std::sort(out.begin(), out.end());
  return out;
}

Vocab Vocab::from_genes(const std::vector<std::string>& genes, const VocabOptions& options) {
  if (options.extra_cls_tokens < 0)
    throw std::invalid_argument(
        fmt::format("vocabulary: extra_cls_tokens must be >= 0, got {}", options.extra_cls_tokens));
  Vocab v;
  v.tokens_ = default_specials(options);
  v.n_special_ = static_cast<int32_t>(v.tokens_.size());
  v.tokens_.reserve(v.tokens_.size() + genes.size());
  v.index_.reserve(v.tokens_.size() + genes.size());
  for (int32_t i = 0; i < v.n_special_; ++i) v.index_.emplace(v.tokens_[static_cast<size_t>(i)], i);
  std::vector<std::string> duplicates;
  for (size_t i = 0; i < genes.size(); ++i) {
    check_token(genes[i], fmt::format("gene position {}", i));
    const auto id = static_cast<int32_t>(v.tokens_.size());
    if (!v.index_.emplace(genes[i], id).second) {
      if (duplicates.size() < 10) duplicates.push_back(genes[i]);
      continue;
    }
    v.tokens_.push_back(genes[i]);
  }
  if (!duplicates.empty())
    throw std::invalid_argument(fmt::format(
        "vocabulary: duplicate gene names (or names equal to a special token): {}{}; deduplicate the list first "
        "(e.g. union_genes)",
        fmt::join(duplicates, ", "), duplicates.size() == 10 ? ", ..." : ""));
  for (int32_t i = 0; i < v.n_special_; ++i) {
    const auto& t = v.tokens_[static_cast<size_t>(i)];
    if (t == tokens::kUnk) v.unk_ = i;
    if (t == tokens::kSep) v.sep_ = i;
    if (t == tokens::kPad) v.pad_ = i;
    if (t == tokens::kCls) v.cls_ = i;
    if (t == tokens::kMask) v.mask_ = i;
  }
  v.hash_ = fnv1a64_hex(v.tokens_);
  return v;
}

Vocab Vocab::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("vocabulary {}: cannot open for reading", path));
  nlohmann::json j;
  try {
    in >> j;
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("vocabulary {}: not valid JSON ({})", path, e.what()));
  }
  auto fail = [&](const std::string& what) { throw std::runtime_error(fmt::format("vocabulary {}: {}", path, what)); };
  if (!j.is_object()) fail("top level must be a JSON object");
  if (j.value("format", std::string()) != kFormat) fail(fmt::format("\"format\" must be \"{}\"", kFormat));
  if (!j.contains("version") || !j["version"].is_number_integer() || j["version"].get<int>() != kVersion)
    fail(fmt::format("unsupported \"version\" (this build reads version {})", kVersion));
  for (const char* key : {"specials", "genes"})
    if (!j.contains(key) || !j[key].is_array()) fail(fmt::format("\"{}\" must be an array of strings", key));
  auto strings = [&](const char* key) {
    std::vector<std::string> out;
    for (const auto& e : j[key]) {
      if (!e.is_string()) fail(fmt::format("\"{}\" must be an array of strings", key));
      out.push_back(e.get<std::string>());
    }
    return out;
  };
  const auto specials = strings("specials");
  const auto genes = strings("genes");
  // The specials must be the ones this build would write for some options:
  // ids of [PAD], [MASK], ... are baked into models, so an edited list is an error.
  VocabOptions options;
  options.depth_tokens = std::find(specials.begin(), specials.end(), tokens::kDepthS) != specials.end();
  for (const auto& s : specials)
    if (s.rfind("[CLS_", 0) == 0) ++options.extra_cls_tokens;
  if (specials != default_specials(options))
    fail(
        fmt::format("\"specials\" [{}] are not a list this build writes ([UNK] [SEP] [PAD] [CLS] [MASK], then "
                    "optional [S] [T], then [CLS_1] ...)",
                    fmt::join(specials, " ")));
  Vocab v;
  try {
    v = from_genes(genes, options);
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
  if (j.contains("hash")) {
    if (!j["hash"].is_string()) fail("\"hash\" must be a string");
    const auto stored = j["hash"].get<std::string>();
    if (stored != v.hash())
      fail(fmt::format("stored hash {} does not match its content (hash {}): the file was edited or corrupted", stored,
                       v.hash()));
  }
  return v;
}

std::string Vocab::to_json() const {
  nlohmann::json j;
  j["format"] = kFormat;
  j["version"] = kVersion;
  j["specials"] = std::vector<std::string>(tokens_.begin(), tokens_.begin() + n_special_);
  j["genes"] = std::vector<std::string>(tokens_.begin() + n_special_, tokens_.end());
  j["hash"] = hash_;
  return j.dump(1) + "\n";
}

void Vocab::save(const std::string& path) const {
  // Temp file + rename: a crash never leaves a half-written vocabulary behind.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) throw std::runtime_error(fmt::format("vocabulary {}: cannot open {} for writing", path, tmp));
    out << to_json();
    out.flush();
    if (!out) throw std::runtime_error(fmt::format("vocabulary {}: write to {} failed", path, tmp));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw std::runtime_error(fmt::format("vocabulary {}: rename from {} failed: {}", path, tmp, ec.message()));
}

int32_t Vocab::id(const std::string& token) const {
  auto it = index_.find(token);
  return it == index_.end() ? -1 : it->second;
}

std::optional<int32_t> Vocab::depth_s_id() const {
  const int32_t i = id(tokens::kDepthS);
  return i >= 0 && i < n_special_ ? std::optional<int32_t>(i) : std::nullopt;
}

std::optional<int32_t> Vocab::depth_t_id() const {
  const int32_t i = id(tokens::kDepthT);
  return i >= 0 && i < n_special_ ? std::optional<int32_t>(i) : std::nullopt;
}

void Vocab::require_hash(const std::string& expected_hash, const std::string& what) const {
  if (expected_hash == hash_) return;
  throw std::runtime_error(fmt::format(
      "{} was built with vocabulary hash {}, but the vocabulary in use has hash {} ({} tokens, {} genes): the same "
      "token id would mean a different gene. Use the vocabulary file the {} was built with.",
      what, expected_hash, hash_, size(), n_genes(), what));
}

}  // namespace bmfm::data

#include "tree.h"

#include <cctype>

#include "bmfm/config/error.h"
#include "bmfm/config/scalar.h"
#include "bmfm/config/schema.h"

namespace bmfm::config::detail {

namespace {

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace

std::vector<std::string> split_key(const std::string& dotted) {
  std::vector<std::string> segments;
  auto bad = [&](const std::string& why) {
    throw ConfigError("invalid key '" + dotted + "': " + why + " (write keys as a.b.c and list items as a.b[0])");
  };
  const size_t n = dotted.size();
  size_t i = 0;
  while (i < n) {
    if (dotted[i] == '[') {
      const size_t close = dotted.find(']', i);
      if (close == std::string::npos) bad("unclosed '['");
      const std::string index = dotted.substr(i + 1, close - i - 1);
      if (!all_digits(index)) bad("'[" + index + "]' is not a list index");
      segments.push_back("[" + index + "]");
      i = close + 1;
      if (i < n && dotted[i] != '.' && dotted[i] != '[') bad("expected '.' or '[' after ']'");
    } else {
      size_t end = dotted.find_first_of(".[", i);
      if (end == std::string::npos) end = n;
      if (end == i) bad("empty key");
      segments.push_back(dotted.substr(i, end - i));
      i = end;
    }
    if (i < n && dotted[i] == '.') {
      ++i;
      if (i == n || dotted[i] == '.' || dotted[i] == '[') bad("empty key");
    }
  }
  return segments;
}

std::string join_key(const std::string& prefix, const std::string& segment) {
  if (prefix.empty()) return segment;
  if (!segment.empty() && segment[0] == '[') return prefix + segment;
  return prefix + "." + segment;
}

std::string index_segment(size_t i) { return "[" + std::to_string(i) + "]"; }

bool is_below(const std::string& key, const std::string& prefix, std::string* rest) {
  if (prefix.empty()) {
    if (rest) *rest = key;
    return !key.empty();
  }
  if (key.size() <= prefix.size() || key.compare(0, prefix.size(), prefix) != 0) return false;
  const char next = key[prefix.size()];
  if (next != '.' && next != '[') return false;
  if (rest) *rest = key.substr(prefix.size() + (next == '.' ? 1 : 0));
  return true;
}

YAML::Node child(const YAML::Node& node, const std::string& segment) {
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it)
      if (it->first.IsScalar() && it->first.Scalar() == segment) return it->second;
  } else if (node.IsSequence()) {
    std::string index = segment;
    if (index.size() > 2 && index.front() == '[' && index.back() == ']') index = index.substr(1, index.size() - 2);
    if (all_digits(index) && index.size() < 10) {
      const size_t i = std::stoul(index);
      if (i < node.size()) return node[i];
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

YAML::Node find(const YAML::Node& root, const std::string& dotted) {
  YAML::Node cur = root;
  for (const auto& segment : split_key(dotted)) {
    cur.reset(child(cur, segment));
    if (!cur.IsDefined()) break;
  }
  return cur;
}

std::vector<std::string> keys_of(const YAML::Node& map) {
  std::vector<std::string> keys;
  if (!map.IsMap()) return keys;
  for (auto it = map.begin(); it != map.end(); ++it)
    if (it->first.IsScalar()) keys.push_back(it->first.Scalar());
  return keys;
}

std::string closest_key(const YAML::Node& root, const std::string& dotted) {
  YAML::Node cur = root;
  std::string key;
  for (const auto& segment : split_key(dotted)) {
    YAML::Node next = child(cur, segment);
    std::string chosen = segment;
    if (!next.IsDefined()) {
      chosen = did_you_mean(segment, keys_of(cur));
      if (chosen.empty()) return "";
      next.reset(child(cur, chosen));
    }
    key = join_key(key, chosen);
    cur.reset(next);
  }
  return key;
}

Source source_of(const Sources& sources, const std::string& dotted_key) {
  std::string key = dotted_key;
  while (true) {
    auto it = sources.find(key);
    if (it != sources.end()) return it->second;
    if (key.empty()) break;
    const size_t cut = key.find_last_of(".[");
    key = cut == std::string::npos ? "" : key.substr(0, cut);
  }
  return Source{"<defaults>", 0};
}

Source Origin::at(const YAML::Node& node) const {
  if (!has_lines) return Source{file, 0};
  const int line = node.Mark().line;
  return Source{file, line >= 0 ? line + 1 : 0};
}

void record_sources(const YAML::Node& node, const std::string& key, const Source& self, const Origin& origin,
                    Sources& sources) {
  sources[key] = self;
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it)
      record_sources(it->second, join_key(key, it->first.Scalar()), origin.at(it->first), origin, sources);
  } else if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i)
      record_sources(node[i], join_key(key, index_segment(i)), origin.at(node[i]), origin, sources);
  }
}

void erase_sources(const std::string& key, Sources& sources) {
  for (auto it = sources.begin(); it != sources.end();) {
    if (it->first == key || is_below(it->first, key))
      it = sources.erase(it);
    else
      ++it;
  }
}

void copy_sources(const std::string& from, const std::string& to, Sources& sources) {
  std::vector<std::pair<std::string, Source>> copies;
  std::string rest;
  for (const auto& [key, source] : sources)
    if (is_below(key, from, &rest)) copies.emplace_back(join_key(to, rest), source);
  for (auto& [key, source] : copies) sources[key] = source;
}

void merge(YAML::Node dst, const YAML::Node& src, const std::string& prefix, const Origin& origin, Sources& sources,
           const std::vector<std::string>& skip) {
  for (auto it = src.begin(); it != src.end(); ++it) {
    if (!it->first.IsScalar())
      throw ConfigError(origin.at(it->first).str() + ": a mapping key must be a plain name, not " +
                        describe(it->first));
    const std::string name = it->first.Scalar();
    bool skipped = false;
    for (const auto& s : skip) skipped = skipped || s == name;
    if (skipped) continue;
    const std::string key = join_key(prefix, name);
    YAML::Node existing = child(dst, name);
    if (existing.IsMap() && it->second.IsMap()) {
      sources[key] = origin.at(it->first);
      merge(existing, it->second, key, origin, sources);
      continue;
    }
    erase_sources(key, sources);
    record_sources(it->second, key, origin.at(it->first), origin, sources);
    assign(dst, name, it->second);
  }
}

void assign(YAML::Node map, const std::string& key, const YAML::Node& value) { map[key] = YAML::Clone(value); }

YAML::Node ensure_mapping(YAML::Node root, const std::string& dotted, const Source& created, Sources& sources) {
  YAML::Node cur = root;
  std::string key;
  for (const auto& segment : split_key(dotted)) {
    if (segment[0] == '[') throw ConfigError("'" + dotted + "' names a list item; a package must be a mapping key");
    key = join_key(key, segment);
    YAML::Node next = child(cur, segment);
    if (!next.IsMap()) {
      if (next.IsDefined()) erase_sources(key, sources);
      cur[segment] = YAML::Node(YAML::NodeType::Map);
      sources.emplace(key, created);
      next.reset(child(cur, segment));
    }
    cur.reset(next);
  }
  return cur;
}

}  // namespace bmfm::config::detail

// Dotted keys, node lookup and editing, and the key -> source bookkeeping that
// composition, overrides and interpolation share. Internal to the config area.
//
// yaml-cpp nodes are handles: copying a YAML::Node shares the value,
// assigning one Node to another overwrites the value the left one points to
// (use reset() to point a handle elsewhere), and a non-const operator[] inserts. Everything here looks up without
// inserting and clones what it stores, so no two places of a tree ever share a value (the emitter would print shared
// values as anchors and aliases).
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <vector>

#include "bmfm/config/compose.h"

namespace bmfm::config::detail {

using Sources = std::map<std::string, Source>;

// "a.b[2].c" -> {"a", "b", "[2]", "c"}; "" -> {}. Throws ConfigError on an empty segment.
std::vector<std::string> split_key(const std::string& dotted);
// join_key("a.b", "c") == "a.b.c", join_key("a", "[2]") == "a[2]", join_key("", "c") == "c".
std::string join_key(const std::string& prefix, const std::string& segment);
std::string index_segment(size_t i);  // "[i]"
// True when `key` is `prefix` itself (when or_self) or lies below it; `rest` gets what follows the prefix.
bool is_below(const std::string& key, const std::string& prefix, std::string* rest = nullptr);

// The value at one segment (a mapping key, or "[i]" / "i" in a list), or an undefined node.
YAML::Node child(const YAML::Node& node, const std::string& segment);
YAML::Node find(const YAML::Node& root, const std::string& dotted);
std::vector<std::string> keys_of(const YAML::Node& map);
// The existing key closest to `dotted`, fixing misspelt segments one at a
// time with did_you_mean, or "" when some segment has no close match.
std::string closest_key(const YAML::Node& root, const std::string& dotted);

// Where merged nodes come from: a YAML file (node marks give the lines) or the command line.
struct Origin {
  std::string file;
  bool has_lines = true;
  Source at(const YAML::Node& node) const;
};

// The source of `key`, else of its closest parent that has one, else "<defaults>".
Source source_of(const Sources& sources, const std::string& key);
// Records `self` for `key` and origin.at(...) for everything below it.
void record_sources(const YAML::Node& node, const std::string& key, const Source& self, const Origin& origin,
                    Sources& sources);
void erase_sources(const std::string& key, Sources& sources);  // the key and everything below it
// Copies the sources of everything below `from` to the same places below `to`.
void copy_sources(const std::string& from, const std::string& to, Sources& sources);

// Deep merge of the mapping `src` into the mapping `dst` whose dotted key is
// `prefix`: mappings merge key by key, anything else replaces what was there.
// Keys named in `skip` (e.g. "defaults") are left out at this level only.
void merge(YAML::Node dst, const YAML::Node& src, const std::string& prefix, const Origin& origin, Sources& sources,
           const std::vector<std::string>& skip = {});

// map[key] = a clone of value, keeping the key's position when it exists.
void assign(YAML::Node map, const std::string& key, const YAML::Node& value);

// The mapping at `dotted` below root, creating mappings on the way (and
// replacing values that are not mappings). New keys get the source `created`.
YAML::Node ensure_mapping(YAML::Node root, const std::string& dotted, const Source& created, Sources& sources);

}  // namespace bmfm::config::detail

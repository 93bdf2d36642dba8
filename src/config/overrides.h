// Command-line overrides, Hydra syntax: `a.b=1` (set an existing key),
// `+a.b=1` (add a new key), `++a.b=1` (set or add), `~a.b` / `~a.b=1` (delete).
// Values are YAML, so `x=[1,2]` is a list and `s='3'` a string. Internal.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "tree.h"

namespace bmfm::config::detail {

struct Override {
  enum class Op { Set, Add, ForceAdd, Delete };
  Op op = Op::Set;
  std::string text;        // as given on the command line
  std::string key;         // dotted key, or a config group path ("model", "model/encoder")
  bool has_value = false;  // false only for `~key`
  YAML::Node value;        // parsed as YAML; `key=` is the empty string
  std::string value_text;  // the text after '='
};

// Throws ConfigError for malformed overrides (no '=', empty key, bad YAML value).
Override parse_override(const std::string& text);

// True when the override could choose a config-group option: a key without
// '.' or '[', and a value that is an option name (or null), or a deletion.
bool may_name_group(const Override& override);

// Applies one key override to the composed tree, recording "<command line>"
// as the source of what it sets. `config_file` names the primary config in
// messages. Throws ConfigError (missing key, with a did-you-mean; key exists
// for `+`; value mismatch for `~key=value`).
void apply_override(const Override& override, YAML::Node root, Sources& sources, const std::string& config_file);

}  // namespace bmfm::config::detail

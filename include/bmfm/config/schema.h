// Typed config sections: one struct per section, one table of
// {key, member, help} per struct. Defaults live in the struct's member
// initialisers, so the help text prints the real default and the two cannot drift.
//
//   struct SimulateConfig { int64_t n_cells = 2000; double dropout_mid = 0; ... };
//   const Schema<SimulateConfig>& simulate_schema() {
//     static const auto s = Schema<SimulateConfig>("simulate")
//         .field("n_cells", &SimulateConfig::n_cells, "number of cells")
//         .field("seed", &SimulateConfig::seed, "random seed")
//         .section("batch", &SimulateConfig::batch, batch_schema(), "batch effects")
//         .check([](const SimulateConfig& c, const Config& cfg, const std::string& prefix) {
//           if (c.n_cells <= 0) fail(cfg, prefix + "n_cells", "must be positive");
//         });
//     return s;
//   }
//   SimulateConfig cfg = simulate_schema().read(config, "simulate");
//
// Reading is strict: an unknown key, a wrong type, a missing required value
// or a failed check throws ConfigError naming the dotted key, the file:line it
// came from and, for a misspelt key, the closest valid one.
//
// Field types: bool (YAML true/false only), any integer type (range-checked),
// float, double, std::string (any scalar, as written; null is an error: write
// '' for an empty string), std::vector<V> (a YAML list), std::optional<V>
// (null -> nullopt), std::map<std::string, V> (a free-form mapping of V) and
// YAML::Node (any value, unchecked: for free-form content). A value of
// `???` (Hydra's "mandatory, not set yet") is an error wherever it is read.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bmfm/config/compose.h"

namespace bmfm::config {

// Closest candidate to `key` by edit distance, or "" when nothing is close.
std::string did_you_mean(const std::string& key, const std::vector<std::string>& candidates);

// Typed conversion of one value with errors naming key + source (field types above).
template <class V>
V convert(const YAML::Node& node, const std::string& dotted_key, const Config& cfg);

// YAML text of a value, for help and for printing defaults.
template <class V>
std::string format_value(const V& v);

// For checks: throws ConfigError "key 'a.b' (from f.yaml:3): <what>".
[[noreturn]] void fail(const Config& cfg, const std::string& dotted_key, const std::string& what);
// For checks: throws unless `value` is one of `choices`, naming them (and the closest).
void require_one_of(const Config& cfg, const std::string& dotted_key, const std::string& value,
                    const std::vector<std::string>& choices);

template <class T>
class Schema {
 public:
  explicit Schema(std::string name) : name_(std::move(name)) {}

  template <class V>
  Schema& field(std::string key, V T::*member, std::string help, bool required = false);

  template <class S>
  Schema& section(std::string key, S T::*member, const Schema<S>& sub, std::string help);

  Schema& check(std::function<void(const T&, const Config&, const std::string& prefix)> rule);

  // Reads the mapping at `dotted_key` ("" = root) into a T initialised with
  // its defaults. A missing mapping means all defaults (unless a field is required).
  T read(const Config& cfg, const std::string& dotted_key) const;
  // A whole config file (its defaults list composed, `overrides` applied) on
  // top of this schema's defaults, read strictly: e.g. a run's saved config.yaml.
  T read_file(const std::string& path, const std::vector<std::string>& overrides = {}) const;
  void read_into(const Config& cfg, const std::string& dotted_key, T& out) const;
  // Same, from the node found at `dotted_key` (undefined or null = all defaults).
  void read_node(const Config& cfg, const YAML::Node& node, const std::string& dotted_key, T& out) const;

  // "key  (type, default: v)  help" lines, nested sections indented.
  std::string help(int indent = 0) const;
  // The values of `values` (by default the struct's defaults) as a YAML
  // mapping with the schema's keys, e.g. for ComposeRequest::base. Required
  // fields are left out, so that leaving them unset stays an error.
  YAML::Node defaults(const T& values = T{}) const;
  std::vector<std::string> keys() const;
  const std::string& name() const { return name_; }

 private:
  struct Entry {
    std::string key, help, type;
    bool required = false;
    std::function<void(const Config&, const YAML::Node&, const std::string&, T&)> read;
    std::function<std::string(const T&)> show;           // default value as text
    std::function<std::string(int)> nested_help;         // sections only
    std::function<YAML::Node(const T&)> nested_defaults;  // sections only
  };
  std::string name_;
  std::vector<Entry> entries_;
  std::vector<std::function<void(const T&, const Config&, const std::string&)>> checks_;
};

}  // namespace bmfm::config

#include "bmfm/config/schema_impl.h"

// Template implementations for schema.h: per-type conversion (Converter<V>)
// and the Schema<T> table. The non-template parts (number parsing, error
// texts) live in src/config/convert.cpp and src/config/schema.cpp.
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "bmfm/config/error.h"
#include "bmfm/config/scalar.h"

namespace bmfm::config {

namespace detail {

// "key 'a.b' (from f.yaml:3): expected <expected>, got <value><hint>"
[[noreturn]] void throw_type_error(const Config& cfg, const std::string& key, const std::string& expected,
                                   const YAML::Node& node, const std::string& hint = "");
// `???` where a value is read.
void reject_missing_marker(const YAML::Node& node, const std::string& key, const Config& cfg);
bool read_bool(const YAML::Node& node, const std::string& key, const Config& cfg);
long long read_signed(const YAML::Node& node, const std::string& key, const Config& cfg, long long min, long long max);
unsigned long long read_unsigned(const YAML::Node& node, const std::string& key, const Config& cfg,
                                 unsigned long long max);
double read_float(const YAML::Node& node, const std::string& key, const Config& cfg, double max_abs);
std::string read_string(const YAML::Node& node, const std::string& key, const Config& cfg);

std::string format_float(double v);
std::string format_string(const std::string& s);
std::string format_node(const YAML::Node& node);

// Schema building and reading errors.
void check_new_key(const std::string& schema, const std::string& key, const std::vector<std::string>& keys);
[[noreturn]] void throw_not_mapping(const Config& cfg, const std::string& key, const std::string& schema,
                                    const YAML::Node& node);
[[noreturn]] void throw_unknown_key(const Config& cfg, const std::string& section_key, const std::string& key,
                                    const std::string& schema, const std::vector<std::string>& valid);
[[noreturn]] void throw_missing_required(const Config& cfg, const std::string& section_key, const std::string& key,
                                         const std::string& schema, const std::string& type, const std::string& help);
std::string help_line(int indent, const std::string& key, size_t key_width, const std::string& what,
                      const std::string& help);
std::string child_key(const std::string& prefix, const std::string& key);
YAML::Node child_node(const YAML::Node& map, const std::string& key);

// Converter<V>: name() for help and messages, read() and format() for one type.
template <class V, class Enable = void>
struct Converter {
  static_assert(sizeof(V) == 0,
                "unsupported config field type: use bool, an integer type, float, double, std::string, "
                "std::vector<V>, std::optional<V>, std::map<std::string, V> or YAML::Node");
};

template <>
struct Converter<bool> {
  static std::string name() { return "bool"; }
  static bool read(const YAML::Node& n, const std::string& key, const Config& cfg) { return read_bool(n, key, cfg); }
  static std::string format(bool v) { return v ? "true" : "false"; }
};

template <class V>
struct Converter<V, std::enable_if_t<std::is_integral_v<V> && !std::is_same_v<V, bool>>> {
  static std::string name() { return std::is_signed_v<V> ? "int" : "non-negative int"; }
  static V read(const YAML::Node& n, const std::string& key, const Config& cfg) {
    using L = std::numeric_limits<V>;
    if constexpr (std::is_signed_v<V>)
      return static_cast<V>(
          read_signed(n, key, cfg, static_cast<long long>(L::min()), static_cast<long long>(L::max())));
    else
      return static_cast<V>(read_unsigned(n, key, cfg, static_cast<unsigned long long>(L::max())));
  }
  static std::string format(V v) { return std::to_string(v); }
};

template <class V>
struct Converter<V, std::enable_if_t<std::is_floating_point_v<V>>> {
  static std::string name() { return "float"; }
  static V read(const YAML::Node& n, const std::string& key, const Config& cfg) {
    return static_cast<V>(read_float(n, key, cfg, static_cast<double>(std::numeric_limits<V>::max())));
  }
  static std::string format(V v) { return format_float(static_cast<double>(v)); }
};

template <>
struct Converter<std::string> {
  static std::string name() { return "string"; }
  static std::string read(const YAML::Node& n, const std::string& key, const Config& cfg) {
    return read_string(n, key, cfg);
  }
  static std::string format(const std::string& v) { return format_string(v); }
};

template <>
struct Converter<YAML::Node> {
  static std::string name() { return "any"; }
  static YAML::Node read(const YAML::Node& n, const std::string&, const Config&) { return YAML::Clone(n); }
  static std::string format(const YAML::Node& v) { return format_node(v); }
};

template <class V>
struct Converter<std::vector<V>> {
  static std::string name() { return "list of " + Converter<V>::name(); }
  static std::vector<V> read(const YAML::Node& n, const std::string& key, const Config& cfg) {
    if (!n.IsSequence()) throw_type_error(cfg, key, name(), n, n.IsNull() ? "; write [] for an empty list" : "");
    std::vector<V> out;
    out.reserve(n.size());
    for (size_t i = 0; i < n.size(); ++i) out.push_back(convert<V>(n[i], key + "[" + std::to_string(i) + "]", cfg));
    return out;
  }
  static std::string format(const std::vector<V>& v) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + Converter<V>::format(v[i]);
    return out + "]";
  }
};

template <class V>
struct Converter<std::optional<V>> {
  static std::string name() { return Converter<V>::name() + " or null"; }
  static std::optional<V> read(const YAML::Node& n, const std::string& key, const Config& cfg) {
    if (!n.IsDefined() || n.IsNull()) return std::nullopt;
    return convert<V>(n, key, cfg);
  }
  static std::string format(const std::optional<V>& v) { return v ? Converter<V>::format(*v) : "null"; }
};

template <class V>
struct Converter<std::map<std::string, V>> {
  static std::string name() { return "mapping of " + Converter<V>::name(); }
  static std::map<std::string, V> read(const YAML::Node& n, const std::string& key, const Config& cfg) {
    std::map<std::string, V> out;
    if (!n.IsDefined() || n.IsNull()) return out;
    if (!n.IsMap()) throw_type_error(cfg, key, name(), n);
    for (auto it = n.begin(); it != n.end(); ++it)
      out.emplace(it->first.Scalar(), convert<V>(it->second, child_key(key, it->first.Scalar()), cfg));
    return out;
  }
  static std::string format(const std::map<std::string, V>& v) {
    std::string out = "{";
    for (const auto& [k, x] : v)
      out += (out.size() > 1 ? ", " : "") + format_string(k) + ": " + Converter<V>::format(x);
    return out + "}";
  }
};

}  // namespace detail

template <class V>
V convert(const YAML::Node& node, const std::string& dotted_key, const Config& cfg) {
  detail::reject_missing_marker(node, dotted_key, cfg);
  return detail::Converter<V>::read(node, dotted_key, cfg);
}

template <class V>
std::string format_value(const V& v) {
  return detail::Converter<V>::format(v);
}

template <class T>
template <class V>
Schema<T>& Schema<T>::field(std::string key, V T::*member, std::string help, bool required) {
  detail::check_new_key(name_, key, keys());
  Entry e;
  e.key = std::move(key);
  e.help = std::move(help);
  e.type = detail::Converter<V>::name();
  e.required = required;
  e.read = [member](const Config& cfg, const YAML::Node& node, const std::string& full_key, T& out) {
    if constexpr (std::is_same_v<V, YAML::Node>)
      (out.*member).reset(convert<V>(node, full_key, cfg));  // operator= would write through the old handle
    else
      out.*member = convert<V>(node, full_key, cfg);
  };
  e.show = [member](const T& t) { return format_value(t.*member); };
  entries_.push_back(std::move(e));
  return *this;
}

template <class T>
template <class S>
Schema<T>& Schema<T>::section(std::string key, S T::*member, const Schema<S>& sub, std::string help) {
  detail::check_new_key(name_, key, keys());
  Entry e;
  e.key = std::move(key);
  e.help = std::move(help);
  e.type = "section";
  // A copy: the table must not depend on the lifetime of `sub`.
  e.read = [member, sub](const Config& cfg, const YAML::Node& node, const std::string& full_key, T& out) {
    sub.read_node(cfg, node, full_key, out.*member);
  };
  e.nested_help = [sub](int indent) { return sub.help(indent); };
  e.nested_defaults = [member, sub](const T& t) { return sub.defaults(t.*member); };
  entries_.push_back(std::move(e));
  return *this;
}

template <class T>
Schema<T>& Schema<T>::check(std::function<void(const T&, const Config&, const std::string&)> rule) {
  checks_.push_back(std::move(rule));
  return *this;
}

template <class T>
T Schema<T>::read_file(const std::string& path, const std::vector<std::string>& overrides) const {
  ComposeRequest req;
  req.config_file = path;
  req.overrides = overrides;
  req.base = defaults();
  return read(compose(req), "");
}

template <class T>
T Schema<T>::read(const Config& cfg, const std::string& dotted_key) const {
  T out{};
  read_into(cfg, dotted_key, out);
  return out;
}

template <class T>
void Schema<T>::read_into(const Config& cfg, const std::string& dotted_key, T& out) const {
  read_node(cfg, cfg.find(dotted_key), dotted_key, out);
}

template <class T>
void Schema<T>::read_node(const Config& cfg, const YAML::Node& node, const std::string& dotted_key, T& out) const {
  const bool present = node.IsDefined() && !node.IsNull();
  if (present && !node.IsMap()) detail::throw_not_mapping(cfg, dotted_key, name_, node);
  if (present) {
    const std::vector<std::string> valid = keys();
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.Scalar();
      bool known = false;
      for (const auto& v : valid) known = known || v == key;
      if (!known) detail::throw_unknown_key(cfg, dotted_key, key, name_, valid);
    }
  }
  for (const auto& e : entries_) {
    const std::string full_key = detail::child_key(dotted_key, e.key);
    const YAML::Node value = present ? detail::child_node(node, e.key) : YAML::Node(YAML::NodeType::Undefined);
    if (value.IsDefined())
      e.read(cfg, value, full_key, out);
    else if (e.required)
      detail::throw_missing_required(cfg, dotted_key, e.key, name_, e.type, e.help);
    else if (e.nested_help)
      e.read(cfg, value, full_key, out);  // a section absent from the config: its defaults, required keys and checks
  }
  const std::string prefix = dotted_key.empty() ? "" : dotted_key + ".";
  for (const auto& rule : checks_) rule(out, cfg, prefix);
}

template <class T>
std::string Schema<T>::help(int indent) const {
  const T defaults{};
  size_t width = 0;
  for (const auto& e : entries_) width = std::max(width, e.key.size());
  std::string out;
  for (const auto& e : entries_) {
    if (e.nested_help) {
      out += detail::help_line(indent, e.key, width, "(section)", e.help);
      out += e.nested_help(indent + 2);
    } else {
      const std::string what = "(" + e.type + (e.required ? ", required" : ", default: " + e.show(defaults)) + ")";
      out += detail::help_line(indent, e.key, width, what, e.help);
    }
  }
  return out;
}

template <class T>
YAML::Node Schema<T>::defaults(const T& values) const {
  YAML::Node out(YAML::NodeType::Map);
  for (const auto& e : entries_) {
    if (e.required) continue;
    // format_value writes type-faithful YAML (strings quoted when needed), so reading it back gives typed nodes.
    out[e.key] = e.nested_defaults ? e.nested_defaults(values) : YAML::Load(e.show(values));
  }
  return out;
}

template <class T>
std::vector<std::string> Schema<T>::keys() const {
  std::vector<std::string> out;
  for (const auto& e : entries_) out.push_back(e.key);
  return out;
}

}  // namespace bmfm::config

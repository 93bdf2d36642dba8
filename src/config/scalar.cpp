#include "bmfm/config/scalar.h"

#include <regex>

namespace bmfm::config {

namespace {

// Tag prefix yaml-cpp leaves for `!!int`, `!!str`, ...
constexpr const char* kCoreTag = "tag:yaml.org,2002:";

bool is_null_text(const std::string& t) { return t.empty() || t == "~" || t == "null" || t == "Null" || t == "NULL"; }

bool is_bool_text(const std::string& t) {
  return t == "true" || t == "True" || t == "TRUE" || t == "false" || t == "False" || t == "FALSE";
}

}  // namespace

ScalarType plain_scalar_type(const std::string& text) {
  // The YAML 1.2 core schema (yaml.org/spec/1.2.2, 10.3.2).
  static const std::regex int_re("[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+");
  static const std::regex float_re(
      "[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)");
  if (is_null_text(text)) return ScalarType::Null;
  if (is_bool_text(text)) return ScalarType::Bool;
  if (std::regex_match(text, int_re)) return ScalarType::Int;
  if (std::regex_match(text, float_re)) return ScalarType::Float;
  return ScalarType::String;
}

ScalarType scalar_type(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return ScalarType::Null;
  const std::string& tag = node.Tag();
  if (tag == "!") return ScalarType::String;
  if (tag.empty() || tag == "?") return plain_scalar_type(node.Scalar());
  const std::string core = kCoreTag;
  if (tag.compare(0, core.size(), core) == 0) {
    const std::string name = tag.substr(core.size());
    if (name == "null") return ScalarType::Null;
    if (name == "bool") return ScalarType::Bool;
    if (name == "int") return ScalarType::Int;
    if (name == "float") return ScalarType::Float;
  }
  // `!!str` and any application tag: the text is taken as it is.
  return ScalarType::String;
}

const char* scalar_type_name(ScalarType type) {
  switch (type) {
    case ScalarType::Null:
      return "null";
    case ScalarType::Bool:
      return "bool";
    case ScalarType::Int:
      return "int";
    case ScalarType::Float:
      return "float";
    case ScalarType::String:
      return "string";
  }
  return "?";
}

bool needs_quotes(const std::string& text) {
  static const std::regex yaml11_special("yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|[-+.]?[0-9].*|<<|=");
  return plain_scalar_type(text) != ScalarType::String || std::regex_match(text, yaml11_special);
}

YAML::Node string_node(const std::string& text) {
  YAML::Node node(text);
  node.SetTag("!");
  return node;
}

YAML::Node plain_node(const std::string& text) {
  if (is_null_text(text)) return YAML::Node(YAML::NodeType::Null);
  YAML::Node node(text);
  node.SetTag("?");
  return node;
}

std::string describe(const YAML::Node& node) {
  if (!node.IsDefined()) return "nothing";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  if (node.IsNull()) return "null";
  return "'" + node.Scalar() + "'";
}

}  // namespace bmfm::config

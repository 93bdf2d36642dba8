// YAML 1.2 core-schema typing of yaml-cpp scalars.
//
// yaml-cpp keeps every scalar as text. The type a reader sees depends on the
// tag the parser left ("!" for a quoted scalar, "?" for a plain one, or an
// explicit `!!str`...) and, for a plain scalar, on its text: `1` is an int,
// `'1'` a string, `yes` a string (YAML 1.2 has only true/false as booleans,
// unlike YAML 1.1 and PyYAML).
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

namespace bmfm::config {

enum class ScalarType { Null, Bool, Int, Float, String };

// Type of a plain (unquoted, untagged) scalar with this text.
ScalarType plain_scalar_type(const std::string& text);
// Type of a Null or Scalar node (the tag decides first, then the text).
ScalarType scalar_type(const YAML::Node& node);
const char* scalar_type_name(ScalarType type);  // "null", "bool", "int", "float", "string"

// A scalar that is a string whatever its text (emitted quoted when needed).
YAML::Node string_node(const std::string& text);
// A scalar typed by its text, as if written unquoted in a YAML file.
YAML::Node plain_node(const std::string& text);

// True when a string with this text must be quoted to read back as a string,
// for YAML 1.2 readers and YAML 1.1 ones (PyYAML reads `yes` as a bool, `1_000` as an int).
bool needs_quotes(const std::string& text);

// How a value reads in an error message: 'abc', null, a mapping, a list.
std::string describe(const YAML::Node& node);

}  // namespace bmfm::config

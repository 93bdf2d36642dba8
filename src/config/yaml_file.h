// Reading one config file: YAML syntax errors with file:line:column,
// duplicate keys rejected, and the `# @package` header. Internal.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

namespace bmfm::config::detail {

struct YamlFile {
  std::string path;
  YAML::Node root;      // always a mapping (an empty file reads as {})
  std::string package;  // from a leading `# @package X` comment; "" when absent
};

// Throws ConfigError naming the file (and line) for unreadable files, syntax
// errors, duplicate keys and top-level values that are not mappings.
YamlFile load_yaml_file(const std::string& path);

}  // namespace bmfm::config::detail

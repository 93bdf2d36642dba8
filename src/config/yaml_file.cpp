#include "yaml_file.h"

#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "bmfm/config/error.h"
#include "bmfm/config/scalar.h"

namespace bmfm::config::detail {

namespace {

// yaml-cpp keeps both of two equal keys and a lookup sees only the first:
// a config that says a value twice is a mistake worth naming.
void check_duplicate_keys(const YAML::Node& node, const std::string& path) {
  if (node.IsMap()) {
    std::map<std::string, int> first_line;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const int line = it->first.Mark().line + 1;
      if (it->first.IsScalar()) {
        auto [pos, inserted] = first_line.emplace(it->first.Scalar(), line);
        if (!inserted)
          throw ConfigError(path + ":" + std::to_string(line) + ": duplicate key '" + it->first.Scalar() +
                            "' (first set at line " + std::to_string(pos->second) + "); keep one of them");
      }
      check_duplicate_keys(it->second, path);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) check_duplicate_keys(item, path);
  }
}

// Hydra's package header must come before any YAML content.
std::string package_header(const std::string& text) {
  static const std::regex header_re("#\\s*@package\\s+(\\S+)\\s*");
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos) continue;
    if (line[start] != '#') break;
    std::smatch m;
    const std::string comment = line.substr(start);
    if (std::regex_match(comment, m, header_re)) return m[1];
  }
  return "";
}

}  // namespace

YamlFile load_yaml_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError("cannot read config file '" + path + "': no such file or not readable");
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();

  YamlFile file;
  file.path = path;
  try {
    file.root.reset(YAML::Load(text));
  } catch (const YAML::ParserException& e) {
    throw ConfigError(path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                      ": YAML syntax error: " + e.msg);
  }
  if (!file.root.IsDefined() || file.root.IsNull()) file.root.reset(YAML::Node(YAML::NodeType::Map));
  if (!file.root.IsMap())
    throw ConfigError(path + ": a config file must hold a mapping of keys to values, but it holds " +
                      describe(file.root));
  check_duplicate_keys(file.root, path);
  file.package = package_header(text);
  return file;
}

}  // namespace bmfm::config::detail

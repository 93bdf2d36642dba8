// The ordered list of folders in which config groups are looked up:
// the primary config's folder, --config-dir entries, default_config_dirs().
#pragma once

#include <string>
#include <vector>

namespace bmfm::config::detail {

class SearchPath {
 public:
  // Keeps the first of folders that name the same place; drops folders that do not exist.
  explicit SearchPath(const std::vector<std::string>& dirs);

  const std::vector<std::string>& dirs() const { return dirs_; }
  // <dir>/<relative> in the first folder that has it, or "".
  std::string find(const std::string& relative) const;
  // True when some folder has a sub-folder `group` (e.g. "model", "model/encoder").
  bool has_group(const std::string& group) const;
  // Sorted, distinct names of the <group>/*.yaml files over all folders.
  std::vector<std::string> options(const std::string& group) const;
  // "a, b, c" for error messages ("(none)" when empty).
  std::string dirs_text() const;

 private:
  std::vector<std::string> dirs_;
};

// Joins names with ", ".
std::string join_list(const std::vector<std::string>& names);

}  // namespace bmfm::config::detail

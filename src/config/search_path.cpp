#include "search_path.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "bmfm/config/compose.h"

namespace fs = std::filesystem;

namespace bmfm::config {

std::vector<std::string> default_config_dirs() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("BMFM_CONFIG_DIR"); env && *env) {
    // Several folders may be given, separated by ':' like PATH.
    std::string list = env;
    size_t start = 0;
    while (start <= list.size()) {
      size_t end = list.find(':', start);
      if (end == std::string::npos) end = list.size();
      if (end > start) candidates.push_back(list.substr(start, end - start));
      start = end + 1;
    }
  }
#ifdef BMFM_INSTALL_DATADIR
  candidates.push_back(std::string(BMFM_INSTALL_DATADIR) + "/configs");
#endif
#ifdef BMFM_SOURCE_DIR
  candidates.push_back(std::string(BMFM_SOURCE_DIR) + "/configs");
#endif
  return detail::SearchPath(candidates).dirs();
}

namespace detail {

SearchPath::SearchPath(const std::vector<std::string>& dirs) {
  std::set<fs::path> seen;
  for (const auto& dir : dirs) {
    const std::string d = dir.empty() ? "." : dir;
    std::error_code ec;
    if (!fs::is_directory(d, ec)) continue;
    const fs::path canonical = fs::weakly_canonical(d, ec);
    if (!seen.insert(ec ? fs::path(d) : canonical).second) continue;
    dirs_.push_back(d);
  }
}

std::string SearchPath::find(const std::string& relative) const {
  for (const auto& dir : dirs_) {
    const fs::path p = (fs::path(dir) / relative).lexically_normal();
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return p.string();
  }
  return "";
}

bool SearchPath::has_group(const std::string& group) const {
  for (const auto& dir : dirs_) {
    std::error_code ec;
    if (fs::is_directory(fs::path(dir) / group, ec)) return true;
  }
  return false;
}

std::vector<std::string> SearchPath::options(const std::string& group) const {
  std::set<std::string> names;
  for (const auto& dir : dirs_) {
    std::error_code ec;
    for (fs::directory_iterator it(fs::path(dir) / group, ec), end; !ec && it != end; it.increment(ec))
      if (it->path().extension() == ".yaml" && it->is_regular_file(ec)) names.insert(it->path().stem().string());
  }
  return {names.begin(), names.end()};
}

std::string SearchPath::dirs_text() const { return join_list(dirs_); }

std::string join_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "(none)" : out;
}

}  // namespace detail
}  // namespace bmfm::config

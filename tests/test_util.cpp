#include "test_util.h"

#include <cstdlib>
#include <filesystem>
#include <random>
#include <vector>

namespace fs = std::filesystem;

namespace bmfm::test {

std::string data_dir() {
  if (const char* env = std::getenv("BMFM_DATA_DIR"); env && *env) return env;
  return (fs::path(BMFM_TEST_SOURCE_DIR) / ".." / "shared" / "data").lexically_normal().string();
}

std::string data_path(const std::string& name) { return (fs::path(data_dir()) / name).string(); }

bool has_data(const std::string& name) { return fs::exists(data_path(name)); }

namespace {
struct TempDirs {
  std::vector<fs::path> dirs;
  ~TempDirs() {
    std::error_code ec;
    for (auto& d : dirs) fs::remove_all(d, ec);
  }
};
TempDirs& temp_dirs() {
  static TempDirs t;
  return t;
}
}  // namespace

std::string temp_dir(const std::string& tag) {
  std::random_device rd;
  fs::path p = fs::temp_directory_path() / ("bmfm_test_" + tag + "_" + std::to_string(rd()));
  fs::create_directories(p);
  temp_dirs().dirs.push_back(p);
  return p.string();
}

std::string python3_with(const std::string& module) {
  const std::string py = "/usr/bin/python3";
  if (!fs::exists(py)) return "";
  std::string cmd = py + " -c 'import " + module + "' >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0 ? py : "";
}

}  // namespace bmfm::test

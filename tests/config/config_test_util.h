// Helpers for the config tests: YAML fixtures written into a temp folder,
// and catching a ConfigError's message.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bmfm/config/compose.h"
#include "bmfm/config/error.h"
#include "test_util.h"

namespace bmfm::test {

// Writes `text` to <dir>/<relative> (creating folders) and returns the path.
inline std::string write_file(const std::string& dir, const std::string& relative, const std::string& text) {
  const std::filesystem::path path = std::filesystem::path(dir) / relative;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
  return path.string();
}

inline config::Config compose_file(const std::string& file, const std::vector<std::string>& overrides = {},
                                   const std::vector<std::string>& config_dirs = {}) {
  config::ComposeRequest req;
  req.config_file = file;
  req.overrides = overrides;
  req.config_dirs = config_dirs;
  return config::compose(req);
}

// The scalar text at a dotted key ("" when absent or not a scalar).
inline std::string text_at(const config::Config& cfg, const std::string& key) {
  const YAML::Node node = cfg.find(key);
  return node.IsScalar() ? node.Scalar() : "";
}

}  // namespace bmfm::test

// EXPECT that `haystack` contains `needle`, printing both otherwise.
#define EXPECT_CONTAINS(haystack, needle)                          \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) \
      << "  message: " << (haystack) << "\n  expected to contain: " << (needle)

// Helpers shared by the GoogleTest suites: where the real data lives, temp dirs.
#pragma once

#include <string>

#include <gtest/gtest.h>

namespace bmfm::test {

// $BMFM_DATA_DIR, else <source>/../shared/data.
std::string data_dir();
// Full path of a file in the shared data folder; calls GTEST_SKIP-able check via has_data().
std::string data_path(const std::string& name);
bool has_data(const std::string& name);
// A fresh empty directory under the system temp dir, removed at process exit.
std::string temp_dir(const std::string& tag);
// Debian's python3 with h5py/anndata (for round-trip tests), or "" if absent.
std::string python3_with(const std::string& module);

// The message of the exception of type E that `f` throws; records a test
// failure (and returns "") when it throws nothing.
template <class E = std::exception, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an exception";
  return "";
}

}  // namespace bmfm::test

// Skips the current test with a message when a shared data file is absent.
#define BMFM_REQUIRE_DATA(name)                                                   \
  do {                                                                            \
    if (!::bmfm::test::has_data(name)) {                                          \
      GTEST_SKIP() << "shared data file " << ::bmfm::test::data_path(name)        \
                   << " not found (set BMFM_DATA_DIR)";                           \
    }                                                                             \
  } while (0)

// Error types shared by every area. The CLI maps them to exit codes:
// ConfigError (bad config, bad usage) -> 2, anything else -> 1.
#pragma once

#include <stdexcept>
#include <string>

namespace bmfm {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace bmfm

// Config and Source: the composed tree and where each of its values came from.
#include "bmfm/config/compose.h"

#include <utility>

#include "tree.h"

namespace bmfm::config {

std::string Source::str() const { return line > 0 ? file + ":" + std::to_string(line) : file; }

Config::Config(YAML::Node root, std::map<std::string, Source> sources)
    : root_(std::move(root)), sources_(std::move(sources)) {}

Config& Config::operator=(const Config& other) {
  root_.reset(other.root_);
  sources_ = other.sources_;
  return *this;
}

YAML::Node Config::find(const std::string& dotted_key) const { return detail::find(root_, dotted_key); }

Source Config::source(const std::string& dotted_key) const { return detail::source_of(sources_, dotted_key); }

}  // namespace bmfm::config

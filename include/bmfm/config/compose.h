// Hydra-style config composition.
//
//   primary file -> its `defaults:` list (group/option files, nested, `_self_`)
//   -> command-line overrides (a.b=1, group=option, +new.key=v, ~key)
//   -> interpolation (${a.b}, ${oc.env:VAR,default})
//
// The result is one YAML tree plus a map from every dotted key to where its
// value came from (file and line, or "<command line>"), so that schema errors
// can name their origin.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <vector>

#include "bmfm/config/error.h"

namespace bmfm::config {

struct Source {
  std::string file;         // path of the YAML file, or "<command line>", or "<defaults>"
  int line = 0;             // 1-based; 0 when unknown
  std::string str() const;  // "file:line" or "file"
};

struct ComposeRequest {
  std::string config_file;               // primary config; may be empty (start from {})
  std::vector<std::string> config_dirs;  // --config-dir entries, searched first
  std::vector<std::string> overrides;    // positional key=value arguments, in order
  // Optional mapping every config starts from, below the primary config and
  // its defaults list: typically the schema's defaults (Schema::defaults()),
  // so that `key=value` can set any schema key and the resolved config lists
  // every value the run used. Its source is "<defaults>".
  YAML::Node base;
};

class Config {
 public:
  Config() = default;
  Config(YAML::Node root, std::map<std::string, Source> sources);
  // Copies share the (read-only) tree. Assignment re-points the tree rather
  // than using YAML::Node's operator=, which would overwrite the old tree in
  // place, under every other Config that shares it.
  Config(const Config&) = default;
  Config& operator=(const Config& other);

  const YAML::Node& root() const { return root_; }
  // The value at a dotted key ("a.b", "a.list[0]"; "" = root), or an
  // undefined node (IsDefined() == false) when there is none.
  YAML::Node find(const std::string& dotted_key) const;
  // Where the value at a dotted key came from; walks up to the closest known
  // parent, and says "<defaults>" when nothing in the config set it.
  Source source(const std::string& dotted_key) const;
  const std::map<std::string, Source>& sources() const { return sources_; }
  // The resolved config as YAML text (what `--cfg job` prints and config.yaml holds).
  std::string to_yaml() const;

 private:
  YAML::Node root_;
  std::map<std::string, Source> sources_;
};

// Throws ConfigError naming the file / override at fault.
Config compose(const ComposeRequest& request);

// Directories searched for config groups after --config-dir and the primary
// config's own folder: $BMFM_CONFIG_DIR, then the installed share/bmfm/configs,
// then the source tree's configs/.
std::vector<std::string> default_config_dirs();

}  // namespace bmfm::config

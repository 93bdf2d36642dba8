// Hydra defaults lists: the primary config names config-group options
// (`- model: bert_small`), other configs (`- other_file`) and its own
// place (`- _self_`); each loaded option may have a defaults list of its own.
// Composition walks that tree depth first and merges every config at its
// package, in list order, so later entries override earlier ones. Internal.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

#include "overrides.h"
#include "search_path.h"
#include "tree.h"

namespace bmfm::config::detail {

// A command-line override that may change the defaults list:
// `group=option`, `+group=option`, `++group=option`, `~group`, `~group=option`.
struct GroupOverride {
  Override::Op op = Override::Op::Set;
  std::string group;                  // "model", "model/encoder"
  std::optional<std::string> option;  // nullopt: `group=null` (choose nothing) or `~group`
  std::string text;                   // as given, for messages
  bool used = false;                  // set once it matched (or was appended to) the defaults list
};

// Composes `primary` ("" = start from an empty config) and its defaults tree
// into `root` (a mapping) and `sources`. Group overrides that name a group of
// the tree replace (or drop) its option; `+group=option` and `++group=option`
// without a match are appended to the primary list when `group` exists in the
// search path. Unmatched ones are left with used == false.
void compose_defaults(const std::string& primary, const SearchPath& search_path, std::vector<GroupOverride>& overrides,
                      YAML::Node root, Sources& sources);

}  // namespace bmfm::config::detail

// OmegaConf-style interpolation over a composed tree:
//   ${a.b}                  the value at a.b; as a whole value it keeps its type
//                           (an int stays an int, a mapping is copied)
//   run_${seed}             inside a string: concatenated, the result is a string
//   ${oc.env:VAR}           an environment variable; unset -> error
//   ${oc.env:VAR,default}   ... with a default (which may itself interpolate)
//   \${not.this}            stays the literal text ${not.this}
// Environment values are typed like plain YAML scalars (`8` is an int).
// Internal.
#pragma once

#include <yaml-cpp/yaml.h>

#include "tree.h"

namespace bmfm::config::detail {

// Returns the resolved tree (the input is left as it is). Values copied by a
// whole-value reference keep their own sources. Throws ConfigError naming
// the interpolation, the key that holds it and its source, for missing keys,
// unset variables, cycles (with the chain a -> b -> a) and syntax errors.
YAML::Node resolve_interpolations(const YAML::Node& root, Sources& sources);

}  // namespace bmfm::config::detail

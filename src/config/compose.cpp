// compose(): primary config + defaults tree -> key overrides -> interpolation.
#include "bmfm/config/compose.h"

#include <filesystem>

#include "bmfm/config/error.h"
#include "defaults_list.h"
#include "interpolation.h"
#include "overrides.h"
#include "search_path.h"
#include "tree.h"

namespace fs = std::filesystem;

namespace bmfm::config {

Config compose(const ComposeRequest& request) {
  const std::string& primary = request.config_file;
  std::error_code ec;
  if (!primary.empty() && !fs::is_regular_file(primary, ec))
    throw ConfigError("config file '" + primary + "' not found (give an existing YAML file to --config)");

  std::vector<std::string> dirs;
  if (!primary.empty()) dirs.push_back(fs::path(primary).parent_path().string());
  dirs.insert(dirs.end(), request.config_dirs.begin(), request.config_dirs.end());
  for (const auto& d : default_config_dirs()) dirs.push_back(d);
  const detail::SearchPath search_path(dirs);

  // Overrides that may name a config group are offered to the defaults list
  // first, as in Hydra; the rest (and those no group took) edit keys.
  std::vector<detail::Override> overrides;
  std::vector<detail::GroupOverride> group_overrides;
  std::vector<int> group_index;
  for (const auto& text : request.overrides) {
    overrides.push_back(detail::parse_override(text));
    const auto& ov = overrides.back();
    group_index.push_back(-1);
    if (!detail::may_name_group(ov)) continue;
    detail::GroupOverride g;
    g.op = ov.op;
    g.group = ov.key;
    if (ov.has_value && !ov.value.IsNull()) g.option = ov.value.Scalar();
    g.text = text;
    group_index.back() = static_cast<int>(group_overrides.size());
    group_overrides.push_back(g);
  }

  YAML::Node root(YAML::NodeType::Map);
  detail::Sources sources;
  if (request.base.IsMap()) detail::merge(root, request.base, "", detail::Origin{"<defaults>", false}, sources);
  detail::compose_defaults(primary, search_path, group_overrides, root, sources);

  for (size_t i = 0; i < overrides.size(); ++i) {
    const auto& ov = overrides[i];
    if (group_index[i] >= 0) {
      const auto& g = group_overrides[static_cast<size_t>(group_index[i])];
      if (g.used) continue;
      // `group=option` for a group the defaults list does not have: like
      // Hydra, refuse rather than guess between adding the group and
      // replacing a mapping with a string.
      const YAML::Node current = detail::find(root, ov.key);
      if (ov.op == detail::Override::Op::Set && search_path.has_group(ov.key) &&
          (!current.IsDefined() || current.IsMap()))
        throw ConfigError("Could not override '" + ov.key + "': config group '" + ov.key +
                          "' is not in the defaults list" +
                          (primary.empty() ? std::string(" (no config file given)") : " of " + primary) +
                          ". To add it use +" + ov.text);
    }
    detail::apply_override(ov, root, sources, primary);
  }

  YAML::Node resolved = detail::resolve_interpolations(root, sources);
  return Config(resolved, std::move(sources));
}

}  // namespace bmfm::config

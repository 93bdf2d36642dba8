#include "defaults_list.h"

#include <filesystem>

#include "bmfm/config/error.h"
#include "bmfm/config/scalar.h"
#include "bmfm/config/schema.h"
#include "yaml_file.h"

namespace fs = std::filesystem;

namespace bmfm::config::detail {

namespace {

const char* const kCommandLine = "<command line>";

struct Entry {
  enum class Kind { Self, Group, Config };
  Kind kind = Kind::Self;
  std::string group;                  // Group: the full group path; Config: the group the file is in
  std::string relative;               // Config: path below a search folder, without ".yaml"
  std::string sibling;                // Config: the name as written, looked up next to its container first
  std::optional<std::string> option;  // Group: nullopt = null, nothing chosen
  std::string package;                // dotted; "" = the root
  bool optional = false;              // `- optional group: option`: a missing option is no error
  Source where;                       // where the entry was written
  std::string chosen_by;              // Group: the override that chose the option, if any
};

std::string join_group(const std::string& parent, const std::string& child) {
  if (parent.empty()) return child;
  if (child.empty()) return parent;
  return parent + "/" + child;
}

std::string group_to_package(std::string group) {
  for (auto& c : group)
    if (c == '/') c = '.';
  return group;
}

std::string join_package(const std::string& parent, const std::string& child) {
  if (parent.empty()) return child;
  if (child.empty()) return parent;
  return parent + "." + child;
}

std::string dirname_of(const std::string& name) {
  const size_t slash = name.rfind('/');
  return slash == std::string::npos ? "" : name.substr(0, slash);
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// `_global_` is the root, `_global_.a.b` an absolute package; anything else is
// relative to `parent`.
std::string resolve_package(const std::string& package, const std::string& parent) {
  if (package == "_global_") return "";
  if (starts_with(package, "_global_.")) return package.substr(9);
  if (package == "_here_") return parent;
  return join_package(parent, package);
}

const char* const kEntryForms =
    "entries are `- group: option`, `- optional group: option`, `- group@package: option`, "
    "`- other_config` or `- _self_`";

class Composer {
 public:
  Composer(const SearchPath& search_path, std::vector<GroupOverride>& overrides, YAML::Node root, Sources& sources)
      : search_path_(search_path), overrides_(overrides), root_(root), sources_(sources) {}

  void compose_primary(const std::string& primary) {
    YamlFile file;
    if (primary.empty())
      file.root.reset(YAML::Node(YAML::NodeType::Map));
    else
      file = load_yaml_file(primary);
    // The primary config is always at the root: its package header is ignored, as in Hydra.
    compose_config(file, "", "", Source{primary, 0}, /*primary=*/true);
  }

 private:
  std::vector<Entry> parse_defaults(const YamlFile& file, const std::string& group, const std::string& package) const {
    std::vector<Entry> entries;
    const YAML::Node list = child(file.root, "defaults");
    const Origin origin{file.path};
    if (!list.IsDefined() || list.IsNull()) return entries;
    if (!list.IsSequence())
      throw ConfigError(origin.at(list).str() + ": 'defaults' must be a list (" + kEntryForms + "), got " +
                        describe(list));
    for (const auto& item : list) {
      Entry e;
      e.where = origin.at(item);
      if (item.IsScalar() && item.Scalar() == "_self_") {
        e.kind = Entry::Kind::Self;
      } else if (item.IsScalar()) {
        e.kind = Entry::Kind::Config;
        std::string name = item.Scalar();
        const bool absolute = starts_with(name, "/");
        if (absolute) name = name.substr(1);
        if (name.empty() || name.find("${") != std::string::npos)
          throw ConfigError(e.where.str() + ": invalid defaults entry '" + item.Scalar() + "' (" + kEntryForms + ")");
        e.sibling = absolute ? "" : name;
        e.relative = absolute ? name : join_group(group, name);
        e.group = dirname_of(e.relative);
        e.package = join_package(package, group_to_package(dirname_of(name)));
      } else if (item.IsMap() && item.size() == 1) {
        e.kind = Entry::Kind::Group;
        parse_group_entry(item.begin()->first, item.begin()->second, group, package, e);
      } else {
        throw ConfigError(e.where.str() + ": invalid defaults entry " + describe(item) + " (" + kEntryForms + ")");
      }
      if (e.kind == Entry::Kind::Self)
        for (const auto& other : entries)
          if (other.kind == Entry::Kind::Self)
            throw ConfigError(e.where.str() + ": '_self_' appears twice in the defaults list (first at " +
                              other.where.str() + ")");
      entries.push_back(e);
    }
    return entries;
  }

  static void parse_group_entry(const YAML::Node& key_node, const YAML::Node& value, const std::string& group,
                                const std::string& package, Entry& e) {
    std::string key = key_node.Scalar();
    if (starts_with(key, "override "))
      throw ConfigError(e.where.str() +
                        ": 'override' entries in a defaults list are not supported; choose the "
                        "option on the command line instead (" +
                        key.substr(9) + "=OPTION)");
    if (starts_with(key, "optional ")) {
      e.optional = true;
      key = key.substr(9);
    }
    std::string package_override;
    const size_t at = key.find('@');
    if (at != std::string::npos) {
      package_override = key.substr(at + 1);
      key = key.substr(0, at);
    }
    const bool absolute = starts_with(key, "/");
    if (absolute) key = key.substr(1);
    if (key.empty()) throw ConfigError(e.where.str() + ": defaults entry without a group name (" + kEntryForms + ")");
    e.group = absolute ? key : join_group(group, key);
    e.package = at != std::string::npos ? resolve_package(package_override, package)
                                        : join_package(package, group_to_package(key));
    if (value.IsNull()) return;  // `- group: null` chooses nothing (an override may choose later)
    if (value.IsSequence())
      throw ConfigError(e.where.str() + ": group '" + e.group +
                        "' lists several options; choosing more than one option of a group is not supported");
    if (!value.IsScalar() || value.Scalar().empty() || value.Scalar().find("${") != std::string::npos)
      throw ConfigError(e.where.str() + ": the option of group '" + e.group + "' must be a plain name, got " +
                        describe(value));
    e.option = value.Scalar();
  }

  void compose_config(const YamlFile& file, const std::string& group, const std::string& package, const Source& where,
                      bool primary) {
    if (!file.path.empty()) {
      std::error_code ec;
      const std::string canonical = fs::weakly_canonical(file.path, ec).string();
      for (size_t i = 0; i < stack_.size(); ++i) {
        if (stack_[i].first != canonical) continue;
        std::string chain;
        for (size_t j = i; j < stack_.size(); ++j) chain += stack_[j].second + " -> ";
        throw ConfigError("defaults lists include each other in a cycle: " + chain + file.path);
      }
      stack_.emplace_back(canonical, file.path);
    }

    std::vector<Entry> entries = parse_defaults(file, group, package);
    bool has_self = false;
    for (const auto& e : entries) has_self = has_self || e.kind == Entry::Kind::Self;
    if (!has_self) entries.push_back(Entry{});  // Hydra 1.1+: the file's own keys come last

    for (const auto& e : entries) {
      switch (e.kind) {
        case Entry::Kind::Self:
          merge_self(file, package, where);
          break;
        case Entry::Kind::Group:
          compose_group(e, /*apply_overrides=*/true);
          break;
        case Entry::Kind::Config:
          compose_other(e, file);
          break;
      }
    }
    if (primary) append_added_groups();
    if (!file.path.empty()) stack_.pop_back();
  }

  // `+group=option` / `++group=option` for groups the tree does not have:
  // appended to the primary list, after its _self_, as Hydra does.
  void append_added_groups() {
    for (auto& ov : overrides_) {
      if (ov.used || (ov.op != Override::Op::Add && ov.op != Override::Op::ForceAdd)) continue;
      if (!search_path_.has_group(ov.group)) continue;
      ov.used = true;
      Entry e;
      e.kind = Entry::Kind::Group;
      e.group = ov.group;
      e.option = ov.option;
      e.package = group_to_package(ov.group);
      e.where = Source{kCommandLine, 0};
      e.chosen_by = ov.text;
      compose_group(e, /*apply_overrides=*/false);
    }
  }

  void compose_group(Entry e, bool apply_overrides) {
    bool deleted = false;
    for (auto& ov : overrides_) {
      if (!apply_overrides || ov.group != e.group) continue;
      if (ov.op == Override::Op::Add)
        throw ConfigError("Could not add '" + ov.text + "': group '" + e.group +
                          "' is already in the defaults list (at " + e.where.str() + ", option '" +
                          e.option.value_or("null") + "'). To choose another option use " + e.group + "=" +
                          ov.option.value_or("null"));
      if (ov.op == Override::Op::Delete) {
        if (ov.option && *ov.option != e.option.value_or("null"))
          throw ConfigError("Could not delete '" + ov.text + "': the defaults list (at " + e.where.str() +
                            ") chooses option '" + e.option.value_or("null") + "' for group '" + e.group + "', not '" +
                            *ov.option + "'. Use ~" + e.group + " to drop it whatever the option");
        deleted = true;
      } else {
        e.option = ov.option;
        e.chosen_by = ov.text;
        deleted = false;
      }
      ov.used = true;
    }
    if (deleted || !e.option) return;

    const std::string relative = e.group + "/" + *e.option + ".yaml";
    const std::string path = search_path_.find(relative);
    if (path.empty()) {
      if (e.optional) return;
      throw_missing_option(e, relative);
    }
    const YamlFile file = load_yaml_file(path);
    const Source where = e.chosen_by.empty() ? e.where : Source{kCommandLine, 0};
    compose_config(file, e.group, package_of(file, e.group, e.package), where, false);
  }

  [[noreturn]] void throw_missing_option(const Entry& e, const std::string& relative) const {
    const std::string why = e.chosen_by.empty() ? "listed in the defaults list at " + e.where.str()
                                                : "chosen by '" + e.chosen_by + "' on the command line";
    std::string msg = "Could not load option '" + *e.option + "' of config group '" + e.group + "' (" + why + "): no " +
                      relative + " in the config search path.";
    const std::vector<std::string> options = search_path_.options(e.group);
    if (options.empty()) {
      msg += " There is no config group '" + e.group + "' in any searched folder.";
    } else {
      const std::string close = did_you_mean(*e.option, options);
      if (!close.empty()) msg += " Did you mean '" + close + "'?";
      msg += " Available options in group '" + e.group + "': " + join_list(options) + ".";
    }
    throw ConfigError(msg + " Folders searched: " + search_path_.dirs_text() + " (add one with --config-dir).");
  }

  void compose_other(const Entry& e, const YamlFile& container) {
    std::string path;
    if (!e.sibling.empty() && !container.path.empty()) {
      const fs::path next_to = (fs::path(container.path).parent_path() / (e.sibling + ".yaml")).lexically_normal();
      std::error_code ec;
      if (fs::is_regular_file(next_to, ec)) path = next_to.string();
    }
    if (path.empty()) path = search_path_.find(e.relative + ".yaml");
    if (path.empty())
      throw ConfigError(
          "Could not load config '" + (e.sibling.empty() ? "/" + e.relative : e.sibling) +
          "' listed in the defaults list at " + e.where.str() + ": no " + e.relative +
          ".yaml next to that file or in the config search path. Folders searched: " + search_path_.dirs_text() + ".");
    const YamlFile file = load_yaml_file(path);
    compose_config(file, e.group, package_of(file, e.group, e.package), e.where, false);
  }

  // A `# @package` header places the file: `_global_` at the root,
  // `_group_` at its group path, anything else at that absolute package.
  static std::string package_of(const YamlFile& file, const std::string& group, const std::string& fallback) {
    const std::string& header = file.package;
    if (header.empty()) return fallback;
    if (header == "_group_") return group_to_package(group);
    const std::string package = resolve_package(header, "");
    try {
      split_key(package);
    } catch (const ConfigError& e) {
      throw ConfigError(file.path + ":1: invalid '# @package " + header + "' header: " + e.what());
    }
    return package;
  }

  void merge_self(const YamlFile& file, const std::string& package, const Source& where) {
    YAML::Node target = ensure_mapping(root_, package, where, sources_);
    merge(target, file.root, package, Origin{file.path}, sources_, {"defaults"});
  }

  const SearchPath& search_path_;
  std::vector<GroupOverride>& overrides_;
  YAML::Node root_;
  Sources& sources_;
  std::vector<std::pair<std::string, std::string>> stack_;  // (canonical path, path as named) being composed
};

}  // namespace

void compose_defaults(const std::string& primary, const SearchPath& search_path, std::vector<GroupOverride>& overrides,
                      YAML::Node root, Sources& sources) {
  Composer(search_path, overrides, root, sources).compose_primary(primary);
}

}  // namespace bmfm::config::detail

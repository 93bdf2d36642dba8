#include "overrides.h"

#include <regex>

#include "bmfm/config/error.h"
#include "bmfm/config/scalar.h"

namespace bmfm::config::detail {

namespace {

const char* const kCommandLine = "<command line>";

YAML::Node parse_value(const std::string& text, const std::string& override_text) {
  // Hydra reads `key=` as the empty string, not as null.
  if (text.empty()) return string_node("");
  try {
    const YAML::Node value = YAML::Load(text);
    // `color=#fff` reads as an empty document (a comment): keep the text.
    if (value.IsNull() && plain_scalar_type(text) != ScalarType::Null) return string_node(text);
    return value;
  } catch (const YAML::Exception& e) {
    throw ConfigError("override '" + override_text + "': value '" + text + "' is not valid YAML (" + e.msg +
                      "); quote it to pass a string, e.g. key='" + text + "'");
  }
}

// "an int (0)", "a list": what a value is, for "... is an int, not a mapping".
std::string kind_of(const YAML::Node& node) {
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  const ScalarType type = scalar_type(node);
  if (type == ScalarType::Null) return "null";
  return std::string(type == ScalarType::Int ? "an " : "a ") + scalar_type_name(type) + " (" + describe(node) + ")";
}

// The mapping or list that holds the last segment. With `create`, missing
// mappings on the way are added (for `+a.b.c=1`).
YAML::Node parent_of(YAML::Node root, const std::vector<std::string>& segments, bool create, const Override& ov,
                     Sources& sources) {
  YAML::Node cur = root;
  std::string key;
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    const std::string& segment = segments[i];
    key = join_key(key, segment);
    YAML::Node next = child(cur, segment);
    if (!next.IsDefined()) {
      if (!create || segment[0] == '[' || !cur.IsMap()) return next;
      cur[segment] = YAML::Node(YAML::NodeType::Map);
      sources[key] = Source{kCommandLine, 0};
      next.reset(child(cur, segment));
    } else if (!next.IsMap() && !next.IsSequence()) {
      throw ConfigError("Could not apply '" + ov.text + "': '" + key + "' (from " + source_of(sources, key).str() +
                        ") is " + kind_of(next) + ", not a mapping; set '" + key + "' itself instead");
    }
    cur.reset(next);
  }
  return cur;
}

bool same_value(const YAML::Node& a, const YAML::Node& b) {
  if (a.IsMap() || b.IsMap()) {
    if (!a.IsMap() || !b.IsMap() || a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it)
      if (!same_value(it->second, child(b, it->first.Scalar()))) return false;
    return true;
  }
  if (a.IsSequence() || b.IsSequence()) {
    if (!a.IsSequence() || !b.IsSequence() || a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (!same_value(a[i], b[i])) return false;
    return true;
  }
  const ScalarType ta = scalar_type(a), tb = scalar_type(b);
  return ta == tb && (ta == ScalarType::Null || a.Scalar() == b.Scalar());
}

void store(YAML::Node parent, const std::string& last, const std::string& key, const YAML::Node& value,
           Sources& sources) {
  const Origin origin{kCommandLine, false};
  YAML::Node existing = child(parent, last);
  if (existing.IsMap() && value.IsMap()) {  // like Hydra: a mapping value merges into a mapping
    sources[key] = Source{kCommandLine, 0};
    merge(existing, value, key, origin, sources);
    return;
  }
  erase_sources(key, sources);
  record_sources(value, key, Source{kCommandLine, 0}, origin, sources);
  if (parent.IsSequence())
    parent[std::stoul(last.substr(1, last.size() - 2))] = YAML::Clone(value);
  else
    assign(parent, last, value);
}

}  // namespace

Override parse_override(const std::string& text) {
  Override ov;
  ov.text = text;
  std::string rest = text;
  if (rest.rfind("~", 0) == 0) {
    ov.op = Override::Op::Delete;
    rest = rest.substr(1);
  } else if (rest.rfind("++", 0) == 0) {
    ov.op = Override::Op::ForceAdd;
    rest = rest.substr(2);
  } else if (rest.rfind("+", 0) == 0) {
    ov.op = Override::Op::Add;
    rest = rest.substr(1);
  }
  const size_t eq = rest.find('=');
  ov.key = rest.substr(0, eq);
  if (eq == std::string::npos && ov.op != Override::Op::Delete)
    throw ConfigError("override '" + text + "': expected key=value (or ~key to delete a key)");
  static const std::regex key_re("[A-Za-z0-9_\\-./@\\[\\]]+");
  if (!std::regex_match(ov.key, key_re))
    throw ConfigError("override '" + text + "': invalid key '" + ov.key +
                      "' (keys are names joined by '.', e.g. trainer.max_steps=100)");
  if (eq != std::string::npos) {
    ov.has_value = true;
    ov.value_text = rest.substr(eq + 1);
    ov.value = parse_value(ov.value_text, text);
  }
  return ov;
}

bool may_name_group(const Override& ov) {
  if (ov.key.find_first_of(".[@") != std::string::npos) return false;
  if (!ov.has_value) return ov.op == Override::Op::Delete;
  if (ov.value.IsNull()) return true;
  static const std::regex option_re("[A-Za-z0-9_\\-.]+");
  return ov.value.IsScalar() && std::regex_match(ov.value.Scalar(), option_re);
}

void apply_override(const Override& ov, YAML::Node root, Sources& sources, const std::string& config_file) {
  const std::vector<std::string> segments = split_key(ov.key);
  if (ov.key.find('/') != std::string::npos)
    throw ConfigError("Could not apply '" + ov.text + "': '" + ov.key +
                      "' is not a config group of the defaults list, and '/' cannot appear in a key");
  const std::string& last = segments.back();
  const bool create = ov.op == Override::Op::Add || ov.op == Override::Op::ForceAdd;
  YAML::Node parent = parent_of(root, segments, create, ov, sources);
  YAML::Node existing = parent.IsDefined() ? child(parent, last) : parent;
  const std::string in_config = config_file.empty() ? "no config file given" : "file " + config_file;
  const std::string value_text = ov.has_value ? ov.value_text : "VALUE";

  auto missing = [&](const std::string& what, const std::string& hint) {
    std::string msg = "Could not " + what + " '" + ov.key + "': key not in config (" + in_config + ").";
    const std::string close = closest_key(root, ov.key);
    if (!close.empty()) msg += " Did you mean '" + close + "'?";
    throw ConfigError(msg + hint);
  };

  switch (ov.op) {
    case Override::Op::Set:
      if (!existing.IsDefined()) missing("override", " To add it use +" + ov.key + "=" + value_text);
      store(parent, last, ov.key, ov.value, sources);
      return;
    case Override::Op::Add:
      if (existing.IsDefined())
        throw ConfigError("Could not add '" + ov.text + "': '" + ov.key + "' is already in the config (from " +
                          source_of(sources, ov.key).str() + ", value " + describe(existing) + "). To change it use " +
                          ov.key + "=" + value_text + " (or ++" + ov.key + "=" + value_text +
                          " to set it whether or not it exists)");
      [[fallthrough]];
    case Override::Op::ForceAdd:
      if (!parent.IsMap() && !(parent.IsSequence() && existing.IsDefined()))
        throw ConfigError("Could not apply '" + ov.text + "': '" + ov.key + "' cannot be added there" +
                          (parent.IsSequence() ? " (list items can be set, not appended)" : ""));
      store(parent, last, ov.key, ov.value, sources);
      return;
    case Override::Op::Delete:
      if (!existing.IsDefined()) missing("delete", "");
      if (!parent.IsMap())
        throw ConfigError("Could not apply '" + ov.text + "': list items cannot be deleted; set the whole list");
      if (ov.has_value && !same_value(existing, ov.value))
        throw ConfigError("Could not delete '" + ov.key + "': its value is " + describe(existing) + " (from " +
                          source_of(sources, ov.key).str() + "), not " + describe(ov.value) + "; use ~" + ov.key +
                          " to delete it whatever its value");
      parent.remove(last);
      erase_sources(ov.key, sources);
      return;
  }
}

}  // namespace bmfm::config::detail

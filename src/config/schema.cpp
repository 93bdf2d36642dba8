// The non-template half of schema.h: suggestions, check helpers and the
// messages for unknown, missing and misplaced keys.
#include "bmfm/config/schema.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "search_path.h"
#include "tree.h"

namespace bmfm::config {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Optimal string alignment distance: insertions, deletions, substitutions and
// swaps of two neighbours ("dropuot" -> "dropout") each cost 1.
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::string did_you_mean(const std::string& key, const std::vector<std::string>& candidates) {
  // About one typo per three characters; never a suggestion that shares
  // nothing with the key (every short key is "close" to every other).
  const size_t allowed = std::max<size_t>(1, key.size() / 3);
  std::string best;
  size_t best_distance = allowed + 1;
  for (const auto& candidate : candidates) {
    const size_t d = edit_distance(lower(key), lower(candidate));
    if (d < best_distance && d < candidate.size() && d < key.size()) {
      best = candidate;
      best_distance = d;
    }
  }
  return best;
}

void fail(const Config& cfg, const std::string& dotted_key, const std::string& what) {
  throw ConfigError("key '" + dotted_key + "' (from " + cfg.source(dotted_key).str() + "): " + what);
}

void require_one_of(const Config& cfg, const std::string& dotted_key, const std::string& value,
                    const std::vector<std::string>& choices) {
  if (std::find(choices.begin(), choices.end(), value) != choices.end()) return;
  std::string what = "'" + value + "' is not one of: " + detail::join_list(choices);
  const std::string close = did_you_mean(value, choices);
  if (!close.empty()) what += "; did you mean '" + close + "'?";
  fail(cfg, dotted_key, what);
}

namespace detail {

void check_new_key(const std::string& schema, const std::string& key, const std::vector<std::string>& keys) {
  // Programming errors in a schema table, not config errors: found by the first test that builds it.
  if (key.empty() || key.find_first_of(".[]") != std::string::npos)
    throw std::logic_error("schema '" + schema + "': invalid key '" + key + "'");
  if (std::find(keys.begin(), keys.end(), key) != keys.end())
    throw std::logic_error("schema '" + schema + "': key '" + key + "' registered twice");
}

void throw_not_mapping(const Config& cfg, const std::string& key, const std::string& schema, const YAML::Node& node) {
  reject_missing_marker(node, key, cfg);
  fail(cfg, key, "expected a mapping (section '" + schema + "'), got " + describe(node));
}

void throw_unknown_key(const Config& cfg, const std::string& section_key, const std::string& key,
                       const std::string& schema, const std::vector<std::string>& valid) {
  const std::string full = child_key(section_key, key);
  std::string msg = "unknown key '" + full + "' (from " + cfg.source(full).str() + ")";
  const std::string close = did_you_mean(key, valid);
  if (!close.empty())
    msg += "; did you mean '" + close + "'?";
  else
    msg += "; valid keys " + (section_key.empty() ? std::string("at the top level") : "in '" + section_key + "'") +
           " (" + schema + "): " + join_list(valid);
  throw ConfigError(msg);
}

void throw_missing_required(const Config& cfg, const std::string& section_key, const std::string& key,
                            const std::string& schema, const std::string& type, const std::string& help) {
  const std::string full = child_key(section_key, key);
  std::string where = section_key.empty() ? "at the top level" : "in section '" + section_key + "'";
  if (!section_key.empty() && cfg.source(section_key).file != "<defaults>")
    where += " (from " + cfg.source(section_key).str() + ")";
  throw ConfigError("missing required key '" + full + "' (" + type + ": " + help + ") " + where + " of '" + schema +
                    "'; set it in the config or with +" + full + "=VALUE");
}

std::string help_line(int indent, const std::string& key, size_t key_width, const std::string& what,
                      const std::string& help) {
  std::string line(static_cast<size_t>(std::max(indent, 0)), ' ');
  line += key + std::string(key_width > key.size() ? key_width - key.size() : 0, ' ') + "  " + what;
  if (!help.empty()) line += "  " + help;
  return line + "\n";
}

std::string child_key(const std::string& prefix, const std::string& key) { return join_key(prefix, key); }

YAML::Node child_node(const YAML::Node& map, const std::string& key) { return child(map, key); }

}  // namespace detail
}  // namespace bmfm::config

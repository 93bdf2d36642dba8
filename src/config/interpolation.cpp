#include "interpolation.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <regex>

#include "bmfm/config/error.h"
#include "bmfm/config/scalar.h"

namespace bmfm::config::detail {

namespace {

// A string cut into literal text and the expressions inside ${...}.
struct Piece {
  bool is_expression = false;
  std::string text;
};

std::string trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
}

bool has_interpolation_syntax(const std::string& text) { return text.find("${") != std::string::npos; }

// Index of the '}' closing the "${" at `open`, or npos. Nested ${...} and
// quoted resolver arguments may contain '}'.
size_t closing_brace(const std::string& s, size_t open) {
  int depth = 0;
  char quote = 0;
  for (size_t i = open; i < s.size(); ++i) {
    const char c = s[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\\' && s.compare(i + 1, 2, "${") == 0) {
      i += 2;
    } else if (s.compare(i, 2, "${") == 0) {
      ++depth;
      ++i;
    } else if (c == '}') {
      if (--depth == 0) return i;
    } else if ((c == '\'' || c == '"') && depth >= 1 && i > 0 &&
               (s[i - 1] == ',' || s[i - 1] == ':' || s[i - 1] == ' ')) {
      quote = c;  // a quoted resolver argument
    }
  }
  return std::string::npos;
}

// Splits at top-level commas (not inside nested ${...} or quotes).
std::vector<std::string> split_arguments(const std::string& s) {
  std::vector<std::string> args;
  std::string current;
  int depth = 0;
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (s.compare(i, 2, "${") == 0) {
      ++depth;
    } else if (c == '}' && depth > 0) {
      --depth;
    } else if ((c == '\'' || c == '"') && trim(current).empty()) {
      quote = c;
    } else if (c == ',' && depth == 0) {
      args.push_back(trim(current));
      current.clear();
      continue;
    }
    current += c;
  }
  args.push_back(trim(current));
  return args;
}

class Resolver {
 public:
  Resolver(const YAML::Node& root, Sources& sources) : root_(root), sources_(sources) {}

  YAML::Node resolve_all() { return resolve_key("", root_); }

 private:
  // The resolved value of the raw node at `key`, computed once.
  YAML::Node resolve_key(const std::string& key, const YAML::Node& raw) {
    if (auto it = done_.find(key); it != done_.end()) return it->second;
    if (auto it = std::find(stack_.begin(), stack_.end(), key); it != stack_.end()) throw_cycle(it, key);
    stack_.push_back(key);
    YAML::Node out;
    if (raw.IsMap()) {
      out.reset(YAML::Node(YAML::NodeType::Map));
      for (auto it = raw.begin(); it != raw.end(); ++it)
        out[it->first.Scalar()] = resolve_key(join_key(key, it->first.Scalar()), it->second);
    } else if (raw.IsSequence()) {
      out.reset(YAML::Node(YAML::NodeType::Sequence));
      for (size_t i = 0; i < raw.size(); ++i) out.push_back(resolve_key(join_key(key, index_segment(i)), raw[i]));
    } else if (raw.IsScalar() && has_interpolation_syntax(raw.Scalar())) {
      out.reset(resolve_string(raw.Scalar(), key));
    } else {
      out.reset(YAML::Clone(raw));
    }
    stack_.pop_back();
    done_[key] = out;
    return out;
  }

  [[noreturn]] void throw_cycle(std::vector<std::string>::const_iterator first, const std::string& key) const {
    std::string chain, where;
    for (auto it = first; it != stack_.end(); ++it) {
      chain += *it + " -> ";
      where += (where.empty() ? "" : ", ") + *it + " at " + source_of(sources_, *it).str();
    }
    throw ConfigError("interpolation cycle: " + chain + key + " (" + where +
                      "); one of these values must be set without referring back");
  }

  // What a failing interpolation says about itself.
  std::string context(const std::string& expression, const std::string& key) const {
    return "interpolation '${" + expression + "}' at '" + key + "' (from " + source_of(sources_, key).str() + ")";
  }

  std::vector<Piece> split_pieces(const std::string& text, const std::string& key) const {
    std::vector<Piece> pieces;
    auto literal = [&](const std::string& s) {
      if (pieces.empty() || pieces.back().is_expression) pieces.push_back(Piece{false, ""});
      pieces.back().text += s;
    };
    for (size_t i = 0; i < text.size();) {
      if (text[i] == '\\' && text.compare(i + 1, 2, "${") == 0) {
        literal("${");
        i += 3;
      } else if (text.compare(i, 2, "${") == 0) {
        const size_t close = closing_brace(text, i);
        if (close == std::string::npos)
          throw ConfigError("unterminated interpolation in '" + text + "' at '" + key + "' (from " +
                            source_of(sources_, key).str() +
                            "): a '${' has no matching '}'; write \\${ for a "
                            "literal ${");
        pieces.push_back(Piece{true, text.substr(i + 2, close - i - 2)});
        i = close + 1;
      } else {
        literal(std::string(1, text[i]));
        ++i;
      }
    }
    return pieces;
  }

  YAML::Node resolve_string(const std::string& text, const std::string& key) {
    const std::vector<Piece> pieces = split_pieces(text, key);
    if (pieces.size() == 1 && pieces[0].is_expression) {
      std::string referenced;
      YAML::Node value = YAML::Clone(evaluate(pieces[0].text, key, &referenced));
      if (!referenced.empty() && (value.IsMap() || value.IsSequence())) copy_sources(referenced, key, sources_);
      return value;
    }
    std::string out;
    for (const auto& piece : pieces) {
      if (!piece.is_expression) {
        out += piece.text;
        continue;
      }
      const YAML::Node value = evaluate(piece.text, key, nullptr);
      if (!value.IsScalar())
        throw ConfigError(context(piece.text, key) + " is " + describe(value) + " inside the string '" + text +
                          "'; only scalars can be part of a string (use the interpolation as the whole value)");
      out += value.Scalar();
    }
    return string_node(out);
  }

  // The value of one ${...} expression. `referenced` gets the key it names, if any.
  YAML::Node evaluate(const std::string& raw_expression, const std::string& key, std::string* referenced) {
    const std::string expression = trim(raw_expression);
    static const std::regex resolver_re("([A-Za-z_][A-Za-z0-9_.]*):(.*)");
    std::smatch m;
    if (std::regex_match(expression, m, resolver_re)) return call_resolver(m[1], m[2], raw_expression, key);
    if (expression.empty())
      throw ConfigError(context(raw_expression, key) + ": empty interpolation; write ${some.key}");
    if (expression[0] == '.')
      throw ConfigError(context(raw_expression, key) +
                        ": relative interpolation is not supported; write the "
                        "full key from the root, e.g. ${model.hidden_size}");
    std::vector<std::string> segments;
    try {
      segments = split_key(expression);
    } catch (const ConfigError& e) {
      throw ConfigError(context(raw_expression, key) + ": " + e.what());
    }
    if (referenced) *referenced = expression;
    return lookup(segments, expression, key);
  }

  // Walks the raw tree to `expression`, resolving values on the way that are
  // themselves interpolations (so ${a.b} works when a: ${c}).
  YAML::Node lookup(const std::vector<std::string>& segments, const std::string& expression, const std::string& key) {
    YAML::Node cur = root_;
    std::string cur_key;
    bool resolved = false;
    for (const auto& segment : segments) {
      if (!resolved && cur.IsScalar() && has_interpolation_syntax(cur.Scalar())) {
        cur.reset(resolve_key(cur_key, cur));
        resolved = true;
      }
      YAML::Node next = child(cur, segment);
      if (!next.IsDefined()) {
        std::string msg = context(expression, key) + ": key '" + expression + "' not found";
        if (cur.IsDefined() && !cur.IsMap() && !cur.IsSequence() && !cur_key.empty())
          msg += " ('" + cur_key + "' is " + describe(cur) + ", not a mapping)";
        const std::string close = closest_key(root_, expression);
        if (!close.empty()) msg += ". Did you mean '" + close + "'?";
        throw ConfigError(msg);
      }
      cur_key = join_key(cur_key, segment);
      cur.reset(next);
    }
    YAML::Node value = resolved ? cur : resolve_key(cur_key, cur);
    if (value.IsScalar() && value.Scalar() == "???" && scalar_type(value) != ScalarType::Null)
      throw ConfigError(context(expression, key) + ": '" + expression + "' (from " +
                        source_of(sources_, expression).str() +
                        ") is ??? (a mandatory value nobody set); set it, e.g. " + expression + "=VALUE");
    return value;
  }

  YAML::Node call_resolver(const std::string& name, const std::string& arguments, const std::string& expression,
                           const std::string& key) {
    if (name != "oc.env")
      throw ConfigError(context(expression, key) + ": unknown resolver '" + name +
                        "'; supported: oc.env (${oc.env:VAR} or ${oc.env:VAR,default})");
    const std::vector<std::string> args = split_arguments(arguments);
    if (args.size() > 2 || args[0].empty())
      throw ConfigError(context(expression, key) +
                        ": oc.env takes a variable name and an optional default, "
                        "e.g. ${oc.env:HOME} or ${oc.env:DATA_DIR,/tmp/data}");
    const YAML::Node var_node = argument(args[0], key);
    const std::string var = var_node.IsScalar() ? var_node.Scalar() : "";
    if (const char* value = std::getenv(var.c_str())) return *value ? plain_node(value) : string_node("");
    if (args.size() == 2) return argument(args[1], key);
    throw ConfigError(context(expression, key) + ": environment variable '" + var +
                      "' is not set; set it, or give a default: ${oc.env:" + var + ",DEFAULT}");
  }

  // A resolver argument: 'quoted' and "quoted" are strings, a lone ${...}
  // keeps its type, other text is typed like a plain YAML scalar.
  YAML::Node argument(const std::string& arg, const std::string& key) {
    if (arg.empty()) return string_node("");
    if (arg.size() >= 2 && (arg[0] == '\'' || arg[0] == '"') && arg.back() == arg[0]) {
      const std::string inner = arg.substr(1, arg.size() - 2);
      return has_interpolation_syntax(inner) ? string_node(resolve_string(inner, key).Scalar()) : string_node(inner);
    }
    if (!has_interpolation_syntax(arg)) return plain_node(arg);
    const std::vector<Piece> pieces = split_pieces(arg, key);
    if (pieces.size() == 1 && pieces[0].is_expression) return evaluate(pieces[0].text, key, nullptr);
    return resolve_string(arg, key);
  }

  const YAML::Node& root_;
  Sources& sources_;
  std::map<std::string, YAML::Node> done_;
  std::vector<std::string> stack_;  // keys being resolved, outermost first
};

}  // namespace

YAML::Node resolve_interpolations(const YAML::Node& root, Sources& sources) {
  return Resolver(root, sources).resolve_all();
}

}  // namespace bmfm::config::detail

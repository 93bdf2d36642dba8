// Scalar conversions behind Converter<V> (schema_impl.h): YAML 1.2 typing,
// integer range checks, and the YAML text of defaults for help.
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <vector>

#include "bmfm/config/schema.h"

namespace bmfm::config::detail {

namespace {

// "; it is quoted, so it is a string" when the text alone would have been right.
std::string quoted_hint(const YAML::Node& node, ScalarType wanted) {
  if (!node.IsScalar() || scalar_type(node) != ScalarType::String) return "";
  const ScalarType plain = plain_scalar_type(node.Scalar());
  const bool would_fit = plain == wanted || (wanted == ScalarType::Float && plain == ScalarType::Int);
  return would_fit ? " (quoted, so a string; write it without quotes)" : "";
}

// Splits an int-typed scalar into sign and magnitude; false on overflow.
bool parse_integer(const std::string& text, bool& negative, unsigned long long& magnitude) {
  size_t i = 0;
  negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    i = 1;
  }
  int base = 10;
  if (text.compare(i, 2, "0x") == 0) {
    base = 16;
    i += 2;
  } else if (text.compare(i, 2, "0o") == 0) {
    base = 8;
    i += 2;
  }
  errno = 0;
  magnitude = std::strtoull(text.c_str() + i, nullptr, base);
  return errno != ERANGE;
}

void require_int(const YAML::Node& node, const std::string& key, const Config& cfg, const std::string& type) {
  if (!node.IsScalar()) throw_type_error(cfg, key, type, node);
  const ScalarType t = scalar_type(node);
  if (t == ScalarType::Int) return;
  std::string hint = quoted_hint(node, ScalarType::Int);
  if (t == ScalarType::Float) {
    const double v = std::strtod(node.Scalar().c_str(), nullptr);
    if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e18)
      hint = " (a float; write it as an integer: " + std::to_string(static_cast<long long>(v)) + ")";
  }
  throw_type_error(cfg, key, type, node, hint);
}

[[noreturn]] void throw_range(const Config& cfg, const std::string& key, const std::string& text,
                              const std::string& type, const std::string& min, const std::string& max) {
  fail(cfg, key, text + " is out of range for " + type + " [" + min + ", " + max + "]");
}

}  // namespace

void throw_type_error(const Config& cfg, const std::string& key, const std::string& expected, const YAML::Node& node,
                      const std::string& hint) {
  fail(cfg, key, "expected " + expected + ", got " + describe(node) + hint);
}

void reject_missing_marker(const YAML::Node& node, const std::string& key, const Config& cfg) {
  if (node.IsScalar() && node.Scalar() == "???")
    fail(cfg, key, "value is ?\?? (a mandatory value nobody set); set it in a config or with " + key + "=VALUE");
}

bool read_bool(const YAML::Node& node, const std::string& key, const Config& cfg) {
  const std::string type = "bool (true or false)";
  if (!node.IsScalar()) throw_type_error(cfg, key, type, node);
  const std::string& text = node.Scalar();
  if (scalar_type(node) != ScalarType::Bool) {
    std::string hint = quoted_hint(node, ScalarType::Bool);
    static const std::vector<std::string> yaml11 = {"yes", "Yes", "YES", "no",  "No", "NO", "on", "On",
                                                    "ON",  "off", "Off", "OFF", "y",  "Y",  "n",  "N"};
    if (std::find(yaml11.begin(), yaml11.end(), text) != yaml11.end())
      hint = " (YAML 1.2 booleans are true and false only)";
    throw_type_error(cfg, key, type, node, hint);
  }
  if (plain_scalar_type(text) != ScalarType::Bool) throw_type_error(cfg, key, type, node);  // e.g. `!!bool yes`
  return text[0] == 't' || text[0] == 'T';
}

long long read_signed(const YAML::Node& node, const std::string& key, const Config& cfg, long long min, long long max) {
  require_int(node, key, cfg, "int");
  bool negative = false;
  unsigned long long magnitude = 0;
  const bool fits = parse_integer(node.Scalar(), negative, magnitude);
  const unsigned long long limit =
      negative ? static_cast<unsigned long long>(max) + 1 : static_cast<unsigned long long>(max);
  if (!fits || magnitude > limit) throw_range(cfg, key, node.Scalar(), "int", std::to_string(min), std::to_string(max));
  if (!negative) return static_cast<long long>(magnitude);
  return magnitude == limit ? min : -static_cast<long long>(magnitude);
}

unsigned long long read_unsigned(const YAML::Node& node, const std::string& key, const Config& cfg,
                                 unsigned long long max) {
  const std::string type = "non-negative int";
  require_int(node, key, cfg, type);
  bool negative = false;
  unsigned long long magnitude = 0;
  const bool fits = parse_integer(node.Scalar(), negative, magnitude);
  if (!fits || magnitude > max || (negative && magnitude != 0))
    throw_range(cfg, key, node.Scalar(), type, "0", std::to_string(max));
  return magnitude;
}

double read_float(const YAML::Node& node, const std::string& key, const Config& cfg, double max_abs) {
  if (!node.IsScalar()) throw_type_error(cfg, key, "float", node);
  const ScalarType t = scalar_type(node);
  if (t != ScalarType::Float && t != ScalarType::Int)
    throw_type_error(cfg, key, "float", node, quoted_hint(node, ScalarType::Float));
  const std::string& text = node.Scalar();
  const bool negative = !text.empty() && text[0] == '-';
  const std::string body = !text.empty() && (text[0] == '-' || text[0] == '+') ? text.substr(1) : text;
  double v = 0;
  if (body == ".inf" || body == ".Inf" || body == ".INF") {
    v = std::numeric_limits<double>::infinity();
  } else if (body == ".nan" || body == ".NaN" || body == ".NAN") {
    return std::numeric_limits<double>::quiet_NaN();
  } else if (body.compare(0, 2, "0x") == 0 || body.compare(0, 2, "0o") == 0) {
    bool ignored = false;
    unsigned long long magnitude = 0;
    parse_integer(body, ignored, magnitude);
    v = static_cast<double>(magnitude);
  } else {
    // from_chars, unlike strtod, ignores the C locale's decimal separator.
    const auto result = std::from_chars(body.data(), body.data() + body.size(), v);
    if (result.ec == std::errc::result_out_of_range)
      throw_range(cfg, key, text, "float", "-" + format_float(max_abs), format_float(max_abs));
    if (result.ec != std::errc() || result.ptr != body.data() + body.size()) throw_type_error(cfg, key, "float", node);
  }
  if (std::isfinite(v) && v > max_abs)
    throw_range(cfg, key, text, "float", "-" + format_float(max_abs), format_float(max_abs));
  return negative ? -v : v;
}

std::string read_string(const YAML::Node& node, const std::string& key, const Config& cfg) {
  if (node.IsScalar()) return node.Scalar();
  throw_type_error(cfg, key, "string", node,
                   node.IsNull() || !node.IsDefined() ? "; write '' for an empty string" : "");
}

std::string format_float(double v) {
  if (std::isnan(v)) return ".nan";
  if (std::isinf(v)) return v > 0 ? ".inf" : "-.inf";
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof buf, v);
  std::string text(buf, result.ptr);
  // A float must read back as a float, not as the int `60`, and YAML 1.1
  // readers (PyYAML) need a '.' and a signed exponent: 1e-04 -> 1.0e-4.
  const size_t e = text.find('e');
  if (e == std::string::npos) return text.find('.') == std::string::npos ? text + ".0" : text;
  std::string mantissa = text.substr(0, e), sign = text.substr(e + 1, 1), digits = text.substr(e + 2);
  if (mantissa.find('.') == std::string::npos) mantissa += ".0";
  digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size() - 1));
  return mantissa + "e" + sign + digits;
}

std::string format_string(const std::string& s) {
  YAML::Emitter out;
  if (needs_quotes(s)) out << YAML::DoubleQuoted;
  out << s;
  return out.c_str();
}

std::string format_node(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "null";
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

}  // namespace bmfm::config::detail

// Config::to_yaml: the resolved tree as YAML that reads back to the same
// types. yaml-cpp's emitter would print the string '1' as a bare 1 (an int
// when read again), so strings are quoted here whenever their text alone
// would read as something else, to YAML 1.2 readers and to YAML 1.1 ones
// (see needs_quotes).
#include "bmfm/config/compose.h"
#include "bmfm/config/scalar.h"

namespace bmfm::config {

namespace {

// A literal "${" in a resolved value must not interpolate when the file is
// read again (re-running from a run's config.yaml reproduces the run).
std::string escape_interpolation(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 2, "${") == 0) out += '\\';
    out += text[i];
  }
  return out;
}

void emit_string(YAML::Emitter& out, const std::string& text) {
  const std::string escaped = escape_interpolation(text);
  if (needs_quotes(escaped)) out << YAML::DoubleQuoted;
  out << escaped;
}

bool all_scalars(const YAML::Node& seq) {
  for (const auto& item : seq)
    if (item.IsMap() || item.IsSequence()) return false;
  return true;
}

void emit(YAML::Emitter& out, const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) {
    out << YAML::Null;
  } else if (node.IsMap()) {
    if (node.size() == 0) out << YAML::Flow;
    out << YAML::BeginMap;
    for (auto it = node.begin(); it != node.end(); ++it) {
      out << YAML::Key;
      emit_string(out, it->first.Scalar());
      out << YAML::Value;
      emit(out, it->second);
    }
    out << YAML::EndMap;
  } else if (node.IsSequence()) {
    if (all_scalars(node)) out << YAML::Flow;
    out << YAML::BeginSeq;
    for (const auto& item : node) emit(out, item);
    out << YAML::EndSeq;
  } else if (scalar_type(node) == ScalarType::String) {
    emit_string(out, node.Scalar());
  } else {
    out << node.Scalar();
  }
}

}  // namespace

std::string Config::to_yaml() const {
  YAML::Emitter out;
  out.SetNullFormat(YAML::LowerNull);
  emit(out, root_);
  return std::string(out.c_str()) + "\n";
}

}  // namespace bmfm::config

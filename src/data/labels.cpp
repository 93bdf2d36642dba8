#include "bmfm/data/labels.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace bmfm::data {

namespace {

constexpr const char* kFormat = "bmfm-label-dictionary";
constexpr int kVersion = 1;
constexpr int32_t kIgnore = -100;

using Kind = io::Column::Kind;

bool missing_text(const std::string& s) { return s.empty() || s == "nan" || s == "NaN"; }

bool is_silent(const std::vector<std::string>& silent, const std::string& s) {
  return std::find(silent.begin(), silent.end(), s) != silent.end();
}

enum class State { Value, Missing, Silenced };

// The state and text of row i.
State value_of(const io::Column& c, int64_t i, const std::vector<std::string>& silent, std::string& text) {
  if (c.is_missing(i)) return State::Missing;
  text = c.text(i);
  if (missing_text(text)) return State::Missing;
  return is_silent(silent, text) ? State::Silenced : State::Value;
}

// Splits on `sep`, skipping empty parts.
template <class F>
void for_each_part(const std::string& s, const std::string& sep, F&& f) {
  size_t start = 0;
  while (start <= s.size()) {
    const size_t end = sep.empty() ? std::string::npos : s.find(sep, start);
    const std::string part = s.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!part.empty()) f(part);
    if (end == std::string::npos) break;
    start = end + sep.size();
  }
}

const io::Column& find_column(const io::DataFrame& obs, const std::string& name, const std::string& what) {
  if (const io::Column* c = obs.find(name)) return *c;
  std::string names;
  for (const auto& c : obs.columns) names += (names.empty() ? "" : ", ") + c.name;
  throw std::invalid_argument(
      fmt::format("label column '{}' is not an obs column of {} (columns: {})", name, what, names));
}

bool numeric_kind(Kind k) { return k == Kind::Numeric || k == Kind::Integer || k == Kind::Boolean; }

double numeric_key(const io::Column& c, int64_t i) {
  const auto u = static_cast<size_t>(i);
  switch (c.kind) {
    case Kind::Numeric: return c.numeric[u];
    case Kind::Integer: return static_cast<double>(c.integer[u]);
    case Kind::Boolean: return c.boolean[u] ? 1.0 : 0.0;
    default: return 0.0;
  }
}

std::vector<std::string> classification_classes(const std::vector<const io::Column*>& cols,
                                                const LabelColumnConfig& cfg) {
  const io::Column& first = *cols.front();
  bool same_categories = true, all_numeric = true;
  for (const io::Column* c : cols) {
    same_categories = same_categories && c->kind == Kind::Categorical && c->categories == first.categories;
    all_numeric = all_numeric && numeric_kind(c->kind);
  }
  std::string text;
  if (same_categories) {
    std::vector<uint8_t> seen(first.categories.size(), 0);
    for (const io::Column* c : cols)
      for (int64_t i = 0; i < c->size(); ++i)
        if (value_of(*c, i, cfg.silent_values, text) == State::Value)
          seen[static_cast<size_t>(c->codes[static_cast<size_t>(i)])] = 1;
    std::vector<std::string> out;
    for (size_t k = 0; k < seen.size(); ++k)
      if (seen[k]) out.push_back(first.categories[k]);
    return out;
  }
  if (all_numeric) {
    std::map<double, std::string> by_value;
    for (const io::Column* c : cols)
      for (int64_t i = 0; i < c->size(); ++i)
        if (value_of(*c, i, cfg.silent_values, text) == State::Value) by_value.emplace(numeric_key(*c, i), text);
    std::vector<std::string> out;
    for (auto& [v, t] : by_value) out.push_back(t);
    return out;
  }
  std::set<std::string> names;
  for (const io::Column* c : cols)
    for (int64_t i = 0; i < c->size(); ++i)
      if (value_of(*c, i, cfg.silent_values, text) == State::Value) names.insert(text);
  return {names.begin(), names.end()};
}

std::vector<std::string> multilabel_classes(const std::vector<const io::Column*>& cols, const LabelColumnConfig& cfg) {
  std::set<std::string> names;
  std::string text;
  for (const io::Column* c : cols)
    for (int64_t i = 0; i < c->size(); ++i)
      if (value_of(*c, i, cfg.silent_values, text) == State::Value)
        for_each_part(text, cfg.separator, [&](const std::string& p) {
          if (!is_silent(cfg.silent_values, p)) names.insert(p);
        });
  return {names.begin(), names.end()};
}

void note_unseen(EncodedLabels::ColumnReport& r, const std::string& value) {
  ++r.n_unseen;
  if (r.unseen_examples.size() < 5 &&
      std::find(r.unseen_examples.begin(), r.unseen_examples.end(), value) == r.unseen_examples.end())
    r.unseen_examples.push_back(value);
}

}  // namespace

const config::Schema<LabelColumnConfig>& label_column_schema() {
  using L = LabelColumnConfig;
  static const auto schema =
      config::Schema<L>("label column")
          .field("name", &L::name, "obs column")
          .field("kind", &L::kind, "classification | multilabel | regression")
          .field("silent_values", &L::silent_values, "values treated as missing (label -100), e.g. [unknown]")
          .field("separator", &L::separator, "multilabel: separator between labels")
          .check([](const L& l, const config::Config& cfg, const std::string& prefix) {
            if (l.name.empty()) config::fail(cfg, prefix + "name", "must name an obs column");
            config::require_one_of(cfg, prefix + "kind", l.kind, {"classification", "multilabel", "regression"});
            if (l.kind == "multilabel" && l.separator.empty())
              config::fail(cfg, prefix + "separator", "must not be empty for a multilabel column");
          });
  return schema;
}

const char* to_string(LabelKind kind) {
  switch (kind) {
    case LabelKind::Classification: return "classification";
    case LabelKind::MultiLabel: return "multilabel";
    case LabelKind::Regression: return "regression";
  }
  return "?";
}

LabelKind parse_label_kind(const std::string& kind) {
  if (kind == "classification") return LabelKind::Classification;
  if (kind == "multilabel") return LabelKind::MultiLabel;
  if (kind == "regression") return LabelKind::Regression;
  throw std::invalid_argument(
      fmt::format("label kind '{}' is not one of: classification, multilabel, regression", kind));
}

int32_t LabelColumn::index_of(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? -1 : it->second;
}

void LabelDictionary::add(LabelColumn column) {
  for (const auto& c : columns_)
    if (c.name == column.name)
      throw std::invalid_argument(fmt::format("label dictionary: column '{}' is listed twice", column.name));
  column.index_.clear();
  for (size_t k = 0; k < column.classes.size(); ++k)
    if (!column.index_.emplace(column.classes[k], static_cast<int32_t>(k)).second)
      throw std::invalid_argument(
          fmt::format("label dictionary: column '{}' lists class '{}' twice", column.name, column.classes[k]));
  columns_.push_back(std::move(column));
}

LabelDictionary LabelDictionary::build(const std::vector<const io::DataFrame*>& obs,
                                       const std::vector<LabelColumnConfig>& columns, const std::string& what) {
  if (obs.empty()) throw std::invalid_argument("label dictionary: no obs tables given for " + what);
  LabelDictionary dict;
  for (const auto& cfg : columns) {
    LabelColumn col;
    col.name = cfg.name;
    col.kind = parse_label_kind(cfg.kind);
    col.separator = cfg.separator;
    std::vector<const io::Column*> cols;
    for (const io::DataFrame* df : obs) cols.push_back(&find_column(*df, cfg.name, what));
    if (col.kind == LabelKind::Regression) {
      for (const io::Column* c : cols)
        if (c->kind != Kind::Numeric && c->kind != Kind::Integer)
          throw std::invalid_argument(fmt::format(
              "label column '{}' of {} is a regression target but holds {} values; regression needs a numeric column",
              cfg.name, what, c->dtype));
    } else {
      col.classes =
          col.kind == LabelKind::MultiLabel ? multilabel_classes(cols, cfg) : classification_classes(cols, cfg);
      if (col.classes.empty())
        throw std::invalid_argument(fmt::format(
            "label column '{}' of {} has no non-missing, non-silenced values: nothing to learn", cfg.name, what));
    }
    dict.add(std::move(col));
  }
  return dict;
}

std::string LabelDictionary::to_json() const {
  nlohmann::ordered_json j;
  j["format"] = kFormat;
  j["version"] = kVersion;
  j["columns"] = nlohmann::ordered_json::object();
  for (const auto& c : columns_) {
    nlohmann::ordered_json cj;
    cj["kind"] = to_string(c.kind);
    if (c.kind == LabelKind::MultiLabel) cj["separator"] = c.separator;
    cj["classes"] = c.classes;
    j["columns"][c.name] = std::move(cj);
  }
  return j.dump(2) + "\n";
}

LabelDictionary LabelDictionary::from_json(const std::string& text, const std::string& what) {
  nlohmann::ordered_json j;
  try {
    j = nlohmann::ordered_json::parse(text);
  } catch (const std::exception& e) {
    throw std::invalid_argument(fmt::format("label dictionary {}: not valid JSON: {}", what, e.what()));
  }
  auto bad = [&](const std::string& why) {
    return std::invalid_argument(fmt::format("label dictionary {}: {}", what, why));
  };
  if (!j.is_object() || j.value("format", "") != kFormat)
    throw bad(fmt::format("\"format\" must be \"{}\"", kFormat));
  if (!j.contains("version") || !j["version"].is_number_integer() || j["version"].get<int>() != kVersion)
    throw bad(fmt::format("unsupported \"version\" (this build reads version {})", kVersion));
  if (!j.contains("columns") || !j["columns"].is_object()) throw bad("\"columns\" must be an object");
  LabelDictionary dict;
  for (auto it = j["columns"].begin(); it != j["columns"].end(); ++it) {
    const auto& cj = it.value();
    LabelColumn col;
    col.name = it.key();
    try {
      col.kind = parse_label_kind(cj.at("kind").get<std::string>());
      if (cj.contains("separator")) col.separator = cj.at("separator").get<std::string>();
      col.classes = cj.at("classes").get<std::vector<std::string>>();
    } catch (const std::exception& e) {
      throw bad(fmt::format("column '{}': {}", col.name, e.what()));
    }
    try {
      dict.add(std::move(col));
    } catch (const std::invalid_argument& e) {
      throw bad(e.what());
    }
  }
  return dict;
}

LabelDictionary LabelDictionary::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument(fmt::format("label dictionary {}: cannot open for reading", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return from_json(ss.str(), path);
}

void LabelDictionary::save(const std::string& path) const {
  // temp file + rename: a crash never leaves a half-written dictionary.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) throw std::runtime_error(fmt::format("label dictionary {}: cannot open for writing", tmp));
    out << to_json();
    if (!out.flush()) throw std::runtime_error(fmt::format("label dictionary {}: write failed", tmp));
  }
  std::filesystem::rename(tmp, path);
}

const LabelColumn& LabelDictionary::column(const std::string& name) const {
  for (const auto& c : columns_)
    if (c.name == name) return c;
  std::string names;
  for (const auto& c : columns_) names += (names.empty() ? "" : ", ") + c.name;
  throw std::invalid_argument(fmt::format("label dictionary has no column '{}' (columns: {})", name, names));
}

LabelLayout LabelDictionary::layout() const {
  LabelLayout l;
  for (const auto& c : columns_) {
    if (c.kind == LabelKind::Classification) ++l.n_class_columns;
    if (c.kind == LabelKind::MultiLabel) l.multilabel_width += static_cast<int64_t>(c.classes.size());
    if (c.kind == LabelKind::Regression) ++l.n_regression;
  }
  return l;
}

void LabelDictionary::require_matches(const std::vector<LabelColumnConfig>& columns, const std::string& what) const {
  bool ok = columns.size() == columns_.size();
  for (size_t k = 0; ok && k < columns.size(); ++k)
    ok = columns[k].name == columns_[k].name && parse_label_kind(columns[k].kind) == columns_[k].kind;
  if (ok) return;
  std::string have, want;
  for (const auto& c : columns_) have += (have.empty() ? "" : ", ") + c.name + ":" + to_string(c.kind);
  for (const auto& c : columns) want += (want.empty() ? "" : ", ") + c.name + ":" + c.kind;
  throw std::invalid_argument(fmt::format(
      "label columns [{}] do not match the label dictionary of {} [{}]: same columns, kinds and order are needed",
      want, what, have));
}

void EncodedLabels::row(int64_t i, std::vector<int32_t>& c, std::vector<float>& m, std::vector<float>& r) const {
  const auto u = static_cast<size_t>(i);
  const auto C = static_cast<size_t>(layout.n_class_columns), M = static_cast<size_t>(layout.multilabel_width),
             R = static_cast<size_t>(layout.n_regression);
  c.assign(class_labels.begin() + static_cast<long>(u * C), class_labels.begin() + static_cast<long>((u + 1) * C));
  m.assign(multilabel.begin() + static_cast<long>(u * M), multilabel.begin() + static_cast<long>((u + 1) * M));
  r.assign(regression.begin() + static_cast<long>(u * R), regression.begin() + static_cast<long>((u + 1) * R));
}

EncodedLabels encode_labels(const io::DataFrame& obs, const LabelDictionary& dict,
                            const std::vector<LabelColumnConfig>& columns, const std::string& what) {
  dict.require_matches(columns, what);
  EncodedLabels out;
  out.n_obs = obs.n_rows();
  out.layout = dict.layout();
  const auto n = static_cast<size_t>(out.n_obs);
  const auto C = static_cast<size_t>(out.layout.n_class_columns), M = static_cast<size_t>(out.layout.multilabel_width),
             R = static_cast<size_t>(out.layout.n_regression);
  out.class_labels.assign(n * C, kIgnore);
  out.multilabel.assign(n * M, 0.0f);
  out.regression.assign(n * R, std::numeric_limits<float>::quiet_NaN());

  size_t ci = 0, mo = 0, ri = 0;
  std::string text;
  for (size_t k = 0; k < columns.size(); ++k) {
    const LabelColumn& lc = dict.columns()[k];
    const auto& silent = columns[k].silent_values;
    const io::Column& col = find_column(obs, lc.name, what);
    if (col.size() != out.n_obs)
      throw std::invalid_argument(fmt::format("label column '{}' of {} has {} rows but obs has {}", lc.name, what,
                                              col.size(), out.n_obs));
    EncodedLabels::ColumnReport rep;
    rep.column = lc.name;
    auto count = [&](State s) { ++(s == State::Missing ? rep.n_missing : rep.n_silenced); };

    if (lc.kind == LabelKind::Classification) {
      // Categorical: resolve each category once.
      std::vector<int32_t> code_to_class;
      if (col.kind == Kind::Categorical)
        for (const auto& cat : col.categories)
          code_to_class.push_back(lc.index_of(cat));
      for (size_t i = 0; i < n; ++i) {
        const State s = value_of(col, static_cast<int64_t>(i), silent, text);
        if (s != State::Value) {
          count(s);
          continue;
        }
        const int32_t idx = col.kind == Kind::Categorical
                                ? code_to_class[static_cast<size_t>(col.codes[i])]
                                : lc.index_of(text);
        if (idx >= 0)
          out.class_labels[i * C + ci] = idx;
        else
          note_unseen(rep, text);
      }
      ++ci;
    } else if (lc.kind == LabelKind::MultiLabel) {
      const size_t w = lc.classes.size();
      for (size_t i = 0; i < n; ++i) {
        float* block = out.multilabel.data() + i * M + mo;
        const State s = value_of(col, static_cast<int64_t>(i), silent, text);
        if (s != State::Value) {
          count(s);
          std::fill_n(block, w, static_cast<float>(kIgnore));
          continue;
        }
        for_each_part(text, lc.separator, [&](const std::string& p) {
          if (is_silent(silent, p)) return;
          const int32_t idx = lc.index_of(p);
          if (idx >= 0)
            block[idx] = 1.0f;
          else
            note_unseen(rep, p);
        });
      }
      mo += w;
    } else {
      if (col.kind != Kind::Numeric && col.kind != Kind::Integer)
        throw std::invalid_argument(fmt::format(
            "label column '{}' of {} is a regression target but holds {} values", lc.name, what, col.dtype));
      for (size_t i = 0; i < n; ++i) {
        const State s = value_of(col, static_cast<int64_t>(i), silent, text);
        if (s != State::Value) {
          count(s);
          continue;
        }
        out.regression[i * R + ri] = static_cast<float>(numeric_key(col, static_cast<int64_t>(i)));
      }
      ++ri;
    }
    if (rep.n_unseen > 0) {
      std::string examples;
      for (const auto& e : rep.unseen_examples) examples += (examples.empty() ? "'" : ", '") + e + "'";
      spdlog::warn("label column '{}' of {}: {} value(s) not in the label dictionary (e.g. {}) get label -100", lc.name,
                   what, rep.n_unseen, examples);
    }
    out.report.push_back(std::move(rep));
  }
  return out;
}

}  // namespace bmfm::data

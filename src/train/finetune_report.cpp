// metrics.json / metrics.md and the per-class / confusion CSVs of a
// fine-tuning run, one table per label kind.
#include "bmfm/train/finetune_report.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace bmfm::train {

namespace fs = std::filesystem;

namespace {

// Per-class scores as JSON (keyed by class name) and as the CSV spreadsheets get.
nlohmann::ordered_json per_class_json(const std::vector<eval::ClassScores>& scores,
                                      const std::vector<std::string>& classes) {
  nlohmann::ordered_json pc = nlohmann::ordered_json::object();
  for (const auto& c : scores)
    pc[classes.at(static_cast<size_t>(c.label))] = {
        {"precision", c.precision}, {"recall", c.recall}, {"f1", c.f1}, {"support", c.support}};
  return pc;
}

void write_per_class_csv(const fs::path& path, const char* first_column, const std::vector<eval::ClassScores>& scores,
                         const std::vector<std::string>& classes) {
  std::ostringstream csv;
  csv << first_column << ",precision,recall,f1,support\n";
  for (const auto& c : scores)
    csv << '"' << classes.at(static_cast<size_t>(c.label)) << "\"," << c.precision << ',' << c.recall << ',' << c.f1
        << ',' << c.support << '\n';
  std::ofstream(path) << csv.str();
}

void write_classification(const std::string& out, const LabelResult& l, bool intervals, nlohmann::ordered_json& j,
                          std::string& md) {
  for (const auto* split : {"val", "test"}) {
    const eval::AnnotationMetrics& m = std::string(split) == "val" ? l.val : l.test;
    if (m.n == 0) continue;
    nlohmann::ordered_json s = {{"n", m.n},
                                {"accuracy", m.accuracy},
                                {"accuracy_ci95", {m.accuracy_lo, m.accuracy_hi}},
                                {"macro_f1", m.macro_f1},
                                {"macro_f1_ci95", {m.macro_f1_lo, m.macro_f1_hi}},
                                {"balanced_accuracy", m.balanced_accuracy},
                                {"macro_precision", m.macro_precision},
                                {"macro_recall", m.macro_recall}};
    if (!intervals) s.erase("accuracy_ci95"), s.erase("macro_f1_ci95");
    s["per_class"] = per_class_json(m.per_class, l.classes);
    j[l.name]["kind"] = l.kind;
    j[l.name][split] = s;
    auto ci = [&](double lo, double hi) { return intervals ? fmt::format(" [{:.4f}, {:.4f}]", lo, hi) : std::string(); };
    md += fmt::format("| {} | {} | {} | {:.4f}{} | {:.4f}{} | {:.4f} | {:.4f} | {:.4f} |\n", l.name, split, m.n,
                      m.accuracy, ci(m.accuracy_lo, m.accuracy_hi), m.macro_f1, ci(m.macro_f1_lo, m.macro_f1_hi),
                      m.balanced_accuracy, m.macro_precision, m.macro_recall);
  }
  // Test-set tables for spreadsheets.
  write_per_class_csv(fs::path(out) / ("per_class_" + l.name + ".csv"), "class", l.test.per_class, l.classes);
  std::ostringstream cm;
  cm << "true\\predicted";
  for (int32_t c : l.test.labels) cm << ",\"" << l.classes.at(static_cast<size_t>(c)) << '"';
  cm << '\n';
  for (size_t a = 0; a < l.test.labels.size(); ++a) {
    cm << '"' << l.classes.at(static_cast<size_t>(l.test.labels[a])) << '"';
    for (int64_t v : l.test.confusion[a]) cm << ',' << v;
    cm << '\n';
  }
  std::ofstream(fs::path(out) / ("confusion_" + l.name + ".csv")) << cm.str();
}

void write_multilabel(const std::string& out, const LabelResult& l, nlohmann::ordered_json& j, std::string& md) {
  for (const auto* split : {"val", "test"}) {
    const eval::MultilabelMetrics& m = std::string(split) == "val" ? l.ml_val : l.ml_test;
    if (m.n == 0) continue;
    nlohmann::ordered_json s = {{"n", m.n},
                                {"subset_accuracy", m.subset_accuracy},
                                {"hamming_loss", m.hamming_loss},
                                {"micro_precision", m.micro_precision},
                                {"micro_recall", m.micro_recall},
                                {"micro_f1", m.micro_f1},
                                {"macro_f1", m.macro_f1},
                                {"samples_f1", m.samples_f1}};
    s["per_label"] = per_class_json(m.per_label, l.classes);
    j[l.name]["kind"] = l.kind;
    j[l.name][split] = s;
    md += fmt::format("| {} | {} | {} | {:.4f} | {:.4f} | {:.4f} | {:.4f} | {:.4f} |\n", l.name, split, m.n,
                      m.subset_accuracy, m.hamming_loss, m.micro_f1, m.macro_f1, m.samples_f1);
  }
  write_per_class_csv(fs::path(out) / ("per_class_" + l.name + ".csv"), "label", l.ml_test.per_label, l.classes);
}

void write_regression(const LabelResult& l, nlohmann::ordered_json& j, std::string& md) {
  for (const auto* split : {"val", "test"}) {
    const eval::RegressionMetrics& m = std::string(split) == "val" ? l.reg_val : l.reg_test;
    if (m.n == 0) continue;
    j[l.name]["kind"] = l.kind;
    j[l.name][split] = {{"n", m.n}, {"mse", m.mse}, {"rmse", m.rmse}, {"mae", m.mae}, {"r2", m.r2}, {"pearson", m.pearson}};
    md += fmt::format("| {} | {} | {} | {:.4f} | {:.4f} | {:.4f} | {:.4f} |\n", l.name, split, m.n, m.mse, m.mae, m.r2,
                      m.pearson);
  }
}

}  // namespace

void write_finetune_metrics(const std::string& out, const FinetuneResult& r, bool intervals) {
  nlohmann::ordered_json j;
  std::string cls, ml, reg;
  for (const auto& l : r.labels) {
    if (l.kind == "multilabel") write_multilabel(out, l, j, ml);
    else if (l.kind == "regression") write_regression(l, j, reg);
    else write_classification(out, l, intervals, j, cls);
  }
  std::string md;
  if (!cls.empty())
    md += "| label | split | cells | accuracy [95% CI] | macro F1 [95% CI] | balanced accuracy | macro precision | macro recall |\n"
          "|---|---|---|---|---|---|---|---|\n" + cls;
  if (!ml.empty())
    md += std::string(md.empty() ? "" : "\n") +
          "| multi-label | split | cells | subset accuracy | Hamming loss | micro F1 | macro F1 | samples F1 |\n"
          "|---|---|---|---|---|---|---|---|\n" + ml;
  if (!reg.empty())
    md += std::string(md.empty() ? "" : "\n") +
          "| regression | split | cells | MSE | MAE | R2 | Pearson r |\n|---|---|---|---|---|---|---|\n" + reg;
  j["cells"] = {{"train", r.n_train}, {"val", r.n_val}, {"test", r.n_test}};
  j["best_epoch"] = r.best_epoch;
  j["epochs"] = r.epochs;
  std::ofstream(fs::path(out) / "metrics.json") << j.dump(2) << '\n';
  std::ofstream(fs::path(out) / "metrics.md") << md;
}

}  // namespace bmfm::train

#include "bmfm/eval/report.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <ostream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "bmfm/eval/svg_scatter.h"

namespace bmfm::eval {

namespace {

struct MetricColumn {
  const char* name;
  double ScibMetrics::*field;
};
const MetricColumn kMetrics[] = {{"overall", &ScibMetrics::overall},     {"AvgBio", &ScibMetrics::avg_bio},
                                 {"AvgBatch", &ScibMetrics::avg_batch},  {"NMI", &ScibMetrics::nmi},
                                 {"ARI", &ScibMetrics::ari},             {"ASW_label", &ScibMetrics::asw_label},
                                 {"ASW_batch", &ScibMetrics::asw_batch}, {"graph_conn", &ScibMetrics::graph_conn}};

// Method names in first-seen order over the datasets' `list` (zero-shot methods or annotation runs).
template <class Item>
std::vector<std::string> names_of(const std::vector<DatasetResult>& results, std::vector<Item> DatasetResult::*list) {
  std::vector<std::string> names;
  for (const auto& d : results)
    for (const auto& m : d.*list)
      if (std::find(names.begin(), names.end(), m.method) == names.end()) names.push_back(m.method);
  return names;
}
std::vector<std::string> method_names(const std::vector<DatasetResult>& r) { return names_of(r, &DatasetResult::methods); }
std::vector<std::string> annotation_method_names(const std::vector<DatasetResult>& r) {
  return names_of(r, &DatasetResult::annotation);
}

const MethodResult* find_method(const DatasetResult& d, const std::string& name) {
  for (const auto& m : d.methods)
    if (m.method == name) return &m;
  return nullptr;
}

std::string cell(const DatasetResult& d, const std::string& method, double ScibMetrics::*field) {
  if (!d.error.empty()) return "error";
  const MethodResult* m = find_method(d, method);
  if (!m) return "";
  if (!m->error.empty()) return "error";
  const double v = m->metrics.*field;
  return std::isnan(v) ? "n/a" : fmt::format("{:.4f}", v);
}

const AnnotationResult* find_annotation(const DatasetResult& d, const std::string& name) {
  for (const auto& a : d.annotation)
    if (a.method == name) return &a;
  return nullptr;
}

// "0.9595 [0.9429, 0.9742]" (the interval only when bootstrapped).
std::string with_ci(double v, double lo, double hi, bool intervals) {
  return intervals ? fmt::format("{:.4f} [{:.4f}, {:.4f}]", v, lo, hi) : fmt::format("{:.4f}", v);
}

std::string annotation_cell(const DatasetResult& d, const std::string& method, bool f1) {
  if (!d.error.empty()) return "error";
  const AnnotationResult* a = find_annotation(d, method);
  if (!a) return "";
  if (!a->error.empty()) return "error";
  return f1 ? with_ci(a->test.macro_f1, a->test.macro_f1_lo, a->test.macro_f1_hi, a->intervals)
            : with_ci(a->test.accuracy, a->test.accuracy_lo, a->test.accuracy_hi, a->intervals);
}

// "7.31 / 0.52" (effective rank / spread), with "collapsed" appended when flagged.
std::string health_cell(const DatasetResult& d, const std::string& method) {
  if (!d.error.empty()) return "error";
  const MethodResult* m = find_method(d, method);
  if (!m) return "";
  if (!m->error.empty()) return "error";
  return fmt::format("{:.2f} / {:.3g}{}", m->health.participation_ratio, m->health.spread,
                     m->health.collapse.empty() ? "" : " collapsed");
}

// A markdown table: a row per dataset, a column per method, `value(d, m)` in the cells.
void method_table(std::ostream& o, const std::vector<DatasetResult>& results, const std::vector<std::string>& methods,
                  const std::function<std::string(const DatasetResult&, const std::string&)>& value) {
  o << "| dataset |";
  for (const auto& m : methods) o << " " << m << " |";
  o << "\n|---|";
  for (size_t i = 0; i < methods.size(); ++i) o << "---|";
  o << "\n";
  for (const auto& d : results) {
    o << "| " << d.spec.name << " |";
    for (const auto& m : methods) o << " " << value(d, m) << " |";
    o << "\n";
  }
  o << "\n";
}

}  // namespace

std::string results_json(const std::vector<DatasetResult>& results, const ZeroShotOptions& opts) {
  using nlohmann::json;
  json j;
  j["options"] = {{"methods", opts.methods}, {"l2_normalize", opts.l2_normalize}, {"knn", opts.knn},
                  {"exact_below", opts.exact_below}, {"seed", opts.seed}};
  j["datasets"] = json::array();
  for (const auto& d : results) {
    json jd = {{"name", d.spec.name}, {"path", d.spec.path},         {"label_key", d.spec.label_key},
               {"batch_key", d.spec.batch_key}, {"n_obs", d.n_obs}, {"n_vars", d.n_vars},
               {"n_dropped", d.n_dropped},       {"n_labels", d.label_names.size()},
               {"n_batches", d.batch_names.size()}};
    if (!d.error.empty()) jd["error"] = d.error;
    jd["methods"] = json::array();
    for (const auto& m : d.methods) {
      json jm = {{"method", m.method}, {"n_dims", m.n_dims}, {"embed_seconds", m.embed_seconds}};
      if (!m.error.empty())
        jm["error"] = m.error;
      else
        jm["metrics"] = m.metrics;
      if (m.error.empty())
        jm["health"] = {{"mean_std", m.health.mean_std},
                        {"spread", m.health.spread},
                        {"participation_ratio", m.health.participation_ratio},
                        {"mean_cosine", m.health.mean_cosine},
                        {"mean_cosine_centred", m.health.mean_cosine_centred},
                        {"collapse", m.health.collapse}};
      jd["methods"].push_back(jm);
    }
    if (!d.annotation.empty()) {
      jd["annotation"] = json::array();
      for (const auto& a : d.annotation) {
        json ja = {{"method", a.method}, {"output_dir", a.output_dir}, {"seconds", a.seconds}};
        if (!a.error.empty()) {
          ja["error"] = a.error;
        } else {
          ja["cells"] = {{"train", a.n_train}, {"val", a.n_val}, {"test", a.n_test}};
          ja["best_epoch"] = a.best_epoch;
          ja["test"] = {{"n", a.test.n},
                        {"accuracy", a.test.accuracy},
                        {"accuracy_ci95", a.intervals ? json{a.test.accuracy_lo, a.test.accuracy_hi} : json(nullptr)},
                        {"macro_f1", a.test.macro_f1},
                        {"macro_f1_ci95", a.intervals ? json{a.test.macro_f1_lo, a.test.macro_f1_hi} : json(nullptr)},
                        {"balanced_accuracy", a.test.balanced_accuracy},
                        {"macro_precision", a.test.macro_precision},
                        {"macro_recall", a.test.macro_recall}};
        }
        jd["annotation"].push_back(ja);
      }
    }
    j["datasets"].push_back(jd);
  }
  return j.dump(2) + "\n";
}

std::string results_markdown(const std::vector<DatasetResult>& results) {
  const auto methods = method_names(results);
  const auto annotation = annotation_method_names(results);
  std::ostringstream o;
  if (!methods.empty()) {
  o << "# Zero-shot benchmark (scib metrics)\n\n";
  o << "overall = 0.6 AvgBio + 0.4 AvgBatch; AvgBio = mean(NMI, ARI, ASW_label); "
       "AvgBatch = mean(ASW_batch, graph_conn).\n\n";
  }
  for (const auto& metric : kMetrics) {
    if (methods.empty()) break;
    o << "## " << metric.name << "\n\n";
    method_table(o, results, methods, [&](const DatasetResult& d, const std::string& m) { return cell(d, m, metric.field); });
  }
  if (!methods.empty()) {
    o << "## Embedding health\n\neffective rank (participation ratio of the covariance) / spread (between-cell std "
         "over the norm of the mean vector); a collapsed embedding is marked.\n\n";
    method_table(o, results, methods, health_cell);
  }
  if (!annotation.empty()) {
    o << "# Cell-type annotation (fine-tuned; test cells)\n\n"
         "Each method is trained on the dataset's train split (validation picks the epoch) and scored on its "
         "test split; 95% bootstrap intervals.\n\n";
    for (const bool f1 : {false, true}) {
      o << "## " << (f1 ? "macro F1" : "accuracy") << "\n\n| dataset | split |";
      for (const auto& m : annotation) o << " " << m << " |";
      o << "\n|---|---|";
      for (size_t i = 0; i < annotation.size(); ++i) o << "---|";
      o << "\n";
      for (const auto& d : results) {
        if (d.annotation.empty() && d.error.empty()) continue;
        const auto& sp = d.spec.split;
        const std::string split = sp.mode == "column" ? fmt::format("{} (test {})", sp.column, fmt::join(sp.test_values, ", "))
                                                      : sp.mode;
        o << "| " << d.spec.name << " | " << split << " |";
        for (const auto& m : annotation) o << " " << annotation_cell(d, m, f1) << " |";
        o << "\n";
      }
      o << "\n";
    }
  }
  bool any_error = false;
  for (const auto& d : results) {
    if (!d.error.empty()) {
      if (!any_error) o << "## Errors\n\n";
      any_error = true;
      o << "- " << d.spec.name << ": " << d.error << "\n";
    }
    for (const auto& a : d.annotation)
      if (!a.error.empty()) {
        if (!any_error) o << "## Errors\n\n";
        any_error = true;
        o << "- " << d.spec.name << " / annotation " << a.method << ": " << a.error << "\n";
      }
    for (const auto& m : d.methods)
      if (!m.error.empty()) {
        if (!any_error) o << "## Errors\n\n";
        any_error = true;
        o << "- " << d.spec.name << " / " << m.method << ": " << m.error << "\n";
      }
  }
  return o.str();
}

std::string report_html(const std::vector<DatasetResult>& results, const ZeroShotOptions& opts) {
  const auto methods = method_names(results);
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>bmfm benchmark</title>\n"
       "<style>body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0 20px}"
       "th,td{border:1px solid #ccc;padding:4px 10px;text-align:right}th:first-child,td:first-child{text-align:left}"
       "th{background:#f3f3f3}.err{color:#b00}.plots{display:flex;flex-wrap:wrap;gap:12px}"
       "h2{margin-top:32px;border-bottom:1px solid #ddd}</style></head><body>\n";
  o << "<h1>bmfm benchmark</h1>\n<p>scib metrics: overall = 0.6&nbsp;AvgBio + 0.4&nbsp;AvgBatch. "
    << (opts.l2_normalize ? "Embeddings L2-normalised before scoring. " : "") << "kNN: " << html_escape(opts.knn)
    << ", 15 neighbours including the cell itself.</p>\n";
  // One table: a row per (dataset, method), a column per metric.
  if (!methods.empty()) {
  o << "<table><tr><th>dataset</th><th>method</th>";
  for (const auto& metric : kMetrics) o << "<th>" << metric.name << "</th>";
  o << "<th>effective rank / spread</th><th>dims</th><th>seconds</th></tr>\n";
  for (const auto& d : results) {
    for (const auto& m : methods) {
      const MethodResult* mr = find_method(d, m);
      if (!mr && d.error.empty()) continue;
      o << "<tr><td>" << html_escape(d.spec.name) << "</td><td>" << html_escape(m) << "</td>";
      for (const auto& metric : kMetrics) {
        std::string c = cell(d, m, metric.field);
        o << (c == "error" ? "<td class=\"err\">" : "<td>") << c << "</td>";
      }
      if (mr && mr->error.empty() && d.error.empty())
        o << fmt::format("<td{}>{}</td><td>{}</td><td>{:.1f}</td>",
                         mr->health.collapse.empty() ? "" : " class=\"err\" title=\"" + html_escape(mr->health.collapse) + "\"",
                         health_cell(d, m), mr->n_dims, mr->embed_seconds + mr->metrics.times.total_s);
      else
        o << "<td></td><td></td><td></td>";
      o << "</tr>\n";
      if (!d.error.empty()) break;
    }
  }
  o << "</table>\n";
  }
  const auto annotation = annotation_method_names(results);
  if (!annotation.empty()) {
    o << "<h2>Cell-type annotation (fine-tuned, test cells)</h2>\n<table><tr><th>dataset</th><th>method</th>"
         "<th>accuracy [95% CI]</th><th>macro F1 [95% CI]</th><th>balanced accuracy</th><th>train / val / test cells</th>"
         "<th>seconds</th></tr>\n";
    for (const auto& d : results)
      for (const auto& a : d.annotation) {
        o << "<tr><td>" << html_escape(d.spec.name) << "</td><td>" << html_escape(a.method) << "</td>";
        if (!a.error.empty())
          o << "<td class=\"err\" colspan=\"4\">" << html_escape(a.error) << "</td>";
        else
          o << "<td>" << annotation_cell(d, a.method, false) << "</td><td>" << annotation_cell(d, a.method, true)
            << fmt::format("</td><td>{:.4f}</td><td>{} / {} / {}</td>", a.test.balanced_accuracy, a.n_train, a.n_val,
                           a.n_test);
        o << fmt::format("<td>{:.1f}</td></tr>\n", a.seconds);
      }
    o << "</table>\n";
  }
  for (const auto& d : results) {
    if (d.methods.empty() && d.error.empty()) continue;  // annotation only: the table above says it all
    o << "<h2>" << html_escape(d.spec.name) << "</h2>\n";
    if (!d.error.empty()) {
      o << "<p class=\"err\">" << html_escape(d.error) << "</p>\n";
      continue;
    }
    o << fmt::format("<p>{} cells ({} without label/batch dropped), {} genes; {} cell types ({}), {} batches ({}).</p>\n",
                     d.labels.size(), d.n_dropped, d.n_vars, d.label_names.size(), html_escape(d.spec.label_key),
                     d.batch_names.size(), html_escape(d.spec.batch_key));
    for (const auto& m : d.methods) {
      o << "<h3>" << html_escape(m.method) << "</h3>\n";
      if (!m.error.empty()) {
        o << "<p class=\"err\">" << html_escape(m.error) << "</p>\n";
        continue;
      }
      if (m.umap.empty()) continue;
      o << "<div class=\"plots\">";
      ScatterSpec s;
      s.xy = m.umap.data();
      s.n_obs = static_cast<int64_t>(d.labels.size());
      s.seed = opts.seed;
      s.title = m.method + ": " + d.spec.label_key;
      s.codes = d.labels.data();
      s.categories = d.label_names;
      o << svg_scatter(s);
      s.title = m.method + ": " + d.spec.batch_key;
      s.codes = d.batches.data();
      s.categories = d.batch_names;
      o << svg_scatter(s);
      o << "</div>\n";
    }
  }
  o << "</body></html>\n";
  return o.str();
}

}  // namespace bmfm::eval

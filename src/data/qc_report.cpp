// The QC report: what each rule removed, before/after counts and per-cell
// metric distributions, as JSON (for scripts) and Markdown (for people).
#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bmfm/data/qc.h"

namespace bmfm::data {

namespace {

const std::vector<std::string>& report_metrics() {
  static const std::vector<std::string> m = {"total_counts", "n_genes_by_counts", "pct_counts_mt", "pct_counts_ribo"};
  return m;
}

std::vector<double> metric_values(const QcResult& r, const std::string& metric, bool kept_only) {
  if (!kept_only) return r.metrics.values(metric);
  const std::vector<int64_t> rows = r.kept_cells();
  return rows.empty() ? std::vector<double>{} : r.metrics.values(metric, rows);
}

nlohmann::json summary(const std::vector<double>& v) {
  nlohmann::json j;
  j["n"] = v.size();
  if (v.empty()) return j;
  double sum = 0;
  for (double x : v) sum += x;
  j["min"] = *std::min_element(v.begin(), v.end());
  j["q1"] = percentile_linear(v, 25);
  j["median"] = percentile_linear(v, 50);
  j["q3"] = percentile_linear(v, 75);
  j["max"] = *std::max_element(v.begin(), v.end());
  j["mean"] = sum / static_cast<double>(v.size());
  return j;
}

// Equal-width bins over [min, max]; the last bin is closed.
struct Histogram {
  std::vector<double> edges;
  std::vector<int64_t> counts;
};

Histogram histogram(const std::vector<double>& v, int n_bins) {
  Histogram h;
  if (v.empty() || n_bins < 1) return h;
  const double lo = *std::min_element(v.begin(), v.end()), hi = *std::max_element(v.begin(), v.end());
  const int bins = lo == hi ? 1 : n_bins;
  for (int i = 0; i <= bins; ++i) h.edges.push_back(lo == hi ? lo + i : lo + (hi - lo) * i / bins);
  h.counts.assign(static_cast<size_t>(bins), 0);
  for (double x : v) {
    int b = lo == hi ? 0 : static_cast<int>((x - lo) / (hi - lo) * bins);
    ++h.counts[static_cast<size_t>(std::clamp(b, 0, bins - 1))];
  }
  return h;
}

std::string fmt_num(double v) {
  if (std::isnan(v)) return "nan";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{:.4g}", v);
}

}  // namespace

std::string text_histogram(const std::vector<double>& values, int n_bins, int width) {
  Histogram h = histogram(values, n_bins);
  if (h.counts.empty()) return "  (no cells)\n";
  const int64_t top = *std::max_element(h.counts.begin(), h.counts.end());
  std::string out;
  for (size_t b = 0; b < h.counts.size(); ++b) {
    const int bar = top > 0 ? static_cast<int>(std::lround(static_cast<double>(h.counts[b]) * width / top)) : 0;
    out += fmt::format("  {:>10} .. {:<10} {:>8} {}\n", fmt_num(h.edges[b]), fmt_num(h.edges[b + 1]), h.counts[b],
                       std::string(static_cast<size_t>(h.counts[b] > 0 ? std::max(bar, 1) : 0), '#'));
  }
  return out;
}

std::string qc_report_json(const QcResult& r, const QcConfig& cfg, const QcReportContext& ctx) {
  nlohmann::json j;
  j["format"] = "bmfm-qc-report";
  j["version"] = 1;
  j["input"] = ctx.input;
  j["output"] = ctx.output;
  j["matrix"] = ctx.matrix.empty() ? cfg.matrix : ctx.matrix;
  j["seconds"] = ctx.seconds;
  j["cells"] = {{"before", r.n_obs_before}, {"after", r.n_obs_after()}};
  j["genes"] = {{"before", r.n_vars_before}, {"after", r.n_vars_after()}};
  j["mt_genes"] = r.metrics.n_mt_genes;
  j["ribo_genes"] = r.metrics.n_ribo_genes;
  j["matrix_holds_counts"] = r.metrics.not_counts.empty();
  if (!r.metrics.not_counts.empty()) j["not_counts"] = r.metrics.not_counts;
  j["rules"] = nlohmann::json::array();
  for (size_t i = 0; i < r.rules.size(); ++i) {
    const auto& o = r.rules[i];
    j["rules"].push_back({{"step", i + 1},
                          {"name", o.name},
                          {"axis", o.axis},
                          {"setting", o.setting},
                          {"removed", o.removed},
                          {"remaining", o.remaining}});
  }
  j["iqr"] = nlohmann::json::array();
  for (const auto& b : r.iqr)
    j["iqr"].push_back({{"metric", b.metric},
                        {"k", cfg.iqr.k},
                        {"q1", b.q1},
                        {"q3", b.q3},
                        {"lower", b.lower},
                        {"upper", b.upper},
                        {"outside", b.outside}});
  if (r.sample) {
    const auto& s = *r.sample;
    nlohmann::json sj = {{"method", s.method}, {"before", s.n_before}, {"after", s.n_after}, {"target", s.target}};
    sj["strata"] = nlohmann::json::array();
    for (size_t g = 0; g < s.strata_names.size(); ++g)
      sj["strata"].push_back({{"name", s.strata_names[g]}, {"before", s.strata_before[g]}, {"after", s.strata_after[g]}});
    j["sample"] = sj;
  }
  for (const auto& metric : report_metrics()) {
    const auto before = metric_values(r, metric, false), after = metric_values(r, metric, true);
    const Histogram h = histogram(after, 20);
    j["metrics"][metric] = {{"before", summary(before)},
                            {"after", summary(after)},
                            {"histogram_after", {{"edges", h.edges}, {"counts", h.counts}}}};
  }
  return j.dump(2) + "\n";
}

std::string qc_report_markdown(const QcResult& r, const QcConfig& cfg, const QcReportContext& ctx) {
  std::string md = "# QC report\n\n";
  md += fmt::format("- input: `{}` ({})\n", ctx.input, ctx.matrix.empty() ? cfg.matrix : ctx.matrix);
  if (!ctx.output.empty()) md += fmt::format("- output: `{}`\n", ctx.output);
  md += fmt::format("- cells: {} -> {} ({} removed)\n", r.n_obs_before, r.n_obs_after(), r.n_obs_before - r.n_obs_after());
  md += fmt::format("- genes: {} -> {} ({} removed)\n", r.n_vars_before, r.n_vars_after(),
                    r.n_vars_before - r.n_vars_after());
  md += fmt::format("- mitochondrial genes: {}, ribosomal genes: {}\n", r.metrics.n_mt_genes, r.metrics.n_ribo_genes);
  if (!r.metrics.not_counts.empty())
    md += fmt::format("- **warning**: the matrix does not hold raw counts ({})\n", r.metrics.not_counts);
  if (ctx.seconds > 0)
    md += fmt::format("- QC time (metrics and rules, before writing): {:.2f} s ({:.0f} cells/s)\n", ctx.seconds,
                      static_cast<double>(r.n_obs_before) / ctx.seconds);
  md += "\n## Rules, in the order applied\n\n";
  if (r.rules.empty()) {
    md += "No rule is enabled: the metrics are computed and nothing is removed.\n";
  } else {
    md += "| step | rule | on | setting | removed | remaining |\n|---:|---|---|---|---:|---:|\n";
    for (size_t i = 0; i < r.rules.size(); ++i) {
      const auto& o = r.rules[i];
      md += fmt::format("| {} | {} | {} | {} | {} | {} |\n", i + 1, o.name, o.axis, o.setting, o.removed, o.remaining);
    }
  }
  if (!r.iqr.empty()) {
    md += fmt::format("\n## IQR bounds (k = {}; numpy linear-interpolation quartiles)\n\n", cfg.iqr.k);
    md += "| metric | Q1 | Q3 | lower | upper | cells outside |\n|---|---:|---:|---:|---:|---:|\n";
    for (const auto& b : r.iqr)
      md += fmt::format("| {} | {:.6g} | {:.6g} | {:.6g} | {:.6g} | {} |\n", b.metric, b.q1, b.q3, b.lower, b.upper,
                        b.outside);
  }
  if (r.sample && !r.sample->strata_names.empty()) {
    const auto& s = *r.sample;
    md += fmt::format("\n## Sampling: {} ({} -> {} cells, {} strata)\n\n", s.method, s.n_before, s.n_after,
                      s.strata_names.size());
    md += "| stratum | before | after |\n|---|---:|---:|\n";
    const size_t shown = std::min<size_t>(s.strata_names.size(), 200);
    for (size_t g = 0; g < shown; ++g)
      md += fmt::format("| {} | {} | {} |\n", s.strata_names[g], s.strata_before[g], s.strata_after[g]);
    if (shown < s.strata_names.size())
      md += fmt::format("\n({} more strata in qc_report.json)\n", s.strata_names.size() - shown);
  }
  md += "\n## Per-cell metrics\n\n| metric | cells | min | Q1 | median | Q3 | max |\n|---|---|---:|---:|---:|---:|---:|\n";
  for (const auto& metric : report_metrics())
    for (bool kept : {false, true}) {
      const auto v = metric_values(r, metric, kept);
      if (v.empty()) {
        md += fmt::format("| {} | {} (0) | | | | | |\n", metric, kept ? "kept" : "all");
        continue;
      }
      md += fmt::format("| {} | {} ({}) | {} | {} | {} | {} | {} |\n", metric, kept ? "kept" : "all", v.size(),
                        fmt_num(*std::min_element(v.begin(), v.end())), fmt_num(percentile_linear(v, 25)),
                        fmt_num(percentile_linear(v, 50)), fmt_num(percentile_linear(v, 75)),
                        fmt_num(*std::max_element(v.begin(), v.end())));
    }
  for (const auto& metric : report_metrics())
    for (bool kept : {false, true})
      md += fmt::format("\n### {} ({} cells)\n\n```\n{}```\n", metric, kept ? "kept" : "all",
                        text_histogram(metric_values(r, metric, kept)));
  return md;
}

}  // namespace bmfm::data

// Benchmark outputs: results.json (everything, machine-readable), results.md
// (the paper's layout: one table per metric, rows = datasets, columns =
// methods) and report.html (one self-contained page: the tables plus, per
// dataset and method, UMAPs coloured by cell type and by batch as inline SVG).
#pragma once

#include <string>
#include <vector>

#include "bmfm/eval/benchmark.h"

namespace bmfm::eval {

std::string results_json(const std::vector<DatasetResult>& results, const ZeroShotOptions& opts);
std::string results_markdown(const std::vector<DatasetResult>& results);
std::string report_html(const std::vector<DatasetResult>& results, const ZeroShotOptions& opts);

}  // namespace bmfm::eval

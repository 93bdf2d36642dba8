#include "bmfm/train/metric_log.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace bmfm::train {
namespace fs = std::filesystem;
namespace {
constexpr const char* kCsvHeader = "step,epoch,split,time,metric,value\n";

void put(std::FILE* f, const std::string& s, const std::string& what) {
  if (std::fwrite(s.data(), 1, s.size(), f) != s.size() || std::fflush(f) != 0)
    throw std::runtime_error("metrics: write to " + what + " failed");
}
}  // namespace

MetricLog::MetricLog(const std::string& dir, bool append) : dir_(dir), start_(std::chrono::steady_clock::now()) {
  fs::create_directories(dir_);
  open(append);
}

MetricLog::~MetricLog() {
  if (jsonl_) std::fclose(jsonl_);
  if (csv_) std::fclose(csv_);
}

void MetricLog::open(bool append) {
  const std::string j = dir_ + "/metrics.jsonl", c = dir_ + "/metrics.csv";
  const bool had_csv = append && fs::exists(c) && fs::file_size(c) > 0;
  jsonl_ = std::fopen(j.c_str(), append ? "ab" : "wb");
  csv_ = std::fopen(c.c_str(), append ? "ab" : "wb");
  if (!jsonl_ || !csv_) throw std::runtime_error("metrics: cannot open " + j + " / " + c);
  if (!had_csv) put(csv_, kCsvHeader, c);
}

void MetricLog::write(int64_t step, int64_t epoch, const std::string& split,
                      const std::vector<std::pair<std::string, double>>& values) {
  const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  nlohmann::ordered_json j;
  j["step"] = step;
  j["epoch"] = epoch;
  j["split"] = split;
  j["time"] = t;
  std::string csv;
  for (const auto& [k, v] : values) {
    j[k] = std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json();
    csv += fmt::format("{},{},{},{:.3f},{},{}\n", step, epoch, split, t, k, v);  // fmt writes nan / inf
  }
  put(jsonl_, j.dump() + "\n", "metrics.jsonl");
  put(csv_, csv, "metrics.csv");
}

void MetricLog::truncate_after(int64_t step) {
  std::fclose(jsonl_);
  std::fclose(csv_);
  jsonl_ = csv_ = nullptr;
  auto filter = [&](const std::string& name, auto&& keep) {
    const std::string path = dir_ + "/" + name, tmp = path + ".tmp";
    std::ifstream in(path);
    std::ofstream out(tmp);
    std::string line;
    for (bool first = true; std::getline(in, line); first = false)
      if (keep(line, first)) out << line << '\n';
    out.flush();
    if (!out) throw std::runtime_error("metrics: cannot rewrite " + path);
    fs::rename(tmp, path);
  };
  filter("metrics.jsonl", [&](const std::string& line, bool) {
    return !line.empty() && nlohmann::json::parse(line).value("step", int64_t{0}) <= step;
  });
  filter("metrics.csv", [&](const std::string& line, bool first) {
    return first || std::stoll(line.substr(0, line.find(','))) <= step;
  });
  open(/*append=*/true);
}

}  // namespace bmfm::train

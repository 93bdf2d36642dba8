// Training metrics as files other tools read directly: metrics.jsonl (one
// JSON object per log line: step, epoch, split, time, then the metrics; NaN
// and inf as null) and metrics.csv (long format: step,epoch,split,time,metric,value,
// so metrics that appear later need no new columns).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace bmfm::train {

class MetricLog {
 public:
  // append = false starts fresh files; true continues them (a resumed run).
  MetricLog(const std::string& dir, bool append);
  ~MetricLog();
  MetricLog(const MetricLog&) = delete;
  MetricLog& operator=(const MetricLog&) = delete;

  void write(int64_t step, int64_t epoch, const std::string& split,
             const std::vector<std::pair<std::string, double>>& values);
  // Drops lines with step > `step` (a resumed run redoes those steps); the
  // files are rewritten via temp + rename.
  void truncate_after(int64_t step);

 private:
  void open(bool append);
  std::string dir_;
  std::FILE* jsonl_ = nullptr;
  std::FILE* csv_ = nullptr;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace bmfm::train

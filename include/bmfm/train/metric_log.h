// Training metrics as two plain files in the run folder, for tools without a
// TensorBoard reader (pandas, jq, a spreadsheet):
//   metrics.jsonl  one object per write: {"step":..,"epoch":..,"split":..,"time":..,"<metric>":..}
//   metrics.csv    long format, one row per metric: step,epoch,split,time,metric,value
// The CSV is long rather than wide because new metric names appear mid-run
// (the first validation, a metric switched on later) and a wide header fixed
// at the first row could not hold them. JSON has no NaN, so non-finite values
// are null in JSONL; the CSV writes nan / inf / -inf as pandas reads them.
// Every write is flushed, so a crash loses at most the line being written.
// Torch-free: usable from any command.
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
  // Creates `dir` if needed. `append` = false starts both files afresh;
  // true keeps what a previous run wrote (a resumed run then calls
  // truncate_after with its checkpoint step). A line torn by a crash at the
  // end of a file is cut off before appending. Throws std::runtime_error
  // naming the file when it cannot be opened.
  MetricLog(const std::string& dir, bool append = false);
  ~MetricLog();
  MetricLog(const MetricLog&) = delete;
  MetricLog& operator=(const MetricLog&) = delete;

  // `split` is "train" / "val" / ...; metric names must not be step, epoch,
  // split or time (std::invalid_argument), which the JSON object already uses.
  void write(int64_t step, int64_t epoch, const std::string& split,
             const std::vector<std::pair<std::string, double>>& values);

  // Drops every line with step > `step` from both files: a run resumed from
  // the checkpoint at `step` redoes those steps and would otherwise log them
  // twice. Each file is rewritten to a temp file and renamed over the old one,
  // so a crash mid-rewrite leaves the old file whole. The `time` column then
  // continues from the last kept line, so resumed runs keep one clock.
  void truncate_after(int64_t step);

  // Seconds the `time` field would show now.
  double elapsed() const;
  const std::string& csv_path() const { return csv_path_; }
  const std::string& jsonl_path() const { return jsonl_path_; }

 private:
  void open(bool append);
  void close();
  std::string csv_path_, jsonl_path_;
  std::FILE* csv_ = nullptr;
  std::FILE* jsonl_ = nullptr;
  std::chrono::steady_clock::time_point start_;
  double time_offset_s_ = 0.0;  // time already logged before a resume
};

}  // namespace bmfm::train

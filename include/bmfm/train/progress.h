// Console progress for long work (training steps, benchmark stages, ...):
//   [benchmark] 7/18  39% | 1.3 it/s | ETA 0:08 | cellbench / pca: metrics
// On a terminal the line is redrawn in place (\r); otherwise (CI logs, files)
// a plain line is written at most every `min_interval_s` and at the end, so
// logs stay readable. Torch-free: usable from any command.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace bmfm::train {

class ProgressBar {
 public:
  // `out` defaults to stderr (nullptr: silent); `interactive` < 0 means "detect with isatty".
  ProgressBar(std::string label, int64_t total, std::FILE* out = stderr, int interactive = -1,
              double min_interval_s = 5.0);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Marks `n` more units done; `status` is shown after the numbers.
  void advance(int64_t n = 1, const std::string& status = "");
  // Changes the status text without advancing.
  void set_status(const std::string& status);
  void finish();

  int64_t done() const { return done_; }
  // The line as it would be printed now (exposed for tests).
  std::string render() const;
  // "1:02:03" / "4:05" for an ETA; "--:--" when unknown.
  static std::string format_duration(double seconds);

 private:
  void draw(bool force);
  std::string label_;
  int64_t total_, done_ = 0;
  std::FILE* out_;
  bool interactive_;
  double min_interval_s_;
  std::string status_, last_line_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool finished_ = false, drawn_ = false;
};

}  // namespace bmfm::train

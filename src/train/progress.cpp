#include "bmfm/train/progress.h"

#include <unistd.h>

#include <cmath>

#include <fmt/format.h>

namespace bmfm::train {

ProgressBar::ProgressBar(std::string label, int64_t total, std::FILE* out, int interactive, double min_interval_s)
    : label_(std::move(label)),
      total_(total),
      out_(out),
      interactive_(out && (interactive < 0 ? isatty(fileno(out)) != 0 : interactive != 0)),
      min_interval_s_(min_interval_s),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() {
  if (!finished_) finish();
}

std::string ProgressBar::format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "--:--";
  const auto t = static_cast<int64_t>(std::llround(s));
  if (t >= 3600) return fmt::format("{}:{:02d}:{:02d}", t / 3600, (t / 60) % 60, t % 60);
  return fmt::format("{}:{:02d}", t / 60, t % 60);
}

std::string ProgressBar::render() const {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
  const double eta = (rate > 0 && total_ > 0) ? static_cast<double>(total_ - done_) / rate : NAN;
  std::string line = fmt::format("[{}] {}", label_, done_);
  if (total_ > 0) {
    const double frac = static_cast<double>(done_) / static_cast<double>(total_);
    const int width = 20, filled = static_cast<int>(frac * width);
    line += fmt::format("/{} {:3.0f}% {}{}", total_, 100.0 * frac, std::string(static_cast<size_t>(filled), '#'),
                        std::string(static_cast<size_t>(width - filled), '.'));
  }
  line += fmt::format(" | {:.3g} it/s | {} {}", rate, finished_ || done_ == total_ ? "took" : "ETA",
                      finished_ || done_ == total_ ? format_duration(elapsed) : format_duration(eta));
  if (!status_.empty()) line += " | " + status_;
  return line;
}

void ProgressBar::draw(bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (!out_) return;  // a silent bar (e.g. on ranks other than 0)
  const double since = std::chrono::duration<double>(now - last_draw_).count();
  if (!force && !interactive_ && drawn_ && since < min_interval_s_) return;
  if (!force && interactive_ && drawn_ && since < 0.1) return;  // redraw at most 10 times a second
  const std::string line = render();
  if (force && !interactive_ && line == last_line_) return;  // the end was already printed
  last_draw_ = now;
  drawn_ = true;
  last_line_ = line;
  if (interactive_)
    std::fprintf(out_, "\r\033[K%s", line.c_str());
  else
    std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
}

void ProgressBar::advance(int64_t n, const std::string& status) {
  done_ += n;
  if (!status.empty()) status_ = status;
  draw(false);
}

void ProgressBar::set_status(const std::string& status) {
  status_ = status;
  draw(false);
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  draw(true);
  if (!out_) return;
  if (interactive_) std::fprintf(out_, "\n");
  std::fflush(out_);
}

}  // namespace bmfm::train

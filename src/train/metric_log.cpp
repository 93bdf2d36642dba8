#include "bmfm/train/metric_log.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace bmfm::train {

namespace {

constexpr const char* kCsvHeader = "step,epoch,split,time,metric,value";

bool is_reserved(const std::string& name) {
  return name == "step" || name == "epoch" || name == "split" || name == "time";
}

// RFC 4180: quote a field only when it holds a separator, quote or newline.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// Spelled the way pandas.read_csv parses them; fmt would write "-nan" for a
// NaN with its sign bit set.
std::string csv_number(double v) {
  if (std::isnan(v)) return "nan";
  return fmt::format("{}", v);
}

// Milliseconds are plenty for a wall clock and keep the files short.
double round_ms(double s) { return std::round(s * 1000.0) / 1000.0; }

std::FILE* open_or_throw(const std::string& path, const char* mode) {
  std::FILE* f = std::fopen(path.c_str(), mode);
  if (!f) throw std::runtime_error("metric log: cannot open " + path + ": " + std::strerror(errno));
  return f;
}

// A crash mid-write can leave a last line without its newline; appending to
// it would glue the next line on. Cut the file back to its last newline.
void drop_torn_tail(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec || size == 0) return;
  std::ifstream in(path, std::ios::binary);
  uintmax_t keep = size;
  char c = 0;
  while (keep > 0) {
    in.seekg(static_cast<std::streamoff>(keep - 1));
    if (!in.get(c) || c == '\n') break;
    --keep;
  }
  if (keep != size) fs::resize_file(path, keep);
}

// Keeps the complete lines of `path` that `keep` accepts, by writing them to
// <path>.tmp and renaming that over `path` (atomic on POSIX).
void rewrite_lines(const std::string& path, const std::function<bool(const std::string&)>& keep) {
  if (!fs::exists(path)) return;
  const std::string tmp = path + ".tmp";
  {
    std::ifstream in(path, std::ios::binary);
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!in || !out) throw std::runtime_error("metric log: cannot rewrite " + path + " via " + tmp);
    std::string line;
    while (std::getline(in, line)) {
      if (in.eof()) break;  // no newline after it: torn by a crash
      if (keep(line)) out << line << '\n';
    }
    out.flush();
    if (!out) throw std::runtime_error("metric log: cannot write " + tmp);
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw std::runtime_error("metric log: cannot move " + tmp + " over " + path + ": " + ec.message());
  }
}

}  // namespace

MetricLog::MetricLog(const std::string& dir, bool append)
    : csv_path_((fs::path(dir) / "metrics.csv").string()),
      jsonl_path_((fs::path(dir) / "metrics.jsonl").string()),
      start_(std::chrono::steady_clock::now()) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("metric log: cannot create folder " + dir + ": " + ec.message());
  open(append);
}

MetricLog::~MetricLog() { close(); }

void MetricLog::open(bool append) {
  if (append) {
    drop_torn_tail(csv_path_);
    drop_torn_tail(jsonl_path_);
  }
  std::error_code ec;
  const bool csv_has_header = append && fs::file_size(csv_path_, ec) > 0 && !ec;
  csv_ = open_or_throw(csv_path_, append ? "a" : "w");
  jsonl_ = open_or_throw(jsonl_path_, append ? "a" : "w");
  if (!csv_has_header) {
    std::fprintf(csv_, "%s\n", kCsvHeader);
    std::fflush(csv_);
  }
}

void MetricLog::close() {
  if (csv_) std::fclose(csv_);
  if (jsonl_) std::fclose(jsonl_);
  csv_ = jsonl_ = nullptr;
}

double MetricLog::elapsed() const {
  return time_offset_s_ + std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void MetricLog::write(int64_t step, int64_t epoch, const std::string& split,
                      const std::vector<std::pair<std::string, double>>& values) {
  const double time = round_ms(elapsed());
  // ordered_json keeps step/epoch/split/time first, as a reader scans them.
  nlohmann::ordered_json j;
  j["step"] = step;
  j["epoch"] = epoch;
  j["split"] = split;
  j["time"] = time;
  std::string rows;
  const std::string prefix = fmt::format("{},{},{},{:.3f},", step, epoch, csv_field(split), time);
  for (const auto& [name, value] : values) {
    if (is_reserved(name))
      throw std::invalid_argument("metric log: metric name '" + name +
                                  "' clashes with a fixed column (step, epoch, split, time); rename the metric");
    j[name] = std::isfinite(value) ? nlohmann::ordered_json(value) : nlohmann::ordered_json(nullptr);
    rows += prefix + csv_field(name) + "," + csv_number(value) + "\n";
  }
  // `replace` turns a stray invalid UTF-8 byte in a name into U+FFFD instead
  // of throwing mid-training.
  const std::string line = j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  const bool ok = std::fputs(line.c_str(), jsonl_) >= 0 && std::fputs(rows.c_str(), csv_) >= 0 &&
                  std::fflush(jsonl_) == 0 && std::fflush(csv_) == 0;
  if (!ok) throw std::runtime_error("metric log: cannot write " + csv_path_ + " / " + jsonl_path_ + ": " +
                                    std::strerror(errno));
}

void MetricLog::truncate_after(int64_t step) {
  close();
  double last_time = 0.0;
  rewrite_lines(jsonl_path_, [&](const std::string& line) {
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object() || !j.contains("step") || !j["step"].is_number_integer()) return false;
    if (j["step"].get<int64_t>() > step) return false;
    if (j.contains("time") && j["time"].is_number()) last_time = std::max(last_time, j["time"].get<double>());
    return true;
  });
  rewrite_lines(csv_path_, [&](const std::string& line) {
    if (line == kCsvHeader) return true;
    char* end = nullptr;
    errno = 0;
    const long long row_step = std::strtoll(line.c_str(), &end, 10);
    return errno == 0 && end != line.c_str() && *end == ',' && row_step <= step;
  });
  time_offset_s_ = last_time;
  start_ = std::chrono::steady_clock::now();
  open(/*append=*/true);
}

}  // namespace bmfm::train

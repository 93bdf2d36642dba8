#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bmfm/train/metric_log.h"
#include "test_util.h"

using bmfm::train::MetricLog;
using nlohmann::json;

namespace {

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> fields(1);
  for (char c : line) {
    if (c == ',')
      fields.emplace_back();
    else
      fields.back() += c;
  }
  return fields;
}

std::vector<int64_t> jsonl_steps(const std::string& path) {
  std::vector<int64_t> steps;
  for (const auto& line : lines_of(path)) steps.push_back(json::parse(line)["step"].get<int64_t>());
  return steps;
}

std::vector<int64_t> csv_steps(const std::string& path) {
  std::vector<int64_t> steps;
  const auto lines = lines_of(path);
  for (size_t i = 1; i < lines.size(); ++i) steps.push_back(std::stoll(split_csv(lines[i])[0]));
  return steps;
}

void append_raw(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::app | std::ios::binary) << text;
}

}  // namespace

TEST(MetricLog, JsonlLineHasFixedFieldsFirstAndNullForNonFinite) {
  const std::string dir = bmfm::test::temp_dir("mlog_json");
  MetricLog log(dir);
  log.write(10, 0, "train", {{"loss", 1.5}, {"lr", 1e-4}, {"grad_norm", NAN}, {"ppl", INFINITY}});
  const auto lines = lines_of(log.jsonl_path());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind("{\"step\":10,\"epoch\":0,\"split\":\"train\",\"time\":", 0), 0u) << lines[0];
  const json j = json::parse(lines[0]);
  EXPECT_EQ(j["step"], 10);
  EXPECT_EQ(j["epoch"], 0);
  EXPECT_EQ(j["split"], "train");
  EXPECT_GE(j["time"].get<double>(), 0.0);
  EXPECT_LT(j["time"].get<double>(), 60.0);
  EXPECT_EQ(j["loss"], 1.5);
  EXPECT_EQ(j["lr"], 1e-4);
  EXPECT_TRUE(j["grad_norm"].is_null());
  EXPECT_TRUE(j["ppl"].is_null());
}

TEST(MetricLog, CsvIsLongFormatOneRowPerMetric) {
  const std::string dir = bmfm::test::temp_dir("mlog_csv");
  MetricLog log(dir);
  log.write(1, 0, "train", {{"loss", 0.25}, {"acc", -NAN}, {"big", -INFINITY}});
  log.write(2, 1, "val", {{"a,b \"q\"", 3.0}});
  const auto lines = lines_of(log.csv_path());
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0], "step,epoch,split,time,metric,value");
  const auto row = split_csv(lines[1]);
  ASSERT_EQ(row.size(), 6u);
  EXPECT_EQ(row[0], "1");
  EXPECT_EQ(row[1], "0");
  EXPECT_EQ(row[2], "train");
  EXPECT_GE(std::stod(row[3]), 0.0);
  EXPECT_EQ(row[4], "loss");
  EXPECT_EQ(row[5], "0.25");
  EXPECT_EQ(split_csv(lines[2])[5], "nan");  // not "-nan"
  EXPECT_EQ(split_csv(lines[3])[5], "-inf");
  // A name with a comma or quote is quoted the RFC 4180 way.
  EXPECT_NE(lines[4].find(",\"a,b \"\"q\"\"\",3"), std::string::npos) << lines[4];
  EXPECT_EQ(lines[4].rfind("2,1,val,", 0), 0u);
}

TEST(MetricLog, ReservedMetricNameThrows) {
  MetricLog log(bmfm::test::temp_dir("mlog_reserved"));
  const auto msg = bmfm::test::error_of<std::invalid_argument>([&] { log.write(1, 0, "train", {{"time", 1.0}}); });
  EXPECT_NE(msg.find("'time'"), std::string::npos) << msg;
}

TEST(MetricLog, FreshLogReplacesOldFilesAppendKeepsThem) {
  const std::string dir = bmfm::test::temp_dir("mlog_append");
  { MetricLog(dir).write(1, 0, "train", {{"loss", 1.0}}); }
  { MetricLog(dir, /*append=*/true).write(2, 0, "train", {{"loss", 0.5}}); }
  EXPECT_EQ(jsonl_steps(dir + "/metrics.jsonl"), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(csv_steps(dir + "/metrics.csv"), (std::vector<int64_t>{1, 2}));  // one header
  { MetricLog(dir).write(3, 0, "train", {{"loss", 0.1}}); }
  EXPECT_EQ(jsonl_steps(dir + "/metrics.jsonl"), (std::vector<int64_t>{3}));
  EXPECT_EQ(csv_steps(dir + "/metrics.csv"), (std::vector<int64_t>{3}));
}

TEST(MetricLog, TruncateAfterDropsLaterStepsAndContinuesClock) {
  const std::string dir = bmfm::test::temp_dir("mlog_trunc");
  {
    MetricLog log(dir);
    for (int64_t s = 1; s <= 5; ++s) log.write(s, 0, s % 2 ? "train" : "val", {{"loss", 1.0 / s}, {"x", 2.0}});
  }
  // Pretend the run before had been going for an hour at step 3.
  {
    std::vector<std::string> kept;
    for (auto line : lines_of(dir + "/metrics.jsonl")) {
      json j = json::parse(line);
      j["time"] = 3600.0 + j["step"].get<double>();
      kept.push_back(j.dump());
    }
    std::ofstream out(dir + "/metrics.jsonl", std::ios::trunc);
    for (const auto& l : kept) out << l << '\n';
  }
  MetricLog log(dir, /*append=*/true);
  log.truncate_after(3);
  EXPECT_EQ(jsonl_steps(log.jsonl_path()), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(csv_steps(log.csv_path()), (std::vector<int64_t>{1, 1, 2, 2, 3, 3}));
  EXPECT_FALSE(std::filesystem::exists(log.csv_path() + ".tmp"));
  EXPECT_GE(log.elapsed(), 3603.0);

  log.write(4, 0, "val", {{"loss", 0.2}});
  EXPECT_EQ(jsonl_steps(log.jsonl_path()), (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(csv_steps(log.csv_path()), (std::vector<int64_t>{1, 1, 2, 2, 3, 3, 4}));
  EXPECT_GE(json::parse(lines_of(log.jsonl_path()).back())["time"].get<double>(), 3603.0);
  EXPECT_EQ(lines_of(log.csv_path())[0], "step,epoch,split,time,metric,value");
}

TEST(MetricLog, LineTornByCrashIsCutBeforeAppending) {
  const std::string dir = bmfm::test::temp_dir("mlog_torn");
  { MetricLog(dir).write(1, 0, "train", {{"loss", 1.0}}); }
  append_raw(dir + "/metrics.jsonl", "{\"step\":2,\"epo");
  append_raw(dir + "/metrics.csv", "2,0,tra");
  {
    MetricLog log(dir, /*append=*/true);
    log.write(2, 0, "train", {{"loss", 0.5}});
  }
  EXPECT_EQ(jsonl_steps(dir + "/metrics.jsonl"), (std::vector<int64_t>{1, 2}));  // every line parses
  EXPECT_EQ(csv_steps(dir + "/metrics.csv"), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(split_csv(lines_of(dir + "/metrics.csv")[2]).size(), 6u);

  // truncate_after drops a line torn after the log was opened, too.
  MetricLog log(dir, /*append=*/true);
  append_raw(dir + "/metrics.jsonl", "{\"step\":1,\"epo");
  log.truncate_after(10);
  EXPECT_EQ(jsonl_steps(dir + "/metrics.jsonl"), (std::vector<int64_t>{1, 2}));
}

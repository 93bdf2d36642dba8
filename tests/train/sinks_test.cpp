// Metric sinks: CRC-32C against the published check values, a tfevents file
// read back record by record (CRCs verified, protobuf decoded by hand here),
// and the JSONL / CSV files including resume truncation.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "bmfm/train/metric_log.h"
#include "bmfm/train/tensorboard.h"
#include "test_util.h"

namespace bmfm::train {
namespace {

TEST(Crc32c, KnownVectors) {
  // RFC 3720 B.4 / the CRC catalogue's check value.
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
  const char zeros[32] = {};
  EXPECT_EQ(crc32c(zeros, 32), 0x8A9136AAu);
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

uint64_t varint(const std::string& b, size_t& i) {
  uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    const auto c = static_cast<unsigned char>(b[i++]);
    v |= static_cast<uint64_t>(c & 0x7f) << shift;
    if (!(c & 0x80)) return v;
  }
}

TEST(TensorBoard, RecordsHaveValidCrcsAndDecode) {
  const std::string dir = test::temp_dir("tb");
  std::string path;
  {
    TensorBoardWriter w(dir);
    w.add_scalars({{"train/loss", 1.5}, {"train/lr", 0.25}}, 42);
    path = w.path();
  }
  const std::string b = slurp(path);
  size_t pos = 0;
  std::vector<std::string> payloads;
  while (pos < b.size()) {
    uint64_t len;
    uint32_t len_crc, data_crc;
    std::memcpy(&len, b.data() + pos, 8);
    std::memcpy(&len_crc, b.data() + pos + 8, 4);
    ASSERT_EQ(len_crc, masked_crc32c(b.data() + pos, 8));
    const std::string payload = b.substr(pos + 12, len);
    std::memcpy(&data_crc, b.data() + pos + 12 + len, 4);
    ASSERT_EQ(data_crc, masked_crc32c(payload.data(), payload.size()));
    payloads.push_back(payload);
    pos += 12 + len + 4;
  }
  ASSERT_EQ(payloads.size(), 2u);
  EXPECT_NE(payloads[0].find("brain.Event:2"), std::string::npos);
  // Second event: wall_time (1, fixed64), step (2, varint) = 42, summary (5) with two values.
  const std::string& e = payloads[1];
  size_t i = 0;
  EXPECT_EQ(varint(e, i), (1u << 3) | 1);
  i += 8;
  EXPECT_EQ(varint(e, i), (2u << 3) | 0);
  EXPECT_EQ(varint(e, i), 42u);
  EXPECT_EQ(varint(e, i), (5u << 3) | 2);
  const size_t summary_len = varint(e, i), end = i + summary_len;
  std::vector<std::pair<std::string, float>> got;
  while (i < end) {
    EXPECT_EQ(varint(e, i), (1u << 3) | 2);  // Value
    const size_t vlen = varint(e, i), vend = i + vlen;
    EXPECT_EQ(varint(e, i), (1u << 3) | 2);  // tag
    const size_t tlen = varint(e, i);
    std::string tag = e.substr(i, tlen);
    i += tlen;
    EXPECT_EQ(varint(e, i), (2u << 3) | 5);  // simple_value
    float v;
    std::memcpy(&v, e.data() + i, 4);
    i += 4;
    EXPECT_EQ(i, vend);
    got.emplace_back(tag, v);
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (std::pair<std::string, float>{"train/loss", 1.5f}));
  EXPECT_EQ(got[1], (std::pair<std::string, float>{"train/lr", 0.25f}));
}

TEST(MetricLog, JsonlCsvAndTruncateOnResume) {
  const std::string dir = test::temp_dir("metrics");
  {
    MetricLog log(dir, false);
    log.write(10, 0, "train", {{"train/loss", 2.0}, {"train/lr", 0.1}});
    log.write(20, 0, "val", {{"val/loss", std::numeric_limits<double>::quiet_NaN()}});
    log.write(30, 1, "train", {{"train/loss", 1.0}});
  }
  {
    MetricLog log(dir, true);  // resumed at step 20: step 30 is redone
    log.truncate_after(20);
    log.write(30, 1, "train", {{"train/loss", 0.5}});
  }
  std::ifstream j(dir + "/metrics.jsonl");
  std::vector<nlohmann::json> lines;
  for (std::string l; std::getline(j, l);) lines.push_back(nlohmann::json::parse(l));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["train/lr"], 0.1);
  EXPECT_TRUE(lines[1]["val/loss"].is_null());  // NaN is null in JSON
  EXPECT_EQ(lines[2]["step"], 30);
  EXPECT_EQ(lines[2]["train/loss"], 0.5);
  std::ifstream c(dir + "/metrics.csv");
  std::vector<std::string> rows;
  for (std::string l; std::getline(c, l);) rows.push_back(l);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0], "step,epoch,split,time,metric,value");
  EXPECT_EQ(rows[1].substr(0, 9), "10,0,trai");
  EXPECT_NE(rows[3].find(",val/loss,nan"), std::string::npos) << rows[3];
  EXPECT_NE(rows[4].find("30,1,train,"), std::string::npos);
  EXPECT_NE(rows[4].find(",train/loss,0.5"), std::string::npos);
}

}  // namespace
}  // namespace bmfm::train

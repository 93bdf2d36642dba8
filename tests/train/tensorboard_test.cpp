#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bmfm/train/tensorboard.h"
#include "test_util.h"

using bmfm::train::crc32c;
using bmfm::train::masked_crc32c;
using bmfm::train::TensorBoardWriter;

namespace {

// --- a minimal reader, written from the TFRecord / protobuf spec -------------
struct Scalar {
  int64_t step;
  std::string tag;
  float value;
};
struct Event {
  double wall_time = 0;
  int64_t step = 0;
  std::string file_version;
  std::vector<Scalar> scalars;
};

uint64_t le(const std::string& s, size_t pos, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= uint64_t{static_cast<unsigned char>(s.at(pos + i))} << (8 * i);
  return v;
}

uint64_t varint(const std::string& s, size_t& pos) {
  uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    const auto b = static_cast<unsigned char>(s.at(pos++));
    v |= uint64_t{b & 0x7fu} << shift;
    if (!(b & 0x80)) return v;
  }
}

// Calls f(field, wire, varint value, bytes) for each field of a message.
template <class F>
void for_fields(const std::string& msg, F f) {
  size_t pos = 0;
  while (pos < msg.size()) {
    const uint64_t key = varint(msg, pos);
    const int field = static_cast<int>(key >> 3), wire = static_cast<int>(key & 7);
    uint64_t v = 0;
    std::string bytes;
    if (wire == 0) {
      v = varint(msg, pos);
    } else if (wire == 1 || wire == 5) {
      const int n = wire == 1 ? 8 : 4;
      v = le(msg, pos, n);
      pos += n;
    } else if (wire == 2) {
      const auto n = static_cast<size_t>(varint(msg, pos));
      bytes = msg.substr(pos, n);
      pos += n;
    } else {
      FAIL() << "unexpected wire type " << wire;
    }
    f(field, wire, v, bytes);
  }
}

Event decode_event(const std::string& payload) {
  Event e;
  for_fields(payload, [&](int field, int, uint64_t v, const std::string& bytes) {
    if (field == 1) std::memcpy(&e.wall_time, &v, 8);
    if (field == 2) e.step = static_cast<int64_t>(v);
    if (field == 3) e.file_version = bytes;
    if (field != 5) return;
    for_fields(bytes, [&](int, int, uint64_t, const std::string& value_msg) {
      Scalar s{0, "", 0.f};
      for_fields(value_msg, [&](int vf, int, uint64_t vv, const std::string& vb) {
        if (vf == 1) s.tag = vb;
        if (vf == 2) {
          const auto bits = static_cast<uint32_t>(vv);
          std::memcpy(&s.value, &bits, 4);
        }
      });
      e.scalars.push_back(s);
    });
  });
  for (auto& s : e.scalars) s.step = e.step;
  return e;
}

// Reads every record of an event file, checking both CRCs of each.
std::vector<Event> read_events(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<Event> events;
  size_t pos = 0;
  while (pos < data.size()) {
    const uint64_t n = le(data, pos, 8);
    EXPECT_EQ(le(data, pos + 8, 4), masked_crc32c(data.data() + pos, 8)) << "length CRC at byte " << pos;
    const std::string payload = data.substr(pos + 12, n);
    EXPECT_EQ(le(data, pos + 12 + n, 4), masked_crc32c(payload.data(), payload.size())) << "payload CRC at " << pos;
    events.push_back(decode_event(payload));
    pos += 16 + n;
  }
  EXPECT_EQ(pos, data.size());
  return events;
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

TEST(TensorBoard, Crc32cKnownVectors) {
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
  const std::vector<unsigned char> zeros(32, 0x00), ones(32, 0xff);
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
  EXPECT_EQ(crc32c(ones.data(), ones.size()), 0x62A8AB43u);  // RFC 3720 B.4
  EXPECT_EQ(crc32c("", 0), 0u);
  // `init` continues a CRC over more bytes.
  EXPECT_EQ(crc32c("56789", 5, crc32c("1234", 4)), 0xE3069283u);
}

TEST(TensorBoard, MaskedCrcRotatesAndOffsets) {
  const uint32_t c = 0xE3069283u;
  EXPECT_EQ(masked_crc32c("123456789", 9), ((c >> 15) | (c << 17)) + 0xa282ead8u);
}

TEST(TensorBoard, FileNameHasTimestampAndHost) {
  const std::string dir = bmfm::test::temp_dir("tb_name") + "/runs/a";
  const auto before = static_cast<long long>(unix_now());
  TensorBoardWriter tb(dir);
  const std::string name = std::filesystem::path(tb.path()).filename().string();
  ASSERT_EQ(std::filesystem::path(tb.path()).parent_path(), std::filesystem::path(dir));
  ASSERT_EQ(name.rfind("events.out.tfevents.", 0), 0u) << name;
  const long long seconds = std::stoll(name.substr(std::strlen("events.out.tfevents.")));
  EXPECT_GE(seconds, before);
  EXPECT_LE(seconds, before + 5);
  // A second writer in the same second gets its own file.
  TensorBoardWriter other(dir);
  EXPECT_NE(other.path(), tb.path());
}

TEST(TensorBoard, RecordsReadBackWithTagsValuesAndSteps) {
  const std::string dir = bmfm::test::temp_dir("tb_read");
  TensorBoardWriter tb(dir);
  tb.add_scalar("train/loss", 2.5, 1);
  tb.add_scalars({{"val/loss", 1.25}, {"val/acc", 0.875}, {"lr", 1e-4}}, 1000);
  tb.add_scalar("big_step", -3.0, int64_t{1} << 40);
  tb.add_scalar("nan", NAN, 7);
  tb.add_scalars({}, 8);  // nothing to write: no record
  // No close/flush: each add is already on disk.
  const auto events = read_events(tb.path());
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].file_version, "brain.Event:2");
  EXPECT_TRUE(events[0].scalars.empty());
  EXPECT_NEAR(events[0].wall_time, unix_now(), 60.0);

  ASSERT_EQ(events[1].scalars.size(), 1u);
  EXPECT_EQ(events[1].step, 1);
  EXPECT_EQ(events[1].scalars[0].tag, "train/loss");
  EXPECT_EQ(events[1].scalars[0].value, 2.5f);

  ASSERT_EQ(events[2].scalars.size(), 3u);  // one Event, several Values
  EXPECT_EQ(events[2].step, 1000);
  EXPECT_EQ(events[2].scalars[1].tag, "val/acc");
  EXPECT_EQ(events[2].scalars[1].value, 0.875f);
  EXPECT_EQ(events[2].scalars[2].value, 1e-4f);
  EXPECT_GE(events[2].wall_time, events[0].wall_time);

  EXPECT_EQ(events[3].step, int64_t{1} << 40);
  EXPECT_EQ(events[3].scalars[0].value, -3.0f);
  EXPECT_TRUE(std::isnan(events[4].scalars[0].value));
}

TEST(TensorBoard, WriteAfterCloseThrows) {
  TensorBoardWriter tb(bmfm::test::temp_dir("tb_closed"));
  tb.close();
  EXPECT_NE(bmfm::test::error_of<std::runtime_error>([&] { tb.add_scalar("x", 1, 1); }).find("closed"),
            std::string::npos);
}

// A second reader, in Python from the spec, must decode the same scalars.
TEST(TensorBoard, IndependentPythonReaderAgrees) {
  const std::string py = bmfm::test::python3_with("json");
  if (py.empty()) GTEST_SKIP() << "/usr/bin/python3 not found";
  const std::string script = std::string(BMFM_TEST_SOURCE_DIR) + "/tests/train/read_tfevents.py";
  ASSERT_TRUE(std::filesystem::exists(script)) << script;

  const std::string dir = bmfm::test::temp_dir("tb_py");
  const std::vector<std::pair<std::string, double>> vals = {{"a/loss", 0.1}, {"b/ünï", -7.5}, {"c", 3e7}};
  std::string path;
  {
    TensorBoardWriter tb(dir);
    path = tb.path();
    tb.add_scalars(vals, 5);
    tb.add_scalar("neg", 1.0, -2);
    tb.add_scalar("inf", INFINITY, 300);
  }
  std::FILE* p = popen((py + " '" + script + "' '" + path + "'").c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  ASSERT_EQ(pclose(p), 0) << out;

  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["file_version"], "brain.Event:2");
  const auto& s = j["scalars"];
  ASSERT_EQ(s.size(), 5u) << out;
  for (size_t i = 0; i < vals.size(); ++i) {
    EXPECT_EQ(s[i]["step"], 5);
    EXPECT_EQ(s[i]["tag"], vals[i].first);
    EXPECT_EQ(s[i]["value"].get<float>(), static_cast<float>(vals[i].second));
    EXPECT_NEAR(s[i]["wall_time"].get<double>(), unix_now(), 60.0);
  }
  EXPECT_EQ(s[3]["step"], -2);
  EXPECT_EQ(s[4]["step"], 300);
  EXPECT_EQ(s[4]["value"], "inf");
}

// The Python reader is only a check if it can fail: a flipped payload byte
// must make it exit non-zero.
TEST(TensorBoard, PythonReaderRejectsCorruptPayload) {
  const std::string py = bmfm::test::python3_with("json");
  if (py.empty()) GTEST_SKIP() << "/usr/bin/python3 not found";
  const std::string script = std::string(BMFM_TEST_SOURCE_DIR) + "/tests/train/read_tfevents.py";
  std::string path;
  {
    TensorBoardWriter tb(bmfm::test::temp_dir("tb_corrupt"));
    path = tb.path();
    tb.add_scalar("loss", 1.0, 1);
  }
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-6, std::ios::end);  // inside the last payload (its float value)
    f.put('\x7f');
  }
  const std::string cmd = py + " '" + script + "' '" + path + "' >/dev/null 2>&1";
  EXPECT_NE(std::system(cmd.c_str()), 0);
}

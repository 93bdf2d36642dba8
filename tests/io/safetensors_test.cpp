// safetensors reading (io/safetensors.h): files written byte by byte here,
// expected values worked out by hand from the IEEE 754 encodings, then every
// rule of the header checked, and random corruptions (each is either read or
// refused with a FormatError; nothing crashes).
#include "bmfm/io/safetensors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "bmfm/io/error.h"

using bmfm::io::FormatError;
using bmfm::io::SafetensorsFile;

namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("bmfm_safetensors_" + name)).string();
}

void write_file(const std::string& path, const std::string& header, const std::vector<unsigned char>& data,
                int64_t length_override = -1) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  uint64_t n = length_override >= 0 ? static_cast<uint64_t>(length_override) : header.size();
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>((n >> (8 * i)) & 0xff));
  out << header;
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

void push16(std::vector<unsigned char>& d, uint16_t v) { d.push_back(v & 0xff), d.push_back(v >> 8); }
void push32f(std::vector<unsigned char>& d, float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  for (int i = 0; i < 4; ++i) d.push_back((b >> (8 * i)) & 0xff);
}
void push64f(std::vector<unsigned char>& d, double f) {
  uint64_t b;
  std::memcpy(&b, &f, 8);
  for (int i = 0; i < 8; ++i) d.push_back((b >> (8 * i)) & 0xff);
}

// Four tensors: F32 [2], F16 [2, 2], BF16 [3], F64 [1], and an I64 [1]; metadata.
std::string valid_file(std::vector<unsigned char>& data) {
  data.clear();
  push32f(data, 1.5f), push32f(data, -0.25f);                                   // 0..8
  push16(data, 0x3C00), push16(data, 0xC000), push16(data, 0x7BFF), push16(data, 0x0001);  // 8..16
  push16(data, 0x3F80), push16(data, 0x4049), push16(data, 0xC2F7);           // 16..22
  push64f(data, 0.1);                                                          // 22..30
  for (int i = 0; i < 8; ++i) data.push_back(i == 0 ? 7 : 0);                  // 30..38
  return R"({"__metadata__": {"format": "pt"},
    "w32": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
    "w16": {"dtype": "F16", "shape": [2, 2], "data_offsets": [8, 16]},
    "wbf": {"dtype": "BF16", "shape": [3], "data_offsets": [16, 22]},
    "w64": {"dtype": "F64", "shape": [1], "data_offsets": [22, 30]},
    "ids": {"dtype": "I64", "shape": [1], "data_offsets": [30, 38]}})";
}

void expect_refused(const std::string& header, const std::vector<unsigned char>& data, const std::string& fragment,
                    int64_t length_override = -1) {
  const std::string p = temp_path("bad.safetensors");
  write_file(p, header, data, length_override);
  try {
    SafetensorsFile f(p);
    FAIL() << "expected a FormatError containing: " << fragment;
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << "the message names the file: " << e.what();
  }
}

}  // namespace

TEST(Safetensors, ReadsEveryFloatDtype) {
  std::vector<unsigned char> data;
  const std::string p = temp_path("ok.safetensors");
  write_file(p, valid_file(data), data);
  const SafetensorsFile f(p);
  ASSERT_EQ(f.entries().size(), 5u);
  EXPECT_EQ(f.entries()[0].name, "w32");  // in data order
  EXPECT_EQ(f.metadata().at("format"), "pt");
  EXPECT_EQ(f.entry("w16").shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(f.read_float("w32"), (std::vector<float>{1.5f, -0.25f}));
  // F16: 0x3C00 = 1, 0xC000 = -2, 0x7BFF = 65504 (largest finite), 0x0001 = 2^-24 (smallest subnormal).
  EXPECT_EQ(f.read_float("w16"), (std::vector<float>{1.0f, -2.0f, 65504.0f, std::ldexp(1.0f, -24)}));
  // BF16: 0x3F80 = 1, 0x4049 = 3.140625, 0xC2F7 = -123.5 (the top 16 bits of the float32).
  EXPECT_EQ(f.read_float("wbf"), (std::vector<float>{1.0f, 3.140625f, -123.5f}));
  EXPECT_EQ(f.read_float("w64"), (std::vector<float>{0.1f}));
  EXPECT_THROW(f.read_float("ids"), FormatError);
  EXPECT_THROW(f.entry("nope"), FormatError);
  EXPECT_TRUE(f.has("wbf"));
  EXPECT_FALSE(f.has("__metadata__"));
}

TEST(Safetensors, HalfSpecialValues) {
  EXPECT_TRUE(std::isinf(bmfm::io::half_to_float(0x7C00)));
  EXPECT_TRUE(std::isnan(bmfm::io::half_to_float(0x7E00)));
  EXPECT_EQ(bmfm::io::half_to_float(0x8000), -0.0f);
  EXPECT_TRUE(std::signbit(bmfm::io::half_to_float(0x8000)));
  EXPECT_EQ(bmfm::io::half_to_float(0x3555), 0.333251953125f);  // 1.0101010101b x 2^-2
}

TEST(Safetensors, RefusesBrokenHeaders) {
  std::vector<unsigned char> data;
  const std::string good = valid_file(data);
  expect_refused(good, data, "header length 999999", 999999);
  expect_refused("{not json", data, "header is not JSON");
  expect_refused("[1, 2]", data, "not a JSON object");
  expect_refused(R"({"a": {"dtype": "F8", "shape": [1], "data_offsets": [0, 1]}})", data, "tensor 'a': unknown dtype 'F8'");
  expect_refused(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 400]}})", data,
                 "data_offsets [0, 400] fall outside the 38-byte data buffer");
  expect_refused(R"({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})", data,
                 "shape [3] x F32 needs 12 bytes, data_offsets give 8");
  expect_refused(R"({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})", data, "not a size");
  expect_refused(R"({"a": {"dtype": "F32", "shape": [4611686018427387904, 8], "data_offsets": [0, 8]}})", data,
                 "larger than its data");
  expect_refused(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                     "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})", data, "overlap");
  expect_refused(R"({"a": {"dtype": "F32", "shape": [2]}})", data, "needs dtype, shape and data_offsets");
  expect_refused(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}})", data, "outside");
  expect_refused(R"({"__metadata__": {"k": 1}})", data, "__metadata__.k is not a string");
  const std::string p = temp_path("short.safetensors");
  std::ofstream(p, std::ios::binary) << "abc";
  EXPECT_THROW(SafetensorsFile{p}, FormatError);
  EXPECT_THROW(SafetensorsFile{temp_path("missing.safetensors")}, FormatError);
}

TEST(Safetensors, RandomCorruptionIsReadOrRefusedNeverACrash) {
  std::vector<unsigned char> data;
  const std::string header = valid_file(data);
  std::string bytes;
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xff));
  bytes += header;
  bytes.append(reinterpret_cast<const char*>(data.data()), data.size());
  std::mt19937_64 rng(14);
  const std::string p = temp_path("fuzz.safetensors");
  int read = 0, refused = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string b = bytes;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) b[rng() % b.size()] = static_cast<char>(rng() & 0xff);
    if (rng() % 5 == 0) b.resize(rng() % b.size());  // truncation too
    std::ofstream(p, std::ios::binary | std::ios::trunc) << b;
    try {
      const SafetensorsFile f(p);
      for (const auto& e : f.entries()) {
        if (e.dtype == "F32" || e.dtype == "F16" || e.dtype == "BF16" || e.dtype == "F64") {
          EXPECT_EQ(f.read_float(e.name).size(), static_cast<size_t>(e.numel()));
        }
      }
      ++read;
    } catch (const FormatError&) {
      ++refused;
    }
  }
  EXPECT_GT(refused, 100);
  EXPECT_GT(read, 20);  // flips in the data buffer (38 of ~560 bytes) leave a readable file
}

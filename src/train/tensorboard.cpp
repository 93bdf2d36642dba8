#include "bmfm/train/tensorboard.h"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace bmfm::train {

namespace {

// Reflected form of the Castagnoli polynomial 0x1EDC6F41.
constexpr uint32_t kCastagnoli = 0x82F63B78u;

const std::array<uint32_t, 256>& crc_table() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1u) ? (c >> 1) ^ kCastagnoli : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

// --- protobuf wire format, just the parts an Event needs --------------------
enum Wire : uint32_t { kVarint = 0, kFixed64 = 1, kBytes = 2, kFixed32 = 5 };

void put_varint(std::string& out, uint64_t v) {
  for (; v >= 0x80; v >>= 7) out.push_back(static_cast<char>((v & 0x7f) | 0x80));
  out.push_back(static_cast<char>(v));
}
void put_key(std::string& out, uint32_t field, Wire wire) { put_varint(out, (uint64_t{field} << 3) | wire); }
// Little-endian whatever the host, as protobuf and TFRecord both require.
void put_le(std::string& out, uint64_t v, int n_bytes) {
  for (int i = 0; i < n_bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_bytes(std::string& out, uint32_t field, const std::string& s) {
  put_key(out, field, kBytes);
  put_varint(out, s.size());
  out += s;
}
void put_double(std::string& out, uint32_t field, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  put_key(out, field, kFixed64);
  put_le(out, bits, 8);
}
void put_float(std::string& out, uint32_t field, float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  put_key(out, field, kFixed32);
  put_le(out, bits, 4);
}

// tensorflow/core/util/event.proto: Event{1 wall_time, 2 step, 3 file_version,
// 5 summary}; summary.proto: Summary{1 repeated Value}, Value{1 tag, 2 simple_value}.
std::string encode_event(double wall_time, int64_t step, const std::string& file_version,
                         const std::vector<std::pair<std::string, double>>& values) {
  std::string event;
  put_double(event, 1, wall_time);
  if (step != 0) {  // proto3 leaves zero fields out
    put_key(event, 2, kVarint);
    put_varint(event, static_cast<uint64_t>(step));  // negative steps take ten bytes, as in protobuf
  }
  if (!file_version.empty()) put_bytes(event, 3, file_version);
  if (!values.empty()) {
    std::string summary;
    for (const auto& [tag, value] : values) {
      std::string v;
      put_bytes(v, 1, tag);
      put_float(v, 2, static_cast<float>(value));
      put_bytes(summary, 1, v);
    }
    put_bytes(event, 5, summary);
  }
  return event;
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

}  // namespace

uint32_t crc32c(const void* data, size_t n, uint32_t init) {
  const auto& table = crc_table();
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t c = ~init;
  for (size_t i = 0; i < n; ++i) c = table[(c ^ p[i]) & 0xffu] ^ (c >> 8);
  return ~c;
}

uint32_t masked_crc32c(const void* data, size_t n) {
  const uint32_t c = crc32c(data, n);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

TensorBoardWriter::TensorBoardWriter(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("tensorboard: cannot create log folder " + dir + ": " + ec.message());
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  const std::string base =
      (std::filesystem::path(dir) / ("events.out.tfevents." + std::to_string(seconds) + "." + hostname())).string();
  // Two writers started in the same second must not share a file: "x" fails
  // on an existing name instead of truncating it.
  for (int n = 0; !file_ && n < 100; ++n) {
    path_ = n == 0 ? base : base + "." + std::to_string(n);
    file_ = std::fopen(path_.c_str(), "wbx");
    if (!file_ && errno != EEXIST) break;
  }
  if (!file_)
    throw std::runtime_error("tensorboard: cannot create event file " + path_ + ": " + std::strerror(errno));
  write_record(encode_event(unix_now(), 0, "brain.Event:2", {}));
}

TensorBoardWriter::~TensorBoardWriter() { close(); }

void TensorBoardWriter::add_scalar(const std::string& tag, double value, int64_t step) {
  add_scalars({{tag, value}}, step);
}

void TensorBoardWriter::add_scalars(const std::vector<std::pair<std::string, double>>& values, int64_t step) {
  if (values.empty()) return;
  write_record(encode_event(unix_now(), step, "", values));
}

void TensorBoardWriter::write_record(const std::string& payload) {
  if (!file_) throw std::runtime_error("tensorboard: write to closed event file " + path_);
  std::string record;
  put_le(record, payload.size(), 8);
  put_le(record, masked_crc32c(record.data(), 8), 4);
  record += payload;
  put_le(record, masked_crc32c(payload.data(), payload.size()), 4);
  if (std::fwrite(record.data(), 1, record.size(), file_) != record.size() || std::fflush(file_) != 0)
    throw std::runtime_error("tensorboard: cannot write " + path_ + ": " + std::strerror(errno));
}

void TensorBoardWriter::flush() {
  if (file_) std::fflush(file_);
}

void TensorBoardWriter::close() {
  if (file_) std::fclose(file_);
  file_ = nullptr;
}

}  // namespace bmfm::train

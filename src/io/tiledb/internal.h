// Pieces shared by the TileDB reader's files: a bounds-checked little-endian
// cursor, file reading, generic tiles and timestamped names.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "bmfm/io/tiledb.h"

namespace bmfm::io::tiledb {

// Reads little-endian values from a byte span; running past the end throws
// FormatError naming `what` (the file and the structure being parsed).
class ByteReader {
 public:
  ByteReader(const uint8_t* data, uint64_t size, std::string what) : p_(data), n_(size), what_(std::move(what)) {}
  explicit ByteReader(const std::vector<uint8_t>& v, std::string what) : ByteReader(v.data(), v.size(), std::move(what)) {}

  template <class T>
  T get() {
    T v;
    std::memcpy(&v, take(sizeof(T)), sizeof(T));
    return v;
  }
  const uint8_t* take(uint64_t k) {
    if (k > n_ - pos_) fail("needs " + std::to_string(k) + " more bytes at offset " + std::to_string(pos_));
    const uint8_t* q = p_ + pos_;
    pos_ += k;
    return q;
  }
  std::vector<uint8_t> bytes(uint64_t k) {
    const uint8_t* q = take(k);
    return {q, q + k};
  }
  std::string string(uint64_t k) {
    const uint8_t* q = take(k);
    return {reinterpret_cast<const char*>(q), static_cast<size_t>(k)};
  }
  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return n_ - pos_; }
  const uint8_t* here() const { return p_ + pos_; }
  const std::string& what() const { return what_; }
  [[noreturn]] void fail(const std::string& msg) const;

 private:
  const uint8_t* p_;
  uint64_t n_;
  uint64_t pos_ = 0;
  std::string what_;
};

// Whole file, or bytes [offset, offset + size) of it; throws FormatError.
std::vector<uint8_t> read_file_bytes(const std::string& path);
std::vector<uint8_t> read_file_range(const std::string& path, uint64_t offset, uint64_t size);
uint64_t file_size(const std::string& path);
std::vector<std::string> list_dir(const std::string& folder);  // names, sorted; empty if absent
std::vector<std::string> lines_of(const std::string& path);    // non-empty lines (commit / vacuum lists)
bool path_exists(const std::string& path);
bool is_dir(const std::string& path);

// A generic tile (generic_tile.md) starting at `offset` of `bytes`: returns the
// unfiltered payload; `*end` (if given) receives the offset after the tile.
std::vector<uint8_t> read_generic_tile(const std::vector<uint8_t>& bytes, uint64_t offset, const std::string& what,
                                       uint64_t* end = nullptr);

FilterPipeline parse_filter_pipeline(ByteReader& r);
Range read_range(ByteReader& r, const Dimension& d);
ArraySchema parse_schema(const std::vector<uint8_t>& payload, const std::string& what);
Enumeration parse_enumeration(const std::vector<uint8_t>& payload, const std::string& what);

// `__t1_t2_uuid[_v]` names: timestamps and (when present) the format version.
struct TimestampedName {
  std::string name;
  uint64_t t1 = 0, t2 = 0;
  uint32_t version = 0;  // 0 when the name carries none
};
bool parse_timestamped_name(const std::string& name, TimestampedName* out);

// Highest fragment / schema format version read (TileDB 2.29 writes 22).
constexpr uint32_t kMaxFormatVersion = 22;
constexpr uint32_t kMinFormatVersion = 10;

}  // namespace bmfm::io::tiledb

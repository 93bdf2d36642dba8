#include "bmfm/io/safetensors.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "bmfm/io/error.h"

namespace bmfm::io {
namespace {

// A header larger than this is not a real checkpoint's (100M-parameter models
// have headers of a few hundred KiB): refuse before allocating it.
constexpr uint64_t kMaxHeaderBytes = uint64_t{100} << 20;

uint64_t read_le64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

int dtype_size(const std::string& d) {
  if (d == "F64" || d == "I64" || d == "U64") return 8;
  if (d == "F32" || d == "I32" || d == "U32") return 4;
  if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
  if (d == "I8" || d == "U8" || d == "BOOL") return 1;
  return 0;
}

float half_to_float(uint16_t h) {
  const uint32_t sign = (h >> 15) & 1u, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
  float v;
  if (exp == 0) v = std::ldexp(static_cast<float>(man), -24);                         // zero / subnormal
  else if (exp == 31) v = man ? std::numeric_limits<float>::quiet_NaN() : INFINITY;  // inf / NaN
  else v = std::ldexp(static_cast<float>(man | 0x400u), static_cast<int>(exp) - 25);
  return sign ? -v : v;
}

float bfloat16_to_float(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;  // bf16 is the top half of a float32
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

int64_t SafetensorsEntry::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

SafetensorsFile::SafetensorsFile(std::string path) : path_(std::move(path)) {
  std::ifstream in(path_, std::ios::binary);
  if (!in) throw FormatError(fmt::format("{}: cannot open", path_));
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path_, ec);
  if (ec) throw FormatError(fmt::format("{}: cannot read its size: {}", path_, ec.message()));
  unsigned char len_bytes[8];
  if (size < 8 || !in.read(reinterpret_cast<char*>(len_bytes), 8))
    throw FormatError(fmt::format("{}: shorter than the 8-byte header length of a safetensors file", path_));
  const uint64_t n = read_le64(len_bytes);
  if (n > kMaxHeaderBytes || n > size - 8)
    throw FormatError(fmt::format("{}: header length {} exceeds the file ({} bytes) or the {} MiB limit: not a "
                                  "safetensors file, or truncated", path_, n, size, kMaxHeaderBytes >> 20));
  std::string text(static_cast<size_t>(n), '\0');
  if (!in.read(text.data(), static_cast<std::streamsize>(n))) throw FormatError(fmt::format("{}: header cut short", path_));
  data_start_ = 8 + n;
  const uint64_t data_size = size - data_start_;

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw FormatError(fmt::format("{}: header is not JSON ({})", path_, e.what()));
  }
  if (!header.is_object()) throw FormatError(fmt::format("{}: header is not a JSON object", path_));
  for (const auto& [name, v] : header.items()) {
    if (name == "__metadata__") {
      if (!v.is_object()) throw FormatError(fmt::format("{}: __metadata__ is not an object", path_));
      for (const auto& [k, x] : v.items()) {
        if (!x.is_string()) throw FormatError(fmt::format("{}: __metadata__.{} is not a string", path_, k));
        metadata_[k] = x.get<std::string>();
      }
      continue;
    }
    auto bad = [&](const std::string& what) {
      return FormatError(fmt::format("{}: tensor '{}': {}", path_, name, what));
    };
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets"))
      throw bad("needs dtype, shape and data_offsets");
    SafetensorsEntry e;
    e.name = name;
    if (!v["dtype"].is_string()) throw bad("dtype is not a string");
    e.dtype = v["dtype"].get<std::string>();
    const int width = dtype_size(e.dtype);
    if (width == 0) throw bad(fmt::format("unknown dtype '{}'", e.dtype));
    if (!v["shape"].is_array()) throw bad("shape is not a list");
    for (const auto& d : v["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0) throw bad("shape holds a value that is not a size");
      e.shape.push_back(d.get<int64_t>());
    }
    const auto& off = v["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      throw bad("data_offsets is not [begin, end]");
    e.begin = off[0].get<uint64_t>();
    e.end = off[1].get<uint64_t>();
    if (e.begin > e.end || e.end > data_size)
      throw bad(fmt::format("data_offsets [{}, {}] fall outside the {}-byte data buffer", e.begin, e.end, data_size));
    // Elements x width (a product past 2^64 is a shape no data can hold).
    uint64_t bytes = static_cast<uint64_t>(width);
    for (int64_t d : e.shape)
      if (__builtin_mul_overflow(bytes, static_cast<uint64_t>(d), &bytes)) throw bad("shape is larger than its data");
    if (bytes != e.end - e.begin)
      throw bad(fmt::format("shape [{}] x {} needs {} bytes, data_offsets give {}", fmt::join(e.shape, ", "), e.dtype,
                            bytes, e.end - e.begin));
    entries_.push_back(std::move(e));
  }
  std::sort(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) { return a.begin < b.begin; });
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (i > 0 && entries_[i].begin < entries_[i - 1].end)
      throw FormatError(fmt::format("{}: tensors '{}' and '{}' overlap in the data buffer", path_,
                                    entries_[i - 1].name, entries_[i].name));
    index_[entries_[i].name] = i;
  }
}

bool SafetensorsFile::has(const std::string& name) const { return index_.count(name) > 0; }

const SafetensorsEntry& SafetensorsFile::entry(const std::string& name) const {
  const auto it = index_.find(name);
  if (it == index_.end()) throw FormatError(fmt::format("{}: no tensor '{}'", path_, name));
  return entries_[it->second];
}

std::vector<float> SafetensorsFile::read_float(const std::string& name) const {
  const SafetensorsEntry& e = entry(name);
  if (e.dtype != "F32" && e.dtype != "F16" && e.dtype != "BF16" && e.dtype != "F64")
    throw FormatError(fmt::format("{}: tensor '{}' is {}, not a floating-point dtype", path_, name, e.dtype));
  std::ifstream in(path_, std::ios::binary);
  std::vector<char> raw(static_cast<size_t>(e.end - e.begin));
  in.seekg(static_cast<std::streamoff>(data_start_ + e.begin));
  if (!in.read(raw.data(), static_cast<std::streamsize>(raw.size())))
    throw FormatError(fmt::format("{}: tensor '{}': data cut short", path_, name));
  const size_t n = static_cast<size_t>(e.numel());
  std::vector<float> out(n);
  // safetensors stores little-endian, as this machine does.
  if (e.dtype == "F32") {
    std::memcpy(out.data(), raw.data(), raw.size());
  } else if (e.dtype == "F64") {
    for (size_t i = 0; i < n; ++i) {
      double d;
      std::memcpy(&d, raw.data() + 8 * i, 8);
      out[i] = static_cast<float>(d);
    }
  } else {
    for (size_t i = 0; i < n; ++i) {
      uint16_t h;
      std::memcpy(&h, raw.data() + 2 * i, 2);
      out[i] = e.dtype == "F16" ? half_to_float(h) : bfloat16_to_float(h);
    }
  }
  return out;
}

}  // namespace bmfm::io

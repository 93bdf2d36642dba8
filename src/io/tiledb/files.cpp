// File access, generic tiles, timestamped names and datatype facts.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "internal.h"

namespace bmfm::io::tiledb {

namespace fs = std::filesystem;

void ByteReader::fail(const std::string& msg) const { throw FormatError(what_ + ": truncated or corrupt: " + msg); }

std::vector<uint8_t> read_file_range(const std::string& path, uint64_t offset, uint64_t size) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(path + ": cannot open");
  in.seekg(0, std::ios::end);
  const uint64_t total = static_cast<uint64_t>(in.tellg());
  if (offset > total || size > total - offset)
    throw FormatError(fmt::format("{}: truncated: needs bytes [{}, {}) of a {}-byte file", path, offset, offset + size,
                                  total));
  std::vector<uint8_t> out(size);
  in.seekg(static_cast<std::streamoff>(offset));
  if (size && !in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(size)))
    throw FormatError(path + ": read failed");
  return out;
}

uint64_t file_size(const std::string& path) {
  std::error_code ec;
  const auto n = fs::file_size(path, ec);
  if (ec) throw FormatError(path + ": cannot stat: " + ec.message());
  return n;
}

std::vector<uint8_t> read_file_bytes(const std::string& path) { return read_file_range(path, 0, file_size(path)); }

std::vector<std::string> list_dir(const std::string& folder) {
  std::vector<std::string> names;
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return names;
  for (const auto& e : fs::directory_iterator(folder, ec)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> out;
  std::string line;
  for (const uint8_t c : read_file_bytes(path)) {
    if (c == '\n') {
      if (!line.empty()) out.push_back(line);
      line.clear();
    } else {
      line += static_cast<char>(c);
    }
  }
  if (!line.empty()) out.push_back(line);
  return out;
}

bool path_exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}
bool is_dir(const std::string& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

bool parse_timestamped_name(const std::string& name, TimestampedName* out) {
  // __<t1>_<t2>_<uuid>[_<version>][.ext]
  if (name.rfind("__", 0) != 0) return false;
  std::string stem = name.substr(2);
  if (auto dot = stem.find('.'); dot != std::string::npos) stem = stem.substr(0, dot);
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t i = 0; i <= stem.size(); ++i)
    if (i == stem.size() || stem[i] == '_') {
      parts.push_back(stem.substr(start, i - start));
      start = i + 1;
    }
  if (parts.size() < 3 || parts.size() > 4) return false;
  auto number = [](const std::string& s, uint64_t* v) {
    if (s.empty() || s.size() > 20 || !std::all_of(s.begin(), s.end(), ::isdigit)) return false;
    *v = std::stoull(s);
    return true;
  };
  TimestampedName t;
  t.name = name;
  if (!number(parts[0], &t.t1) || !number(parts[1], &t.t2)) return false;
  if (parts.size() == 4) {
    uint64_t v = 0;
    if (!number(parts[3], &v)) return false;
    t.version = static_cast<uint32_t>(v);
  }
  *out = t;
  return true;
}

std::vector<uint8_t> read_generic_tile(const std::vector<uint8_t>& bytes, uint64_t offset, const std::string& what,
                                       uint64_t* end) {
  if (offset > bytes.size()) throw FormatError(fmt::format("{}: generic tile offset {} is past the end ({} bytes)", what, offset, bytes.size()));
  ByteReader r(bytes.data() + offset, bytes.size() - offset, what + " (generic tile header)");
  const uint32_t version = r.get<uint32_t>();
  const uint64_t persisted = r.get<uint64_t>();
  const uint64_t tile_size = r.get<uint64_t>();
  const auto type = static_cast<Datatype>(r.get<uint8_t>());
  r.get<uint64_t>();  // cell size
  const uint8_t encryption = r.get<uint8_t>();
  if (encryption != 0)
    throw FormatError(what + ": the tile is encrypted (AES-256-GCM); encrypted arrays are not supported");
  const uint32_t pipeline_size = r.get<uint32_t>();
  ByteReader pr(r.take(pipeline_size), pipeline_size, what + " (generic tile filter pipeline)");
  const FilterPipeline pipeline = parse_filter_pipeline(pr);
  const uint8_t* data = r.take(persisted);
  if (end) *end = offset + r.pos();
  auto out = unfilter_tile(data, persisted, pipeline, type, version, what);
  if (out.size() != tile_size)
    throw FormatError(fmt::format("{}: generic tile decodes to {} bytes, its header says {}", what, out.size(), tile_size));
  return out;
}

// --- datatypes ---------------------------------------------------------------------

uint64_t datatype_size(Datatype t) {
  const auto c = static_cast<uint8_t>(t);
  switch (t) {
    case Datatype::Int32: case Datatype::Float32: case Datatype::UInt32: case Datatype::StringUtf32:
    case Datatype::StringUcs4:
      return 4;
    case Datatype::Int64: case Datatype::Float64: case Datatype::UInt64:
      return 8;
    case Datatype::Char: case Datatype::Int8: case Datatype::UInt8: case Datatype::StringAscii:
    case Datatype::StringUtf8: case Datatype::Any: case Datatype::Blob: case Datatype::Bool:
    case Datatype::GeomWkb: case Datatype::GeomWkt:
      return 1;
    case Datatype::Int16: case Datatype::UInt16: case Datatype::StringUtf16: case Datatype::StringUcs2:
      return 2;
    default:
      if (c >= 18 && c <= 39) return 8;  // datetimes and times are int64
  }
  throw FormatError("unknown TileDB datatype code " + std::to_string(c));
}

std::string to_string(Datatype t) {
  switch (t) {
    case Datatype::Int32: return "int32";
    case Datatype::Int64: return "int64";
    case Datatype::Float32: return "float32";
    case Datatype::Float64: return "float64";
    case Datatype::Char: return "char";
    case Datatype::Int8: return "int8";
    case Datatype::UInt8: return "uint8";
    case Datatype::Int16: return "int16";
    case Datatype::UInt16: return "uint16";
    case Datatype::UInt32: return "uint32";
    case Datatype::UInt64: return "uint64";
    case Datatype::StringAscii: return "ascii";
    case Datatype::StringUtf8: return "utf8";
    case Datatype::Blob: return "blob";
    case Datatype::Bool: return "bool";
    default: break;
  }
  const auto c = static_cast<uint8_t>(t);
  if (c >= 18 && c <= 30) return "datetime";
  if (c >= 31 && c <= 39) return "time";
  return "datatype#" + std::to_string(c);
}

bool is_string_type(Datatype t) {
  return t == Datatype::Char || t == Datatype::StringAscii || t == Datatype::StringUtf8;
}
bool is_integer_type(Datatype t) {
  const auto c = static_cast<uint8_t>(t);
  return t == Datatype::Int32 || t == Datatype::Int64 || (c >= 5 && c <= 10) || (c >= 18 && c <= 39) ||
         t == Datatype::Bool;
}
bool is_signed_type(Datatype t) {
  const auto c = static_cast<uint8_t>(t);
  return t == Datatype::Int32 || t == Datatype::Int64 || t == Datatype::Int8 || t == Datatype::Int16 ||
         (c >= 18 && c <= 39);
}

std::string to_string(FilterType t) {
  switch (t) {
    case FilterType::None: return "NONE";
    case FilterType::Gzip: return "GZIP";
    case FilterType::Zstd: return "ZSTD";
    case FilterType::Lz4: return "LZ4";
    case FilterType::Rle: return "RLE";
    case FilterType::Bzip2: return "BZIP2";
    case FilterType::DoubleDelta: return "DOUBLE_DELTA";
    case FilterType::BitWidthReduction: return "BIT_WIDTH_REDUCTION";
    case FilterType::BitShuffle: return "BITSHUFFLE";
    case FilterType::ByteShuffle: return "BYTESHUFFLE";
    case FilterType::PositiveDelta: return "POSITIVE_DELTA";
    case FilterType::ChecksumMd5: return "CHECKSUM_MD5";
    case FilterType::ChecksumSha256: return "CHECKSUM_SHA256";
    case FilterType::Dictionary: return "DICTIONARY";
    case FilterType::ScaleFloat: return "SCALE_FLOAT";
    case FilterType::Xor: return "XOR";
    case FilterType::WebP: return "WEBP";
    case FilterType::Delta: return "DELTA";
  }
  return "filter#" + std::to_string(static_cast<int>(t));
}

std::string FilterPipeline::describe() const {
  std::string s;
  for (const auto& f : filters) {
    if (!s.empty()) s += ", ";
    s += to_string(f.type);
    if (f.type == FilterType::Gzip || f.type == FilterType::Zstd || f.type == FilterType::Lz4 ||
        f.type == FilterType::Bzip2)
      s += "(" + std::to_string(f.level) + ")";
  }
  return s.empty() ? "none" : s;
}

}  // namespace bmfm::io::tiledb

// A read-only reader of the TileDB on-disk format (local folders), the subset
// that TileDB-SOMA and the CELLxGENE Census use: sparse arrays of format
// versions 10..22 (libtiledb 2.4..2.29), their schemas (all versions kept in
// __schema, enumerations, current domain), committed fragments, key/value
// metadata and groups. There is no libtiledb in Debian, so the format is read
// here from its specification (docs/data-formats.md says what is refused).
//
// Every failure throws io::FormatError naming the array folder, the file and
// the feature at fault. Nothing here writes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bmfm/io/error.h"

namespace bmfm::io::tiledb {

// TileDB's datatype codes (tiledb_datatype_t).
enum class Datatype : uint8_t {
  Int32 = 0, Int64 = 1, Float32 = 2, Float64 = 3, Char = 4, Int8 = 5, UInt8 = 6, Int16 = 7, UInt16 = 8,
  UInt32 = 9, UInt64 = 10, StringAscii = 11, StringUtf8 = 12, StringUtf16 = 13, StringUtf32 = 14,
  StringUcs2 = 15, StringUcs4 = 16, Any = 17, DatetimeYear = 18, DatetimeAs = 30, TimeHr = 31, TimeAs = 39,
  Blob = 40, Bool = 41, GeomWkb = 42, GeomWkt = 43,
};
// Bytes per value; throws FormatError for codes this reader does not know.
uint64_t datatype_size(Datatype t);
std::string to_string(Datatype t);
bool is_string_type(Datatype t);   // Char, StringAscii, StringUtf8
bool is_integer_type(Datatype t);  // signed/unsigned ints, datetimes, bool
bool is_signed_type(Datatype t);

// TileDB's filter codes (tiledb_filter_type_t).
enum class FilterType : uint8_t {
  None = 0, Gzip = 1, Zstd = 2, Lz4 = 3, Rle = 4, Bzip2 = 5, DoubleDelta = 6, BitWidthReduction = 7,
  BitShuffle = 8, ByteShuffle = 9, PositiveDelta = 10, ChecksumMd5 = 12, ChecksumSha256 = 13, Dictionary = 14,
  ScaleFloat = 15, Xor = 16, WebP = 18, Delta = 19,
};
std::string to_string(FilterType t);

struct Filter {
  FilterType type = FilterType::None;
  int32_t level = 0;                        // compressors
  Datatype reinterpret = Datatype::Any;     // DOUBLE_DELTA / DELTA
  uint32_t max_window = 0;                  // BIT_WIDTH_REDUCTION / POSITIVE_DELTA
};
struct FilterPipeline {
  uint32_t max_chunk_size = 0;
  std::vector<Filter> filters;
  std::string describe() const;  // "BYTESHUFFLE, ZSTD(9)"
};

constexpr uint32_t kVarNum = 0xffffffffu;  // cell_val_num of var-sized fields

struct Dimension {
  std::string name;
  Datatype type = Datatype::Int64;
  uint32_t cell_val_num = 1;
  FilterPipeline filters;
  std::vector<uint8_t> domain;       // min, max (empty for string dims)
  std::vector<uint8_t> tile_extent;  // empty when null
  bool var() const { return cell_val_num == kVarNum; }
};

struct Attribute {
  std::string name;
  Datatype type = Datatype::Float32;
  uint32_t cell_val_num = 1;
  FilterPipeline filters;
  std::vector<uint8_t> fill;
  bool nullable = false;
  bool fill_valid = false;  // validity of the fill value (nullable attributes)
  std::string enumeration;  // name of its enumeration (categorical), or empty
  bool var() const { return cell_val_num == kVarNum; }
};

// Values of a categorical attribute (TileDB enumeration).
struct Enumeration {
  std::string name;
  Datatype type = Datatype::StringUtf8;
  uint32_t cell_val_num = kVarNum;
  bool ordered = false;
  std::vector<uint8_t> data;
  std::vector<uint64_t> offsets;  // var-sized values
  uint64_t size() const;
  // Value i as text (strings as stored, numbers printed).
  std::string text(uint64_t i) const;
};

// A closed range on one dimension as raw bytes (fixed: 2 values; var: two strings).
struct Range {
  std::vector<uint8_t> lo, hi;
  int64_t lo_int(Datatype t) const;
  int64_t hi_int(Datatype t) const;
};

struct ArraySchema {
  std::string file;  // __schema/<name>
  uint32_t version = 0;
  bool allows_dups = false;
  bool dense = false;
  uint8_t tile_order = 0, cell_order = 0;  // 0 row-major, 1 col-major (others: hilbert 4, unordered 3)
  uint64_t capacity = 0;
  FilterPipeline coords_filters, offsets_filters, validity_filters;
  std::vector<Dimension> dims;
  std::vector<Attribute> attrs;
  std::map<std::string, std::string> enumeration_files;  // name -> file in __schema/__enumerations
  std::vector<Range> current_domain;                      // empty when unset (pre-v22 or none)

  const Attribute* attribute(const std::string& name) const;
  const Dimension* dimension(const std::string& name) const;
};

// One metadata value: `type` and raw little-endian bytes (strings as bytes).
struct MetadataValue {
  Datatype type = Datatype::Any;
  uint32_t count = 0;
  std::vector<uint8_t> bytes;
  std::string as_string() const;
  int64_t as_int() const;  // first value of an integer type; throws otherwise
};
using Metadata = std::map<std::string, MetadataValue>;

// Key/value metadata of an array or group folder (__meta replayed in timestamp
// order, deletions applied, vacuumed files skipped).
Metadata read_metadata(const std::string& folder);

// Cells of one field, in the order read.
struct FieldData {
  Datatype type = Datatype::Any;
  uint32_t cell_val_num = 1;
  std::vector<uint8_t> data;      // fixed: n * cell size; var: concatenated values
  std::vector<uint64_t> offsets;  // var: n + 1 byte offsets into data
  std::vector<uint8_t> validity;  // nullable: 1 = valid
  uint64_t size() const;          // number of cells
  template <class T> T value(uint64_t i) const;
  std::string string(uint64_t i) const;  // var-sized cell as text
};

// Cell i of an integer (or bool / datetime) field as int64; throws FormatError for other types.
int64_t integer_value(const FieldData& f, uint64_t i);

struct ReadResult {
  uint64_t n = 0;
  std::map<std::string, FieldData> fields;
  const FieldData& at(const std::string& name) const;
};

struct FragmentInfo {
  std::string name;
  uint32_t version = 0;
  uint64_t t1 = 0, t2 = 0;
  uint64_t n_tiles = 0;
  uint64_t n_cells = 0;
  std::string schema;  // the __schema file it was written with (schema evolution)
};

// A sparse array opened for reading. The constructor reads the schemas, the
// list of committed fragments and their footers; data tiles are read on demand.
class Array {
 public:
  explicit Array(const std::string& folder);
  ~Array();
  Array(Array&&) noexcept;
  Array& operator=(Array&&) noexcept;
  Array(const Array&) = delete;
  Array& operator=(const Array&) = delete;

  const std::string& folder() const;
  const ArraySchema& schema() const;              // the latest schema
  const std::vector<ArraySchema>& schemas() const;  // all, oldest first
  const std::vector<FragmentInfo>& fragments() const;  // committed, in timestamp order
  uint64_t n_cells() const;                       // stored cells over fragments (before dedup)
  const Enumeration& enumeration(const std::string& name) const;  // loaded on first use
  const Metadata& metadata() const;

  // Reads `fields` (dimension or attribute names; empty = all) of the cells
  // whose first dimension lies in [lo, hi] (integer first dimension; no bound =
  // everything). Tiles are pruned by their MBRs. Cells come fragment by
  // fragment in timestamp order; when the schema forbids duplicates, a cell
  // whose coordinates reappear in a later fragment is dropped (later wins).
  ReadResult read(const std::vector<std::string>& fields = {}, std::optional<int64_t> lo = std::nullopt,
                  std::optional<int64_t> hi = std::nullopt) const;

  // Bytes of compressed tiles read and decoded so far (for `bmfm bench`).
  uint64_t bytes_read() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A TileDB group: its members (name -> absolute path, type) and metadata.
struct GroupMember {
  std::string name;
  std::string path;
  bool is_group = false;
};
struct Group {
  std::string folder;
  std::vector<GroupMember> members;
  Metadata metadata;
  const GroupMember* find(const std::string& name) const;
};
bool is_group(const std::string& folder);
bool is_array(const std::string& folder);
Group read_group(const std::string& folder);

// Decodes one filtered tile (the chunked format of tile.md) through `pipeline`
// in reverse; `type` is the datatype entering the pipeline. Exposed for the
// filter tests and the fuzzer. `what` names the tile in errors.
std::vector<uint8_t> unfilter_tile(const uint8_t* data, uint64_t size, const FilterPipeline& pipeline,
                                   Datatype type, uint32_t format_version, const std::string& what,
                                   std::vector<uint64_t>* string_offsets = nullptr);

}  // namespace bmfm::io::tiledb

// --- inline definitions ----------------------------------------------------------
#include <cstring>
namespace bmfm::io::tiledb {
template <class T>
T FieldData::value(uint64_t i) const {
  T v;
  std::memcpy(&v, data.data() + i * sizeof(T), sizeof(T));
  return v;
}
}  // namespace bmfm::io::tiledb

// Array schema, filter pipeline and enumeration files (array_schema.md,
// filter_pipeline.md, enumeration.md; FORMAT-NOTES.md #1, #2 where the spec is
// incomplete).
#include <fmt/format.h>

#include "internal.h"

namespace bmfm::io::tiledb {

namespace {

bool is_compressor(FilterType t) {
  switch (t) {
    case FilterType::Gzip: case FilterType::Zstd: case FilterType::Lz4: case FilterType::Rle: case FilterType::Bzip2:
    case FilterType::DoubleDelta: case FilterType::Dictionary: case FilterType::Delta:
      return true;
    default:
      return false;
  }
}

std::string name32(ByteReader& r) { return r.string(r.get<uint32_t>()); }

}  // namespace

// A 1-D range of a dimension as stored in MBRs / domains (fragment.md#mbr).
Range read_range(ByteReader& r, const Dimension& d) {
  Range out;
  if (d.var()) {
    const uint64_t total = r.get<uint64_t>(), lo = r.get<uint64_t>();
    if (lo > total) r.fail("string range start size exceeds its range");
    out.lo = r.bytes(lo);
    out.hi = r.bytes(total - lo);
  } else {
    const uint64_t s = datatype_size(d.type) * d.cell_val_num;
    out.lo = r.bytes(s);
    out.hi = r.bytes(s);
  }
  return out;
}

FilterPipeline parse_filter_pipeline(ByteReader& r) {
  FilterPipeline p;
  p.max_chunk_size = r.get<uint32_t>();
  const uint32_t n = r.get<uint32_t>();
  if (n > 64) r.fail("filter pipeline with " + std::to_string(n) + " filters");
  for (uint32_t i = 0; i < n; ++i) {
    Filter f;
    f.type = static_cast<FilterType>(r.get<uint8_t>());
    const uint32_t md_size = r.get<uint32_t>();
    ByteReader o(r.take(md_size), md_size, r.what() + " (filter options)");
    if (is_compressor(f.type) && md_size >= 5) {
      o.get<uint8_t>();  // compressor code (redundant with the filter type)
      f.level = o.get<int32_t>();
      if (o.remaining() >= 1) f.reinterpret = static_cast<Datatype>(o.get<uint8_t>());
    } else if ((f.type == FilterType::BitWidthReduction || f.type == FilterType::PositiveDelta) && md_size >= 4) {
      f.max_window = o.get<uint32_t>();
    }
    p.filters.push_back(f);
  }
  return p;
}

ArraySchema parse_schema(const std::vector<uint8_t>& payload, const std::string& what) {
  ByteReader r(payload, what);
  ArraySchema s;
  s.version = r.get<uint32_t>();
  if (s.version > kMaxFormatVersion)
    throw FormatError(fmt::format("{}: array schema format version {} is newer than the versions this reader knows "
                                  "({}..{}, TileDB 2.4..2.29)", what, s.version, kMinFormatVersion, kMaxFormatVersion));
  if (s.version < kMinFormatVersion)
    throw FormatError(fmt::format("{}: array schema format version {} (TileDB < 2.4) is not supported; "
                                  "upgrade the array with tiledb.Array.upgrade_version", what, s.version));
  s.allows_dups = r.get<uint8_t>() != 0;
  s.dense = r.get<uint8_t>() == 0;
  s.tile_order = r.get<uint8_t>();
  s.cell_order = r.get<uint8_t>();
  s.capacity = r.get<uint64_t>();
  s.coords_filters = parse_filter_pipeline(r);
  s.offsets_filters = parse_filter_pipeline(r);
  s.validity_filters = parse_filter_pipeline(r);
  const uint32_t n_dims = r.get<uint32_t>();
  if (n_dims == 0 || n_dims > 64) r.fail(std::to_string(n_dims) + " dimensions");
  for (uint32_t i = 0; i < n_dims; ++i) {
    Dimension d;
    d.name = name32(r);
    d.type = static_cast<Datatype>(r.get<uint8_t>());
    datatype_size(d.type);  // rejects unknown codes
    d.cell_val_num = r.get<uint32_t>();
    d.filters = parse_filter_pipeline(r);
    d.domain = r.bytes(r.get<uint64_t>());
    const bool null_extent = r.get<uint8_t>() != 0;
    if (!null_extent) d.tile_extent = r.bytes(datatype_size(d.type));
    s.dims.push_back(std::move(d));
  }
  const uint32_t n_attrs = r.get<uint32_t>();
  if (n_attrs > 100000) r.fail(std::to_string(n_attrs) + " attributes");
  for (uint32_t i = 0; i < n_attrs; ++i) {
    Attribute a;
    a.name = name32(r);
    a.type = static_cast<Datatype>(r.get<uint8_t>());
    datatype_size(a.type);
    a.cell_val_num = r.get<uint32_t>();
    a.filters = parse_filter_pipeline(r);
    a.fill = r.bytes(r.get<uint64_t>());
    a.nullable = r.get<uint8_t>() != 0;
    a.fill_valid = r.get<uint8_t>() != 0;
    if (s.version >= 17) r.get<uint8_t>();  // data order
    if (s.version >= 20) a.enumeration = name32(r);
    s.attrs.push_back(std::move(a));
  }
  if (s.version >= 18) {
    const uint32_t n_labels = r.get<uint32_t>();
    if (n_labels) throw FormatError(what + ": dimension labels are not supported yet");
  }
  if (s.version >= 20) {
    const uint32_t n_enums = r.get<uint32_t>();
    for (uint32_t i = 0; i < n_enums; ++i) {
      std::string name = name32(r);
      s.enumeration_files[name] = name32(r);
    }
  }
  if (s.version >= 22) {
    r.get<uint32_t>();  // current domain version
    const bool empty = r.get<uint8_t>() != 0;
    if (!empty) {
      const uint8_t type = r.get<uint8_t>();
      if (type != 0) throw FormatError(what + ": current domain type " + std::to_string(type) + " is not supported");
      for (const auto& d : s.dims) s.current_domain.push_back(read_range(r, d));
    }
  }
  for (const auto& a : s.attrs)
    if (!a.enumeration.empty() && !s.enumeration_files.count(a.enumeration))
      throw FormatError(what + ": attribute '" + a.name + "' names enumeration '" + a.enumeration + "' that the schema does not list");
  return s;
}

Enumeration parse_enumeration(const std::vector<uint8_t>& payload, const std::string& what) {
  ByteReader r(payload, what);
  Enumeration e;
  r.get<uint32_t>();  // version
  e.name = name32(r);
  name32(r);          // path
  e.type = static_cast<Datatype>(r.get<uint8_t>());
  datatype_size(e.type);
  e.cell_val_num = r.get<uint32_t>();
  e.ordered = r.get<uint8_t>() != 0;
  e.data = r.bytes(r.get<uint64_t>());
  if (e.cell_val_num == kVarNum) {
    const uint64_t n = r.get<uint64_t>() / 8;
    e.offsets.resize(n);
    for (auto& o : e.offsets) o = r.get<uint64_t>();
    for (size_t i = 0; i < n; ++i)
      if (e.offsets[i] > e.data.size() || (i && e.offsets[i] < e.offsets[i - 1])) r.fail("enumeration offsets out of order");
    e.offsets.push_back(e.data.size());
  }
  return e;
}

uint64_t Enumeration::size() const {
  if (cell_val_num == kVarNum) return offsets.empty() ? 0 : offsets.size() - 1;
  return data.size() / (datatype_size(type) * cell_val_num);
}

std::string Enumeration::text(uint64_t i) const {
  if (cell_val_num == kVarNum)
    return {reinterpret_cast<const char*>(data.data()) + offsets[i], static_cast<size_t>(offsets[i + 1] - offsets[i])};
  FieldData f;
  f.type = type;
  f.cell_val_num = cell_val_num;
  f.data = data;
  switch (type) {
    case Datatype::Float32: return fmt::format("{}", f.value<float>(i));
    case Datatype::Float64: return fmt::format("{}", f.value<double>(i));
    case Datatype::Bool: return f.value<uint8_t>(i) ? "True" : "False";
    default: break;
  }
  switch (datatype_size(type)) {
    case 1: return is_signed_type(type) ? std::to_string(f.value<int8_t>(i)) : std::to_string(f.value<uint8_t>(i));
    case 2: return is_signed_type(type) ? std::to_string(f.value<int16_t>(i)) : std::to_string(f.value<uint16_t>(i));
    case 4: return is_signed_type(type) ? std::to_string(f.value<int32_t>(i)) : std::to_string(f.value<uint32_t>(i));
    default: return is_signed_type(type) ? std::to_string(f.value<int64_t>(i)) : std::to_string(f.value<uint64_t>(i));
  }
}

const Attribute* ArraySchema::attribute(const std::string& name) const {
  for (const auto& a : attrs)
    if (a.name == name) return &a;
  return nullptr;
}
const Dimension* ArraySchema::dimension(const std::string& name) const {
  for (const auto& d : dims)
    if (d.name == name) return &d;
  return nullptr;
}

namespace {
int64_t range_int(const std::vector<uint8_t>& b, Datatype t) {
  if (!is_integer_type(t) || b.size() != datatype_size(t)) throw FormatError("range of a " + to_string(t) + " dimension read as an integer");
  FieldData f;
  f.type = t;
  f.data = b;
  return integer_value(f, 0);
}
}  // namespace

int64_t integer_value(const FieldData& f, uint64_t i) {
  if (!is_integer_type(f.type)) throw FormatError("a " + to_string(f.type) + " value read as an integer");
  const bool s = is_signed_type(f.type);
  switch (datatype_size(f.type)) {
    case 1: return s ? f.value<int8_t>(i) : f.value<uint8_t>(i);
    case 2: return s ? f.value<int16_t>(i) : f.value<uint16_t>(i);
    case 4: return s ? f.value<int32_t>(i) : f.value<uint32_t>(i);
    default: return s ? f.value<int64_t>(i) : static_cast<int64_t>(f.value<uint64_t>(i));
  }
}

int64_t Range::lo_int(Datatype t) const { return range_int(lo, t); }
int64_t Range::hi_int(Datatype t) const { return range_int(hi, t); }

}  // namespace bmfm::io::tiledb

// Sparse array reading: schemas, committed fragments, fragment footers,
// R-tree pruning and data tiles (array_file_hierarchy.md, fragment.md).
#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "internal.h"

namespace bmfm::io::tiledb {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
std::string last_part(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s.substr(s.find_last_of('/') + 1);
}

// One committed fragment: its footer and (loaded on first use) tile indexes.
struct Fragment {
  FragmentInfo info;
  std::string dir;
  const ArraySchema* schema = nullptr;  // the schema it was written with
  std::vector<uint8_t> meta;             // __fragment_metadata.tdb
  uint64_t last_tile_cells = 0;
  bool has_timestamps = false, has_delete_meta = false;
  std::vector<uint64_t> file_sizes, file_var_sizes, file_validity_sizes;
  uint64_t rtree_offset = 0;
  std::vector<uint64_t> tile_offsets_at, tile_var_offsets_at, tile_var_sizes_at, tile_validity_offsets_at;
  std::vector<Range> mbr_dim0;  // leaf MBRs, first dimension only

  std::mutex mu;
  std::map<std::string, std::vector<uint64_t>> loaded;  // "o3" / "v3" / "s3" / "n3" -> generic tile values

  uint64_t n_fields() const { return schema->attrs.size() + 1 + schema->dims.size(); }
  // Index of a field in the footer's per-field tables (FORMAT-NOTES.md #4):
  // attributes, the legacy __coords slot, dimensions.
  int64_t field_index(const std::string& name, bool* is_dim, size_t* pos) const {
    for (size_t i = 0; i < schema->attrs.size(); ++i)
      if (schema->attrs[i].name == name) {
        *is_dim = false;
        *pos = i;
        return static_cast<int64_t>(i);
      }
    for (size_t j = 0; j < schema->dims.size(); ++j)
      if (schema->dims[j].name == name) {
        *is_dim = true;
        *pos = j;
        return static_cast<int64_t>(schema->attrs.size() + 1 + j);
      }
    return -1;
  }

  const std::vector<uint64_t>& table(char kind, uint64_t idx) {
    const std::string key = kind + std::to_string(idx);
    std::lock_guard<std::mutex> lock(mu);
    auto it = loaded.find(key);
    if (it != loaded.end()) return it->second;
    const auto& at = kind == 'o' ? tile_offsets_at : kind == 'v' ? tile_var_offsets_at
                   : kind == 's' ? tile_var_sizes_at : tile_validity_offsets_at;
    const std::string what = dir + "/__fragment_metadata.tdb (tile offsets of field " + std::to_string(idx) + ")";
    const auto payload = read_generic_tile(meta, at[idx], what);
    ByteReader r(payload, what);
    const uint64_t n = r.get<uint64_t>();
    if (n != info.n_tiles) r.fail(fmt::format("{} tile offsets for {} tiles", n, info.n_tiles));
    std::vector<uint64_t> v(n);
    for (auto& x : v) x = r.get<uint64_t>();
    return loaded.emplace(key, std::move(v)).first->second;
  }
};

void parse_footer(Fragment& f, const std::vector<ArraySchema>& schemas) {
  const std::string path = f.dir + "/__fragment_metadata.tdb";
  f.meta = read_file_bytes(path);
  if (f.meta.size() < 8) throw FormatError(path + ": truncated: no footer");
  uint64_t footer_size = 0;
  std::memcpy(&footer_size, f.meta.data() + f.meta.size() - 8, 8);
  if (footer_size > f.meta.size() - 8) throw FormatError(fmt::format("{}: bad footer length {} in a {}-byte file", path, footer_size, f.meta.size()));
  ByteReader r(f.meta.data() + f.meta.size() - 8 - footer_size, footer_size, path + " (footer)");
  const uint32_t version = r.get<uint32_t>();
  if (version != f.info.version)
    throw FormatError(fmt::format("{}: footer says format version {}, the fragment name says {}", path, version, f.info.version));
  const std::string schema_name = r.string(r.get<uint64_t>());
  for (const auto& s : schemas)
    if (last_part(s.file) == schema_name) f.schema = &s;
  if (!f.schema) throw FormatError(path + ": written with array schema '" + schema_name + "', which is not in __schema");
  f.info.schema = schema_name;
  const bool dense = r.get<uint8_t>() != 0;
  if (dense) throw FormatError(path + ": dense fragments are not supported yet (only sparse arrays are read)");
  const bool null_domain = r.get<uint8_t>() != 0;
  (void)null_domain;
  for (const auto& d : f.schema->dims) read_range(r, d);  // non-empty domain
  f.info.n_tiles = r.get<uint64_t>();
  f.last_tile_cells = r.get<uint64_t>();
  if (version >= 14) f.has_timestamps = r.get<uint8_t>() != 0;
  if (version >= 15) f.has_delete_meta = r.get<uint8_t>() != 0;
  if (f.has_delete_meta) throw FormatError(path + ": fragments with delete metadata (deletes / updates) are not supported");
  const uint64_t n = f.n_fields() + (f.has_timestamps ? 1 : 0);
  auto vec = [&](std::vector<uint64_t>& v) {
    v.resize(n);
    for (auto& x : v) x = r.get<uint64_t>();
  };
  vec(f.file_sizes);
  vec(f.file_var_sizes);
  vec(f.file_validity_sizes);
  f.rtree_offset = r.get<uint64_t>();
  vec(f.tile_offsets_at);
  vec(f.tile_var_offsets_at);
  vec(f.tile_var_sizes_at);
  vec(f.tile_validity_offsets_at);
  // mins, maxs, sums, null counts, fragment statistics, processed conditions:
  // not needed for reading.
  const uint64_t full = f.info.n_tiles ? (f.info.n_tiles - 1) * f.schema->capacity + f.last_tile_cells : 0;
  f.info.n_cells = full;

  // R-tree: levels root first; the last level holds one MBR per data tile.
  const std::string what = path + " (R-tree)";
  const auto payload = read_generic_tile(f.meta, f.rtree_offset, what);
  ByteReader t(payload, what);
  t.get<uint32_t>();  // fanout
  const uint32_t levels = t.get<uint32_t>();
  for (uint32_t l = 0; l < levels; ++l) {
    const uint64_t m = t.get<uint64_t>();
    if (m > payload.size()) t.fail("MBR count " + std::to_string(m));
    const bool leaves = l + 1 == levels;
    if (leaves) f.mbr_dim0.clear();
    for (uint64_t i = 0; i < m; ++i)
      for (size_t d = 0; d < f.schema->dims.size(); ++d) {
        Range rg = read_range(t, f.schema->dims[d]);
        if (leaves && d == 0) f.mbr_dim0.push_back(std::move(rg));
      }
  }
  if (f.mbr_dim0.size() != f.info.n_tiles)
    throw FormatError(fmt::format("{}: R-tree has {} leaves for {} tiles", path, f.mbr_dim0.size(), f.info.n_tiles));
}

}  // namespace

struct Array::Impl {
  std::string folder;
  std::vector<ArraySchema> schemas;
  std::vector<std::unique_ptr<Fragment>> fragments;
  std::vector<FragmentInfo> infos;
  mutable std::mutex mu;
  mutable std::map<std::string, Enumeration> enumerations;
  mutable std::optional<Metadata> metadata;
  mutable std::atomic<uint64_t> bytes_read{0};

  const ArraySchema& schema() const { return schemas.back(); }

  std::vector<uint8_t> tile_bytes(Fragment& f, const std::string& file, const std::vector<uint64_t>& offsets,
                                  uint64_t file_size, uint64_t t) const {
    const uint64_t begin = offsets[t];
    const uint64_t end = t + 1 < offsets.size() ? offsets[t + 1] : file_size;
    if (end < begin) throw FormatError(fmt::format("{}/{}: tile {} has a negative size", f.dir, file, t));
    bytes_read += end - begin;
    return read_file_range(f.dir + "/" + file, begin, end - begin);
  }

  // Decodes tile t of one field of a fragment and appends the cells selected by `keep` to `out`.
  void read_field_tile(Fragment& f, const std::string& name, uint64_t t, uint64_t n_cells,
                       const std::vector<uint8_t>* keep, FieldData& out) const {
    bool is_dim = false;
    size_t pos = 0;
    const int64_t idx = f.field_index(name, &is_dim, &pos);
    const Attribute* attr = nullptr;
    const Dimension* dim = nullptr;
    if (idx < 0) {
      // Added by schema evolution after this fragment was written: fill values.
      attr = schema().attribute(name);
      if (!attr) throw FormatError(folder + ": no field '" + name + "'");
      for (uint64_t i = 0; i < n_cells; ++i) {
        if (keep && !(*keep)[i]) continue;
        if (attr->var()) {
          out.data.insert(out.data.end(), attr->fill.begin(), attr->fill.end());
          out.offsets.push_back(out.data.size());
        } else {
          out.data.insert(out.data.end(), attr->fill.begin(), attr->fill.end());
        }
        if (attr->nullable) out.validity.push_back(attr->fill_valid ? 1 : 0);
      }
      return;
    }
    if (is_dim) dim = &f.schema->dims[pos];
    else attr = &f.schema->attrs[pos];
    const Datatype type = dim ? dim->type : attr->type;
    const uint32_t cvn = dim ? dim->cell_val_num : attr->cell_val_num;
    const bool var = cvn == kVarNum;
    const bool nullable = attr && attr->nullable;
    const FilterPipeline& pipeline = dim ? (dim->filters.filters.empty() ? f.schema->coords_filters : dim->filters) : attr->filters;
    const std::string file = (dim ? "d" : "a") + std::to_string(pos);
    const std::string what = fmt::format("{}/{}.tdb (field '{}', tile {})", f.dir, file, name, t);
    const auto& offs = f.table('o', static_cast<uint64_t>(idx));
    auto fixed = tile_bytes(f, file + ".tdb", offs, f.file_sizes[idx], t);

    std::vector<uint8_t> validity;
    if (nullable) {
      const auto& voffs = f.table('n', static_cast<uint64_t>(idx));
      auto vb = tile_bytes(f, file + "_validity.tdb", voffs, f.file_validity_sizes[idx], t);
      validity = unfilter_tile(vb.data(), vb.size(), f.schema->validity_filters, Datatype::UInt8, f.info.version, what + " validity");
      if (validity.size() != n_cells) throw FormatError(fmt::format("{}: {} validity values for {} cells", what, validity.size(), n_cells));
    }
    if (!var) {
      const uint64_t cell = datatype_size(type) * cvn;
      auto values = unfilter_tile(fixed.data(), fixed.size(), pipeline, type, f.info.version, what);
      if (values.size() != n_cells * cell)
        throw FormatError(fmt::format("{}: decodes to {} bytes, {} cells of {} bytes expected", what, values.size(), n_cells, cell));
      if (!keep) {
        if (out.data.empty()) out.data = std::move(values);
        else out.data.insert(out.data.end(), values.begin(), values.end());
        if (nullable) out.validity.insert(out.validity.end(), validity.begin(), validity.end());
        return;
      }
      // Copy the kept cells in runs.
      for (uint64_t i = 0; i < n_cells;) {
        if (!(*keep)[i]) {
          ++i;
          continue;
        }
        uint64_t j = i + 1;
        while (j < n_cells && (*keep)[j]) ++j;
        out.data.insert(out.data.end(), values.begin() + static_cast<long>(i * cell), values.begin() + static_cast<long>(j * cell));
        if (nullable) out.validity.insert(out.validity.end(), validity.begin() + static_cast<long>(i), validity.begin() + static_cast<long>(j));
        i = j;
      }
      return;
    }
    const auto& var_offs = f.table('v', static_cast<uint64_t>(idx));
    auto vb = tile_bytes(f, file + "_var.tdb", var_offs, f.file_var_sizes[idx], t);
    std::vector<uint64_t> starts;
    auto values = unfilter_tile(vb.data(), vb.size(), pipeline, type, f.info.version, what + " values", &starts);
    if (starts.empty()) {
      auto raw = unfilter_tile(fixed.data(), fixed.size(), f.schema->offsets_filters, Datatype::UInt64, f.info.version, what + " offsets");
      if (raw.size() != n_cells * 8) throw FormatError(fmt::format("{}: {} offset bytes for {} cells", what, raw.size(), n_cells));
      starts.resize(n_cells + 1);
      std::memcpy(starts.data(), raw.data(), raw.size());
      starts[n_cells] = values.size();
      const auto& sizes = f.table('s', static_cast<uint64_t>(idx));
      if (sizes[t] != values.size()) throw FormatError(fmt::format("{}: values decode to {} bytes, the footer says {}", what, values.size(), sizes[t]));
    }
    if (starts.size() != n_cells + 1) throw FormatError(fmt::format("{}: {} strings for {} cells", what, starts.size() - 1, n_cells));
    for (uint64_t i = 0; i < n_cells; ++i) {
      if (starts[i] > starts[i + 1] || starts[i + 1] > values.size()) throw FormatError(what + ": offsets out of order");
      if (keep && !(*keep)[i]) continue;
      out.data.insert(out.data.end(), values.begin() + static_cast<long>(starts[i]), values.begin() + static_cast<long>(starts[i + 1]));
      out.offsets.push_back(out.data.size());
      if (nullable) out.validity.push_back(validity[i]);
    }
  }
};

Array::Array(const std::string& folder) : impl_(std::make_unique<Impl>()) {
  auto& im = *impl_;
  im.folder = folder;
  while (im.folder.size() > 1 && im.folder.back() == '/') im.folder.pop_back();
  if (!is_dir(im.folder)) throw FormatError(folder + ": no such folder");
  if (path_exists(im.folder + "/__array_schema.tdb") && !is_dir(im.folder + "/__schema"))
    throw FormatError(folder + ": TileDB array of format version < 10 (TileDB < 2.4, __array_schema.tdb) is not supported; "
                               "upgrade it with tiledb.Array.upgrade_version");
  if (!is_dir(im.folder + "/__schema")) throw FormatError(folder + ": not a TileDB array (no __schema folder)");

  std::vector<TimestampedName> schema_files;
  for (const auto& name : list_dir(im.folder + "/__schema")) {
    TimestampedName t;
    if (name == "__enumerations") continue;
    if (!parse_timestamped_name(name, &t)) t.name = name;
    schema_files.push_back(t);
  }
  if (schema_files.empty()) throw FormatError(folder + "/__schema: holds no array schema");
  std::sort(schema_files.begin(), schema_files.end(), [](const auto& a, const auto& b) {
    return std::tie(a.t1, a.t2, a.name) < std::tie(b.t1, b.t2, b.name);
  });
  for (const auto& t : schema_files) {
    const std::string path = im.folder + "/__schema/" + t.name;
    ArraySchema s = parse_schema(read_generic_tile(read_file_bytes(path), 0, path), path);
    s.file = "__schema/" + t.name;
    im.schemas.push_back(std::move(s));
  }
  if (im.schema().dense) throw FormatError(folder + ": dense arrays are not supported yet (SOMA dataframes and sparse "
                                                    "ND arrays are sparse; a SOMADenseNDArray is not read)");

  // Committed fragments: __commits/<name>.wrt, or listed in a consolidated
  // commits file (.con, unless an .ign file retires it); minus vacuumed ones.
  std::set<std::string> committed, vacuumed, ignored_con;
  const std::string commits = im.folder + "/__commits";
  for (const auto& name : list_dir(commits))
    if (ends_with(name, ".ign"))
      for (const auto& l : lines_of(commits + "/" + name)) ignored_con.insert(last_part(l));
  for (const auto& name : list_dir(commits)) {
    if (ends_with(name, ".wrt")) committed.insert(name.substr(0, name.size() - 4));
    else if (ends_with(name, ".con") && !ignored_con.count(name))
      for (const auto& l : lines_of(commits + "/" + name)) committed.insert(last_part(l));
    else if (ends_with(name, ".vac"))
      for (const auto& l : lines_of(commits + "/" + name)) vacuumed.insert(last_part(l));
    else if (ends_with(name, ".del") || ends_with(name, ".upd"))
      throw FormatError(folder + ": delete / update commits (" + name + ") are not supported");
  }
  std::vector<std::pair<TimestampedName, std::string>> candidates;  // name, folder
  for (const auto& name : list_dir(im.folder + "/__fragments")) {
    TimestampedName t;
    if (parse_timestamped_name(name, &t) && committed.count(name) && !vacuumed.count(name))
      candidates.emplace_back(t, im.folder + "/__fragments/" + name);
  }
  // Format versions 10 and 11 kept fragments in the array folder with an .ok file.
  for (const auto& name : list_dir(im.folder)) {
    TimestampedName t;
    if (is_dir(im.folder + "/" + name) && parse_timestamped_name(name, &t) && path_exists(im.folder + "/" + name + ".ok") &&
        !vacuumed.count(name))
      candidates.emplace_back(t, im.folder + "/" + name);
  }
  // A consolidated fragment replaces the fragments inside its time range.
  std::vector<std::pair<TimestampedName, std::string>> kept;
  for (const auto& c : candidates) {
    bool covered = false;
    for (const auto& o : candidates)
      if (o.first.name != c.first.name && o.first.t1 <= c.first.t1 && c.first.t2 <= o.first.t2 &&
          (o.first.t1 != c.first.t1 || o.first.t2 != c.first.t2))
        covered = true;
    if (!covered) kept.push_back(c);
  }
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first.t1, a.first.t2, a.first.name) < std::tie(b.first.t1, b.first.t2, b.first.name);
  });
  for (const auto& [t, dir] : kept) {
    if (t.version > kMaxFormatVersion)
      throw FormatError(fmt::format("{}: fragment {} has format version {}, newer than this reader knows ({}..{}, TileDB "
                                    "2.4..2.29)", folder, t.name, t.version, kMinFormatVersion, kMaxFormatVersion));
    if (t.version < kMinFormatVersion)
      throw FormatError(fmt::format("{}: fragment {} has format version {} (< {}), which is not supported", folder, t.name,
                                    t.version, kMinFormatVersion));
    auto f = std::make_unique<Fragment>();
    f->info.name = t.name;
    f->info.version = t.version;
    f->info.t1 = t.t1;
    f->info.t2 = t.t2;
    f->dir = dir;
    parse_footer(*f, im.schemas);
    im.infos.push_back(f->info);
    im.fragments.push_back(std::move(f));
  }
}

Array::~Array() = default;
Array::Array(Array&&) noexcept = default;
Array& Array::operator=(Array&&) noexcept = default;

const std::string& Array::folder() const { return impl_->folder; }
const ArraySchema& Array::schema() const { return impl_->schema(); }
const std::vector<ArraySchema>& Array::schemas() const { return impl_->schemas; }
const std::vector<FragmentInfo>& Array::fragments() const { return impl_->infos; }
uint64_t Array::bytes_read() const { return impl_->bytes_read; }

uint64_t Array::n_cells() const {
  uint64_t n = 0;
  for (const auto& f : impl_->infos) n += f.n_cells;
  return n;
}

const Metadata& Array::metadata() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (!impl_->metadata) impl_->metadata = read_metadata(impl_->folder);
  return *impl_->metadata;
}

const Enumeration& Array::enumeration(const std::string& name) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->enumerations.find(name);
  if (it != impl_->enumerations.end()) return it->second;
  const auto& files = schema().enumeration_files;
  auto f = files.find(name);
  if (f == files.end()) throw FormatError(impl_->folder + ": no enumeration '" + name + "'");
  const std::string path = impl_->folder + "/__schema/__enumerations/" + f->second;
  Enumeration e = parse_enumeration(read_generic_tile(read_file_bytes(path), 0, path), path);
  return impl_->enumerations.emplace(name, std::move(e)).first->second;
}

ReadResult Array::read(const std::vector<std::string>& fields_in, std::optional<int64_t> lo, std::optional<int64_t> hi) const {
  const auto& im = *impl_;
  const ArraySchema& s = schema();
  std::vector<std::string> fields = fields_in;
  if (fields.empty()) {
    for (const auto& d : s.dims) fields.push_back(d.name);
    for (const auto& a : s.attrs) fields.push_back(a.name);
  }
  ReadResult res;
  for (const auto& name : fields) {
    FieldData fd;
    if (const auto* d = s.dimension(name)) {
      fd.type = d->type;
      fd.cell_val_num = d->cell_val_num;
    } else if (const auto* a = s.attribute(name)) {
      fd.type = a->type;
      fd.cell_val_num = a->cell_val_num;
    } else {
      std::string names;
      for (const auto& d : s.dims) names += (names.empty() ? "" : ", ") + d.name;
      for (const auto& a : s.attrs) names += ", " + a.name;
      throw FormatError(im.folder + ": no dimension or attribute '" + name + "' (has: " + names + ")");
    }
    if (fd.cell_val_num == kVarNum) fd.offsets.push_back(0);
    res.fields.emplace(name, std::move(fd));
  }
  const Dimension& d0 = s.dims[0];
  const bool ranged = lo || hi;
  if (ranged && (d0.var() || !is_integer_type(d0.type)))
    throw FormatError(im.folder + ": range reads need an integer first dimension, '" + d0.name + "' is " + to_string(d0.type));
  const int64_t rlo = lo.value_or(std::numeric_limits<int64_t>::min());
  const int64_t rhi = hi.value_or(std::numeric_limits<int64_t>::max());

  // Coordinates of every kept cell (for duplicate removal across fragments).
  const bool dedup = !s.allows_dups && im.fragments.size() > 1;
  std::vector<std::string> coord_keys;
  for (const auto& fp : im.fragments) {
    Fragment& f = *fp;
    for (uint64_t t = 0; t < f.info.n_tiles; ++t) {
      if (ranged && (f.mbr_dim0[t].hi_int(d0.type) < rlo || f.mbr_dim0[t].lo_int(d0.type) > rhi)) continue;
      const uint64_t n_cells = t + 1 == f.info.n_tiles ? f.last_tile_cells : f.schema->capacity;
      std::vector<uint8_t> keep;
      bool all_kept = true;
      FieldData c0;  // the first dimension, decoded once when it decides the range
      if (ranged) {
        c0.type = d0.type;
        im.read_field_tile(f, d0.name, t, n_cells, nullptr, c0);
        keep.resize(n_cells);
        uint64_t kept = 0;
        for (uint64_t i = 0; i < n_cells; ++i) {
          const int64_t v = d0.type == Datatype::Int64 ? c0.value<int64_t>(i) : integer_value(c0, i);
          keep[i] = v >= rlo && v <= rhi;
          kept += keep[i];
        }
        if (kept == 0) continue;
        all_kept = kept == n_cells;
      }
      const std::vector<uint8_t>* selection = ranged && !all_kept ? &keep : nullptr;
      const uint64_t before = res.n;
      for (const auto& name : fields) {
        FieldData& out = res.fields.at(name);
        if (ranged && all_kept && name == d0.name && d0.cell_val_num == 1) {
          out.data.insert(out.data.end(), c0.data.begin(), c0.data.end());
          continue;
        }
        im.read_field_tile(f, name, t, n_cells, selection, out);
      }
      res.n += selection ? static_cast<uint64_t>(std::count(keep.begin(), keep.end(), 1)) : n_cells;
      if (dedup) {
        // Build coordinate keys for the cells just added.
        std::vector<FieldData> coords;
        for (const auto& d : s.dims) {
          FieldData c;
          c.type = d.type;
          c.cell_val_num = d.cell_val_num;
          if (d.var()) c.offsets.push_back(0);
          im.read_field_tile(f, d.name, t, n_cells, selection, c);
          coords.push_back(std::move(c));
        }
        for (uint64_t i = 0; i < res.n - before; ++i) {
          std::string key;
          for (size_t k = 0; k < coords.size(); ++k) {
            const auto& c = coords[k];
            if (s.dims[k].var()) {
              key += std::to_string(c.offsets[i + 1] - c.offsets[i]) + ":";
              key.append(reinterpret_cast<const char*>(c.data.data()) + c.offsets[i], c.offsets[i + 1] - c.offsets[i]);
            } else {
              const uint64_t sz = datatype_size(s.dims[k].type) * s.dims[k].cell_val_num;
              key.append(reinterpret_cast<const char*>(c.data.data()) + i * sz, sz);
            }
          }
          coord_keys.push_back(std::move(key));
        }
      }
    }
  }
  if (dedup) {
    std::unordered_map<std::string, uint64_t> last;
    for (uint64_t i = 0; i < coord_keys.size(); ++i) last[coord_keys[i]] = i;
    if (last.size() != coord_keys.size()) {
      std::vector<uint8_t> keep(coord_keys.size());
      for (uint64_t i = 0; i < coord_keys.size(); ++i) keep[i] = last[coord_keys[i]] == i;
      ReadResult out;
      for (auto& [name, fd] : res.fields) {
        FieldData g;
        g.type = fd.type;
        g.cell_val_num = fd.cell_val_num;
        if (fd.cell_val_num == kVarNum) g.offsets.push_back(0);
        const uint64_t cell = fd.cell_val_num == kVarNum ? 0 : datatype_size(fd.type) * fd.cell_val_num;
        for (uint64_t i = 0; i < res.n; ++i) {
          if (!keep[i]) continue;
          if (cell) {
            g.data.insert(g.data.end(), fd.data.begin() + static_cast<long>(i * cell), fd.data.begin() + static_cast<long>((i + 1) * cell));
          } else {
            g.data.insert(g.data.end(), fd.data.begin() + static_cast<long>(fd.offsets[i]), fd.data.begin() + static_cast<long>(fd.offsets[i + 1]));
            g.offsets.push_back(g.data.size());
          }
          if (!fd.validity.empty()) g.validity.push_back(fd.validity[i]);
        }
        out.fields.emplace(name, std::move(g));
      }
      out.n = static_cast<uint64_t>(std::count(keep.begin(), keep.end(), 1));
      return out;
    }
  }
  return res;
}

uint64_t FieldData::size() const {
  if (cell_val_num == kVarNum) return offsets.empty() ? 0 : offsets.size() - 1;
  const uint64_t cell = datatype_size(type) * cell_val_num;
  return cell ? data.size() / cell : 0;
}

std::string FieldData::string(uint64_t i) const {
  if (cell_val_num != kVarNum) {
    const uint64_t cell = datatype_size(type) * cell_val_num;
    return {reinterpret_cast<const char*>(data.data()) + i * cell, static_cast<size_t>(cell)};
  }
  return {reinterpret_cast<const char*>(data.data()) + offsets[i], static_cast<size_t>(offsets[i + 1] - offsets[i])};
}

const FieldData& ReadResult::at(const std::string& name) const {
  auto it = fields.find(name);
  if (it == fields.end()) throw FormatError("field '" + name + "' was not read");
  return it->second;
}

}  // namespace bmfm::io::tiledb

// bmfm_write_soma IN.h5ad OUT_FOLDER [--fragments N] [--extent E] [--capacity C] [--matrix KEY]
//                 [--rewrite-obs N]
//
// Test and benchmark tool (not part of bmfm, which only reads TileDB): writes
// an h5ad as a TileDB-SOMA experiment laid out like the CELLxGENE Census
// (obs / ms/RNA/var dataframes with categoricals as enumerations, X/raw as a
// SOMASparseNDArray with E x E space tiles, C-cell data tiles in global order,
// soma_dim_1 and soma_data BYTESHUFFLE+ZSTD, duplicates allowed), following
// the TileDB format specification (format version 22). With --fragments N the
// cells are written in N fragments (one write each), as incremental writers do;
// --matrix picks the h5ad matrix written as X/raw (default X, e.g. layers/counts);
// --rewrite-obs N adds a later obs fragment that renames the first N cells
// (obs_id + "_rewritten"), for testing that a later fragment wins.
// There is no libtiledb here to cross-check its output: what it proves is that
// bmfm streams large banded arrays the same as the h5ad they came from.
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <numeric>
#include <string>
#include <vector>

#include "bmfm/io/h5ad.h"

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

template <class T>
void put(Bytes& b, T v) {
  const auto* p = reinterpret_cast<const uint8_t*>(&v);
  b.insert(b.end(), p, p + sizeof(T));
}
void put_str32(Bytes& b, const std::string& s) {
  put<uint32_t>(b, static_cast<uint32_t>(s.size()));
  b.insert(b.end(), s.begin(), s.end());
}
void put_str64(Bytes& b, const std::string& s) {
  put<uint64_t>(b, s.size());
  b.insert(b.end(), s.begin(), s.end());
}
void write_file(const std::string& path, const Bytes& b) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

enum : uint8_t { kInt32 = 0, kInt64 = 1, kFloat32 = 2, kFloat64 = 3, kUInt8 = 6, kUtf8 = 12, kBool = 41 };
enum : uint8_t { kZstd = 2, kByteShuffle = 9 };

// Pipelines used here: {}, {ZSTD}, {BYTESHUFFLE, ZSTD}.
struct Pipeline {
  bool shuffle = false, zstd = false;
};
void put_pipeline(Bytes& b, Pipeline p) {
  put<uint32_t>(b, 65536);
  put<uint32_t>(b, (p.shuffle ? 1 : 0) + (p.zstd ? 1 : 0));
  if (p.shuffle) {
    b.push_back(kByteShuffle);
    put<uint32_t>(b, 0);
  }
  if (p.zstd) {
    b.push_back(kZstd);
    put<uint32_t>(b, 5);
    b.push_back(kZstd);
    put<int32_t>(b, 9);
  }
}

// One chunk of `raw` filtered forward through `p` (tile.md).
Bytes filtered_tile(const Bytes& raw, Pipeline p, size_t elem) {
  Bytes md, data = raw;
  if (p.shuffle) {
    const size_t n = raw.size() / elem;
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < elem; ++j) data[j * n + i] = raw[i * elem + j];
    put<uint32_t>(md, 1);
    put<uint32_t>(md, static_cast<uint32_t>(raw.size()));
  }
  if (p.zstd) {
    auto squeeze = [](const Bytes& in) {
      Bytes out(ZSTD_compressBound(in.size()));
      out.resize(ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 9));
      return out;
    };
    const Bytes zmd = md.empty() ? Bytes{} : squeeze(md), zdata = squeeze(data);
    Bytes header;
    put<uint32_t>(header, md.empty() ? 0 : 1);
    put<uint32_t>(header, 1);
    if (!md.empty()) {
      put<uint32_t>(header, static_cast<uint32_t>(md.size()));
      put<uint32_t>(header, static_cast<uint32_t>(zmd.size()));
    }
    put<uint32_t>(header, static_cast<uint32_t>(data.size()));
    put<uint32_t>(header, static_cast<uint32_t>(zdata.size()));
    md = header;
    data = zmd;
    data.insert(data.end(), zdata.begin(), zdata.end());
  }
  Bytes t;
  put<uint64_t>(t, 1);
  put<uint32_t>(t, static_cast<uint32_t>(raw.size()));
  put<uint32_t>(t, static_cast<uint32_t>(data.size()));
  put<uint32_t>(t, static_cast<uint32_t>(md.size()));
  t.insert(t.end(), md.begin(), md.end());
  t.insert(t.end(), data.begin(), data.end());
  return t;
}

Bytes generic_tile(const Bytes& payload) {
  const Bytes tile = filtered_tile(payload, {false, true}, 1);
  Bytes pipe;
  put_pipeline(pipe, {false, true});
  Bytes g;
  put<uint32_t>(g, 1);
  put<uint64_t>(g, tile.size());
  put<uint64_t>(g, payload.size());
  g.push_back(kUInt8);
  put<uint64_t>(g, 1);
  g.push_back(0);
  put<uint32_t>(g, static_cast<uint32_t>(pipe.size()));
  g.insert(g.end(), pipe.begin(), pipe.end());
  g.insert(g.end(), tile.begin(), tile.end());
  return g;
}

uint64_t g_clock = 1700000000000;
std::string stamped(int version = -1) {
  const uint64_t t = ++g_clock;
  char uuid[33];
  snprintf(uuid, sizeof uuid, "%032llx", static_cast<unsigned long long>(t * 2654435761ull));
  std::string s = "__" + std::to_string(t) + "_" + std::to_string(t) + "_" + uuid;
  if (version >= 0) s += "_" + std::to_string(version);
  return s;
}

struct MetaEntry {
  std::string key;
  uint8_t type;
  Bytes value;
  uint32_t count;
};
MetaEntry meta_string(const std::string& k, const std::string& v) { return {k, kUtf8, Bytes(v.begin(), v.end()), static_cast<uint32_t>(v.size())}; }
void write_metadata(const std::string& folder, const std::vector<MetaEntry>& entries) {
  Bytes p;
  for (const auto& e : entries) {
    put_str32(p, e.key);
    p.push_back(0);
    p.push_back(e.type);
    put<uint32_t>(p, e.count);
    p.insert(p.end(), e.value.begin(), e.value.end());
  }
  write_file(folder + "/__meta/" + stamped(), generic_tile(p));
}

void write_group(const std::string& folder, const std::vector<std::pair<std::string, bool>>& members,
                 const std::vector<MetaEntry>& meta) {
  fs::create_directories(folder);
  write_file(folder + "/__tiledb_group.tdb", {});
  Bytes p;
  put<uint32_t>(p, 2);
  put<uint64_t>(p, members.size());
  for (const auto& [name, is_group] : members) {
    put<uint32_t>(p, 2);
    p.push_back(is_group ? 1 : 2);
    p.push_back(1);
    put_str64(p, name);
    p.push_back(1);
    put_str64(p, name);
    p.push_back(0);
  }
  write_file(folder + "/__group/" + stamped(2), generic_tile(p));
  write_metadata(folder, meta);
}

// A field of a sparse array: fixed values (elem bytes each) or var strings.
struct Field {
  std::string name;
  uint8_t type = kFloat64;
  bool var = false;
  Pipeline pipeline{false, true};
  std::string enumeration;        // categorical: enumeration name
  std::vector<std::string> enum_values;
  Bytes fixed;                    // n * elem
  std::vector<std::string> strings;
  size_t elem() const { return type == kInt64 || type == kFloat64 ? 8 : type == kInt32 || type == kFloat32 ? 4 : 1; }
};

struct ArraySpec {
  std::vector<std::string> dim_names;
  std::vector<int64_t> dim_hi;     // domain [0, hi]
  int64_t extent = 2048;
  uint64_t capacity = 65536;
  bool allows_dups = false;
  std::vector<Field> attrs;
  std::vector<std::vector<int64_t>> coords;  // per dim, cells in global order
};

// Writes the array's schema (unless `schema_name` names one already written)
// and its cells in `fragments` fragments; returns the schema's name.
std::string write_array(const std::string& folder, const ArraySpec& a, const std::vector<MetaEntry>& meta, int fragments,
                        std::string schema_name = "") {
  fs::create_directories(folder + "/__fragment_meta");
  fs::create_directories(folder + "/__labels");
  const bool new_schema = schema_name.empty();
  if (new_schema) schema_name = stamped();
  if (new_schema) {
  // Enumerations
  std::vector<std::pair<std::string, std::string>> enums;
  for (const auto& f : a.attrs) {
    if (f.enumeration.empty()) continue;
    const std::string file = stamped();
    Bytes p, data;
    std::vector<uint64_t> offs;
    for (const auto& v : f.enum_values) {
      offs.push_back(data.size());
      data.insert(data.end(), v.begin(), v.end());
    }
    put<uint32_t>(p, 0);
    put_str32(p, f.enumeration);
    put_str32(p, file);
    p.push_back(kUtf8);
    put<uint32_t>(p, 0xffffffffu);
    p.push_back(0);
    put<uint64_t>(p, data.size());
    p.insert(p.end(), data.begin(), data.end());
    put<uint64_t>(p, offs.size() * 8);
    for (auto o : offs) put<uint64_t>(p, o);
    write_file(folder + "/__schema/__enumerations/" + file, generic_tile(p));
    enums.emplace_back(f.enumeration, file);
  }
  // Schema (format version 22)
  Bytes s;
  put<uint32_t>(s, 22);
  s.push_back(a.allows_dups);
  s.push_back(1);  // sparse
  s.push_back(0);
  s.push_back(0);
  put<uint64_t>(s, a.capacity);
  put_pipeline(s, {false, true});  // coords
  put_pipeline(s, {false, true});  // offsets
  put_pipeline(s, {});             // validity
  put<uint32_t>(s, static_cast<uint32_t>(a.dim_names.size()));
  for (size_t d = 0; d < a.dim_names.size(); ++d) {
    put_str32(s, a.dim_names[d]);
    s.push_back(kInt64);
    put<uint32_t>(s, 1);
    put_pipeline(s, {d > 0, true});
    put<uint64_t>(s, 16);
    put<int64_t>(s, 0);
    put<int64_t>(s, a.dim_hi[d]);
    s.push_back(0);
    put<int64_t>(s, a.extent);
  }
  put<uint32_t>(s, static_cast<uint32_t>(a.attrs.size()));
  for (const auto& f : a.attrs) {
    put_str32(s, f.name);
    s.push_back(f.type);
    put<uint32_t>(s, f.var ? 0xffffffffu : 1);
    put_pipeline(s, f.pipeline);
    const size_t fill = f.var ? 1 : f.elem();
    put<uint64_t>(s, fill);
    s.insert(s.end(), fill, 0);
    s.push_back(0);  // not nullable
    s.push_back(0);
    s.push_back(0);  // order
    put_str32(s, f.enumeration);
  }
  put<uint32_t>(s, 0);  // labels
  put<uint32_t>(s, static_cast<uint32_t>(enums.size()));
  for (const auto& [n, file] : enums) {
    put_str32(s, n);
    put_str32(s, file);
  }
  put<uint32_t>(s, 1);  // current domain
  s.push_back(0);
  s.push_back(0);
  for (size_t d = 0; d < a.dim_names.size(); ++d) {
    put<int64_t>(s, 0);
    put<int64_t>(s, a.dim_hi[d]);
  }
  write_file(folder + "/__schema/" + schema_name, generic_tile(s));
  write_metadata(folder, meta);
  }

  const uint64_t n = a.coords.empty() ? 0 : a.coords[0].size();
  const size_t nd = a.dim_names.size(), na = a.attrs.size(), nf = na + 1 + nd;
  const uint64_t per_fragment = (n + static_cast<uint64_t>(fragments) - 1) / static_cast<uint64_t>(fragments);
  for (int fr = 0; fr < fragments; ++fr) {
    const uint64_t b = std::min<uint64_t>(n, fr * per_fragment), e = std::min<uint64_t>(n, b + per_fragment);
    if (b >= e && fr > 0) break;
    const std::string name = stamped(22);
    const std::string dir = folder + "/__fragments/" + name;
    std::vector<std::vector<uint64_t>> tile_offsets(nf), var_offsets(nf), var_sizes(nf);
    std::vector<uint64_t> file_sizes(nf, 0), file_var_sizes(nf, 0);
    std::vector<Bytes> files(nf), var_files(nf);
    std::vector<std::vector<int64_t>> mbrs;  // per tile: lo, hi per dim
    const uint64_t cells = e - b, n_tiles = cells == 0 ? 0 : (cells + a.capacity - 1) / a.capacity;
    for (uint64_t t = 0; t < n_tiles; ++t) {
      const uint64_t tb = b + t * a.capacity, te = std::min(e, tb + a.capacity);
      std::vector<int64_t> mbr;
      for (size_t d = 0; d < nd; ++d) {
        const auto [mn, mx] = std::minmax_element(a.coords[d].begin() + static_cast<long>(tb), a.coords[d].begin() + static_cast<long>(te));
        mbr.push_back(*mn);
        mbr.push_back(*mx);
        Bytes raw;
        for (uint64_t i = tb; i < te; ++i) put<int64_t>(raw, a.coords[d][i]);
        const size_t idx = na + 1 + d;
        tile_offsets[idx].push_back(files[idx].size());
        const Bytes tile = filtered_tile(raw, {d > 0, true}, 8);
        files[idx].insert(files[idx].end(), tile.begin(), tile.end());
      }
      mbrs.push_back(mbr);
      for (size_t k = 0; k < na; ++k) {
        const Field& f = a.attrs[k];
        if (f.var) {
          Bytes offs, data;
          for (uint64_t i = tb; i < te; ++i) {
            put<uint64_t>(offs, data.size());
            data.insert(data.end(), f.strings[i].begin(), f.strings[i].end());
          }
          tile_offsets[k].push_back(files[k].size());
          const Bytes ot = filtered_tile(offs, {false, true}, 8);
          files[k].insert(files[k].end(), ot.begin(), ot.end());
          var_offsets[k].push_back(var_files[k].size());
          var_sizes[k].push_back(data.size());
          const Bytes vt = filtered_tile(data, f.pipeline, 1);
          var_files[k].insert(var_files[k].end(), vt.begin(), vt.end());
        } else {
          const Bytes raw(f.fixed.begin() + static_cast<long>(tb * f.elem()), f.fixed.begin() + static_cast<long>(te * f.elem()));
          tile_offsets[k].push_back(files[k].size());
          const Bytes tile = filtered_tile(raw, f.pipeline, f.elem());
          files[k].insert(files[k].end(), tile.begin(), tile.end());
        }
      }
    }
    for (size_t k = 0; k < nf; ++k) {
      if (k == na) continue;  // the legacy __coords slot has no file
      const std::string base = k < na ? "a" + std::to_string(k) : "d" + std::to_string(k - na - 1);
      write_file(dir + "/" + base + ".tdb", files[k]);
      file_sizes[k] = files[k].size();
      if (k < na && a.attrs[k].var) {
        write_file(dir + "/" + base + "_var.tdb", var_files[k]);
        file_var_sizes[k] = var_files[k].size();
      }
    }
    // Fragment metadata: generic tiles, then the footer and its length.
    Bytes meta_file;
    auto add = [&](const Bytes& payload) {
      const uint64_t at = meta_file.size();
      const Bytes g = generic_tile(payload);
      meta_file.insert(meta_file.end(), g.begin(), g.end());
      return at;
    };
    auto list = [](const std::vector<uint64_t>& v) {
      Bytes p;
      put<uint64_t>(p, v.size());
      for (auto x : v) put<uint64_t>(p, x);
      return p;
    };
    Bytes rtree;
    put<uint32_t>(rtree, 10);
    put<uint32_t>(rtree, 1);
    put<uint64_t>(rtree, mbrs.size());
    for (const auto& m : mbrs)
      for (auto x : m) put<int64_t>(rtree, x);
    const uint64_t rtree_at = add(rtree);
    std::vector<uint64_t> at_offsets(nf), at_var(nf), at_sizes(nf), at_validity(nf), at_min(nf), at_max(nf), at_sum(nf), at_null(nf);
    for (size_t k = 0; k < nf; ++k) at_offsets[k] = add(list(tile_offsets[k]));
    for (size_t k = 0; k < nf; ++k) at_var[k] = add(list(var_offsets[k]));
    for (size_t k = 0; k < nf; ++k) at_sizes[k] = add(list(var_sizes[k]));
    for (size_t k = 0; k < nf; ++k) at_validity[k] = add(list({}));
    Bytes empty_mm;
    put<uint64_t>(empty_mm, 0);
    put<uint64_t>(empty_mm, 0);
    for (size_t k = 0; k < nf; ++k) at_min[k] = add(empty_mm);
    for (size_t k = 0; k < nf; ++k) at_max[k] = add(empty_mm);
    for (size_t k = 0; k < nf; ++k) at_sum[k] = add(list({}));
    for (size_t k = 0; k < nf; ++k) at_null[k] = add(list({}));
    const uint64_t stats_at = add({}), conditions_at = add(list({}));
    Bytes footer;
    put<uint32_t>(footer, 22);
    put_str64(footer, schema_name);
    footer.push_back(0);
    footer.push_back(0);
    for (size_t d = 0; d < nd; ++d) {
      int64_t lo = INT64_MAX, hi = INT64_MIN;
      for (const auto& m : mbrs) {
        lo = std::min(lo, m[2 * d]);
        hi = std::max(hi, m[2 * d + 1]);
      }
      put<int64_t>(footer, mbrs.empty() ? 0 : lo);
      put<int64_t>(footer, mbrs.empty() ? 0 : hi);
    }
    put<uint64_t>(footer, n_tiles);
    put<uint64_t>(footer, cells == 0 ? 0 : cells - (n_tiles - 1) * a.capacity);
    footer.push_back(0);
    footer.push_back(0);
    for (auto v : file_sizes) put<uint64_t>(footer, v);
    for (auto v : file_var_sizes) put<uint64_t>(footer, v);
    for (size_t k = 0; k < nf; ++k) put<uint64_t>(footer, 0);
    put<uint64_t>(footer, rtree_at);
    for (const auto* v : {&at_offsets, &at_var, &at_sizes, &at_validity, &at_min, &at_max, &at_sum, &at_null})
      for (auto x : *v) put<uint64_t>(footer, x);
    put<uint64_t>(footer, stats_at);
    put<uint64_t>(footer, conditions_at);
    meta_file.insert(meta_file.end(), footer.begin(), footer.end());
    put<uint64_t>(meta_file, footer.size());
    write_file(dir + "/__fragment_metadata.tdb", meta_file);
    write_file(folder + "/__commits/" + name + ".wrt", {});
  }
  return schema_name;
}

// obs / var as a SOMADataFrame spec (index -> id_column).
ArraySpec dataframe(const bmfm::io::DataFrame& df, const std::string& id_column) {
  using bmfm::io::Column;
  ArraySpec a;
  const auto n = static_cast<int64_t>(df.n_rows());
  a.dim_names = {"soma_joinid"};
  a.dim_hi = {std::max<int64_t>(n - 1, 0)};
  a.extent = std::max<int64_t>(1, std::min<int64_t>(n, 2048));
  a.coords.resize(1);
  for (int64_t i = 0; i < n; ++i) a.coords[0].push_back(i);
  Field id;
  id.name = id_column;
  id.type = kUtf8;
  id.var = true;
  id.strings = df.index;
  a.attrs.push_back(id);
  for (const auto& c : df.columns) {
    // Nullable attributes (validity tiles) are not written by this tool: refuse
    // missing values rather than store a stand-in for them.
    for (int64_t i = 0; i < n; ++i)
      if (c.is_missing(i) && c.kind != Column::Kind::Numeric)
        throw std::runtime_error("column '" + c.name + "' has missing values (row " + std::to_string(i) +
                                 "); bmfm_write_soma does not write nullable attributes");
    Field f;
    f.name = c.name;
    switch (c.kind) {
      case Column::Kind::Categorical:
        f.type = kInt32;
        f.enumeration = c.name;
        f.enum_values = c.categories;
        f.pipeline = {true, true};
        for (auto code : c.codes) put<int32_t>(f.fixed, code);
        break;
      case Column::Kind::String:
        f.type = kUtf8;
        f.var = true;
        f.strings = c.strings;
        break;
      case Column::Kind::Numeric:
        f.type = kFloat64;
        f.pipeline = {true, true};
        for (double v : c.numeric) put<double>(f.fixed, v);
        break;
      case Column::Kind::Integer:
        f.type = kInt64;
        f.pipeline = {true, true};
        for (auto v : c.integer) put<int64_t>(f.fixed, v);
        break;
      case Column::Kind::Boolean:
        f.type = kBool;
        for (auto v : c.boolean) f.fixed.push_back(v ? 1 : 0);
        break;
    }
    a.attrs.push_back(std::move(f));
  }
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 3) {
      std::cerr << "usage: bmfm_write_soma IN.h5ad OUT_FOLDER [--fragments N] [--extent E] [--capacity C] [--matrix KEY]\n";
      return 2;
    }
    const std::string in = argv[1], out = argv[2];
    int fragments = 1;
    int64_t extent = 2048;
    uint64_t capacity = 65536;
    std::string matrix = "X";
    int64_t rewrite_obs = 0;
    for (int i = 3; i + 1 < argc; i += 2) {
      const std::string k = argv[i];
      if (k == "--fragments") fragments = std::stoi(argv[i + 1]);
      else if (k == "--extent") extent = std::stoll(argv[i + 1]);
      else if (k == "--capacity") capacity = std::stoull(argv[i + 1]);
      else if (k == "--matrix") matrix = argv[i + 1];
      else if (k == "--rewrite-obs") rewrite_obs = std::stoll(argv[i + 1]);
      else throw std::runtime_error("unknown option " + k);
    }
    if (fs::exists(out)) throw std::runtime_error(out + " exists");
    const bmfm::io::H5adReader reader(in);
    const bmfm::io::CsrMatrix X = reader.read_matrix(matrix);
    const auto obs = reader.read_obs();
    const auto var = reader.read_var();
    const std::vector<MetaEntry> df_meta{meta_string("soma_object_type", "SOMADataFrame"),
                                                   meta_string("soma_encoding_version", "1.1.0")};
    write_group(out, {{"obs", false}, {"ms", true}},
                {meta_string("soma_object_type", "SOMAExperiment"), meta_string("soma_encoding_version", "1.1.0"),
                 meta_string("dataset_type", "soma")});
    const ArraySpec obs_spec = dataframe(obs, "obs_id");
    const std::string obs_schema = write_array(out + "/obs", obs_spec, df_meta, 1);
    if (rewrite_obs > 0) {
      // A later fragment rewrites the first N cells' obs_id (same soma_joinid):
      // duplicates are not allowed, so readers must return the new values.
      ArraySpec again = obs_spec;
      const auto n = static_cast<size_t>(std::min<int64_t>(rewrite_obs, obs.n_rows()));
      again.coords[0].resize(n);
      for (auto& f : again.attrs) {
        if (f.var) f.strings.resize(n);
        else f.fixed.resize(n * f.elem());
      }
      for (auto& id : again.attrs[0].strings) id += "_rewritten";
      write_array(out + "/obs", again, df_meta, 1, obs_schema);
    }
    write_group(out + "/ms", {{"RNA", true}}, {meta_string("soma_object_type", "SOMACollection"), meta_string("soma_encoding_version", "1.1.0")});
    write_group(out + "/ms/RNA", {{"var", false}, {"X", true}},
                {meta_string("soma_object_type", "SOMAMeasurement"), meta_string("soma_encoding_version", "1.1.0")});
    write_array(out + "/ms/RNA/var", dataframe(var, "var_id"), df_meta, 1);
    write_group(out + "/ms/RNA/X", {{"raw", false}},
                {meta_string("soma_object_type", "SOMACollection"), meta_string("soma_encoding_version", "1.1.0")});
    // X in global order: space tiles row-major, cells row-major within a tile.
    ArraySpec x;
    x.dim_names = {"soma_dim_0", "soma_dim_1"};
    x.dim_hi = {X.n_rows - 1, X.n_cols - 1};
    x.extent = extent;
    x.capacity = capacity;
    x.allows_dups = true;
    struct Cell {
      int64_t r, c;
      float v;
    };
    std::vector<Cell> cells;
    cells.reserve(static_cast<size_t>(X.nnz()));
    for (int64_t r = 0; r < X.n_rows; ++r)
      for (int64_t k = X.indptr[r]; k < X.indptr[r + 1]; ++k) cells.push_back({r, X.indices[k], X.data[k]});
    std::sort(cells.begin(), cells.end(), [&](const Cell& a, const Cell& b) {
      return std::make_tuple(a.r / extent, a.c / extent, a.r, a.c) < std::make_tuple(b.r / extent, b.c / extent, b.r, b.c);
    });
    x.coords.resize(2);
    Field data;
    data.name = "soma_data";
    data.type = kFloat32;
    data.pipeline = {true, true};
    for (const auto& c : cells) {
      x.coords[0].push_back(c.r);
      x.coords[1].push_back(c.c);
      put<float>(data.fixed, c.v);
    }
    x.attrs.push_back(std::move(data));
    write_array(out + "/ms/RNA/X/raw", x,
                {meta_string("soma_object_type", "SOMASparseNDArray"), meta_string("soma_encoding_version", "1.1.0")},
                fragments);
    std::cout << "wrote " << out << ": " << X.n_rows << " cells x " << X.n_cols << " genes, " << X.nnz()
              << " values in " << fragments << " fragment(s), " << extent << "x" << extent << " space tiles, "
              << capacity << "-cell data tiles\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bmfm_write_soma: " << e.what() << "\n";
    return 1;
  }
}

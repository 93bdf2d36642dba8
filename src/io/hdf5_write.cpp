#include "hdf5_write.h"

#include <algorithm>

namespace bmfm::io::h5 {

namespace {

// Chunks of about this many bytes keep row-range reads cheap and gzip effective.
constexpr size_t kChunkBytes = size_t{1} << 18;

Hid vlen_utf8() {
  Hid t = own_type(H5Tcopy(H5T_C_S1));
  H5Tset_size(t.get(), H5T_VARIABLE);
  H5Tset_cset(t.get(), H5T_CSET_UTF8);
  return t;
}

Hid bool_type() {
  Hid t = own_type(H5Tenum_create(H5T_NATIVE_INT8));
  int8_t no = 0, yes = 1;
  H5Tenum_insert(t.get(), "FALSE", &no);
  H5Tenum_insert(t.get(), "TRUE", &yes);
  return t;
}

Hid simple_space(const std::vector<hsize_t>& dims) {
  return own_space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
}

void put_attr(const File& f, const std::string& object, const std::string& name, hid_t type, hid_t space,
              const void* data, hid_t mem_type = -1) {
  const char* obj = object.empty() ? "/" : object.c_str();
  if (H5Aexists_by_name(f.id(), obj, name.c_str(), H5P_DEFAULT) > 0) H5Adelete_by_name(f.id(), obj, name.c_str(), H5P_DEFAULT);
  Hid attr(H5Acreate_by_name(f.id(), obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  // An empty attribute (data == nullptr) needs no write.
  if (!attr.valid() || (data && H5Awrite(attr.get(), mem_type >= 0 ? mem_type : type, data) < 0))
    f.fail(object, "cannot write attribute '" + name + "'");
}

Hid creation_plist(const File& f, const std::string& path, hid_t type, const std::vector<hsize_t>& dims,
                   const Filters& filters, bool numeric) {
  Hid dcpl = own_plist(H5Pcreate(H5P_DATASET_CREATE));
  hsize_t total = 1;
  for (hsize_t d : dims) total *= d;
  if (total == 0) return dcpl;  // empty: contiguous, nothing to compress
  std::vector<hsize_t> chunk = dims;
  const size_t elem = std::max<size_t>(1, H5Tget_size(type));
  size_t row_bytes = elem;
  for (size_t i = 1; i < dims.size(); ++i) row_bytes *= static_cast<size_t>(dims[i]);
  chunk[0] = std::max<hsize_t>(1, std::min<hsize_t>(dims[0], kChunkBytes / std::max<size_t>(1, row_bytes)));
  bool ok = H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()) >= 0;
  if (filters.kind == Filters::Kind::Gzip) {
    if (numeric) ok = ok && H5Pset_shuffle(dcpl.get()) >= 0;
    ok = ok && H5Pset_deflate(dcpl.get(), static_cast<unsigned>(std::clamp(filters.gzip_level, 1, 9))) >= 0;
  } else if (filters.kind == Filters::Kind::Lzf) {
    ok = ok && H5Pset_filter(dcpl.get(), kLzfFilter, H5Z_FLAG_OPTIONAL, 0, nullptr) >= 0;
  }
  if (!ok) f.fail(path, "cannot set up chunking/compression");
  return dcpl;
}

void put_dataset(const File& f, const std::string& path, hid_t mem_type, hid_t file_type, const void* data,
                 const std::vector<hsize_t>& dims, const Filters& filters, bool numeric) {
  Hid space = simple_space(dims);
  Hid dcpl = creation_plist(f, path, file_type, dims, filters, numeric);
  Hid ds(H5Dcreate2(f.id(), path.c_str(), file_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT), H5Dclose);
  if (!ds.valid()) f.fail(path, "cannot create dataset");
  hsize_t total = 1;
  for (hsize_t d : dims) total *= d;
  if (total > 0 && H5Dwrite(ds.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    f.fail(path, "cannot write dataset (disk full?)");
}

}  // namespace

void create_group(const File& f, const std::string& path) {
  Hid g(H5Gcreate2(f.id(), path.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  if (!g.valid()) f.fail(path, "cannot create group");
}

void write_attr(const File& f, const std::string& object, const std::string& name, const std::string& value) {
  Hid type = vlen_utf8();
  Hid space = own_space(H5Screate(H5S_SCALAR));
  const char* p = value.c_str();
  put_attr(f, object, name, type.get(), space.get(), &p);
}

void write_attr(const File& f, const std::string& object, const std::string& name, const std::vector<std::string>& values) {
  if (values.empty()) {
    Hid space = simple_space({0});
    put_attr(f, object, name, H5T_IEEE_F64LE, space.get(), nullptr);
    return;
  }
  Hid type = vlen_utf8();
  Hid space = simple_space({values.size()});
  std::vector<const char*> ptrs;
  for (const auto& v : values) ptrs.push_back(v.c_str());
  put_attr(f, object, name, type.get(), space.get(), ptrs.data());
}

void write_attr(const File& f, const std::string& object, const std::string& name, const std::vector<int64_t>& values) {
  Hid space = simple_space({values.size()});
  put_attr(f, object, name, H5T_STD_I64LE, space.get(), values.data(), H5T_NATIVE_INT64);
}

void write_attr_bool(const File& f, const std::string& object, const std::string& name, bool value) {
  Hid type = bool_type();
  Hid space = own_space(H5Screate(H5S_SCALAR));
  int8_t v = value ? 1 : 0;
  put_attr(f, object, name, type.get(), space.get(), &v);
}

void write_encoding(const File& f, const std::string& object, const std::string& type, const std::string& version) {
  write_attr(f, object, "encoding-type", type);
  write_attr(f, object, "encoding-version", version);
}

void write_array(const File& f, const std::string& path, hid_t mem_type, hid_t file_type, const void* data,
                 const std::vector<hsize_t>& dims, const Filters& filters) {
  put_dataset(f, path, mem_type, file_type, data, dims, filters, true);
}

void write_bools(const File& f, const std::string& path, const std::vector<uint8_t>& values, const Filters& filters) {
  Hid type = bool_type();
  std::vector<int8_t> v(values.size());
  for (size_t i = 0; i < values.size(); ++i) v[i] = values[i] ? 1 : 0;
  put_dataset(f, path, type.get(), type.get(), v.data(), {values.size()}, filters, true);
}

void write_strings(const File& f, const std::string& path, const std::vector<std::string>& values, const Filters& filters) {
  Hid type = vlen_utf8();
  std::vector<const char*> ptrs;
  ptrs.reserve(values.size());
  for (const auto& v : values) ptrs.push_back(v.c_str());
  put_dataset(f, path, type.get(), type.get(), ptrs.data(), {values.size()}, filters, false);
}

}  // namespace bmfm::io::h5

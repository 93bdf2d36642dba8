// Typed dataset reads (hyperslabs along the first dimension), declared in hdf5_util.h.
#include <cstring>

#include "hdf5_util.h"

namespace bmfm::io::h5 {

namespace {

template <class T>
hid_t native_type();
template <>
hid_t native_type<float>() { return H5T_NATIVE_FLOAT; }
template <>
hid_t native_type<double>() { return H5T_NATIVE_DOUBLE; }
template <>
hid_t native_type<int32_t>() { return H5T_NATIVE_INT32; }
template <>
hid_t native_type<int64_t>() { return H5T_NATIVE_INT64; }
template <>
hid_t native_type<uint8_t>() { return H5T_NATIVE_UINT8; }

// The memory type for one element; for a compound field view, a one-member
// compound so HDF5 picks that field out of each record.
Hid memory_type(const Dataset& ds, hid_t element) {
  if (ds.field().empty()) return own_type(H5Tcopy(element));
  Hid ct = own_type(H5Tcreate(H5T_COMPOUND, H5Tget_size(element)));
  if (!ct.valid() || H5Tinsert(ct.get(), ds.field().c_str(), 0, element) < 0) ds.fail("cannot build a memory type");
  return ct;
}

// Why a read failed: most often a compression filter this process cannot run.
[[noreturn]] void read_failed(const Dataset& ds) {
  const std::string stack = take_error_stack();  // before the calls below clear it
  std::string problem = "cannot read data";
  Hid plist = own_plist(H5Dget_create_plist(ds.id()));
  int n = plist.valid() ? H5Pget_nfilters(plist.get()) : 0;
  for (int i = 0; i < n; ++i) {
    unsigned flags = 0, config = 0;
    size_t n_cd = 0;
    char name[128] = {0};
    H5Z_filter_t id = H5Pget_filter2(plist.get(), static_cast<unsigned>(i), &flags, &n_cd, nullptr, sizeof name, name, &config);
    if (id >= 0 && H5Zfilter_avail(id) <= 0) {
      problem = "compression filter '" + std::string(name[0] ? name : "?") + "' (HDF5 filter id " + std::to_string(id) +
                ") is not available in this build";
      if (id == kLzfFilter) problem += " (LZF should be built in: report this)";
      else problem += "; rewrite the file with gzip or lzf compression (e.g. h5repack -f GZIP=4)";
      break;
    }
  }
  ds.fail(problem, stack);
}

// Reads records [begin, end) along dimension 0 into buf (rows of all further dimensions).
void read_range(const Dataset& ds, int64_t begin, int64_t end, hid_t memtype, void* buf) {
  const int64_t len = ds.length();
  if (begin < 0 || end < begin || end > len)
    ds.fail("read range [" + std::to_string(begin) + ", " + std::to_string(end) + ") is outside its length " +
            std::to_string(len));
  if (end == begin) return;
  if (ds.rank() == 0) {
    if (H5Dread(ds.id(), memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) read_failed(ds);
    return;
  }
  std::vector<hsize_t> start(ds.dims().size(), 0), count = ds.dims();
  start[0] = static_cast<hsize_t>(begin);
  count[0] = static_cast<hsize_t>(end - begin);
  for (hsize_t c : count)
    if (c == 0) return;
  Hid fspace = own_space(H5Dget_space(ds.id()));
  if (!fspace.valid() || H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr) < 0)
    ds.fail("cannot select rows " + std::to_string(begin) + ".." + std::to_string(end));
  Hid mspace = own_space(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr));
  if (!mspace.valid()) ds.fail("cannot create a memory dataspace");
  if (H5Dread(ds.id(), memtype, mspace.get(), fspace.get(), H5P_DEFAULT, buf) < 0) read_failed(ds);
}

void require_1d(const Dataset& ds) {
  if (ds.rank() > 1 || (ds.rank() == 1 && ds.info().cls == H5T_ARRAY))
    ds.fail("expected a 1-D array, found " + std::to_string(ds.rank()) + " dimensions");
}

}  // namespace

template <class T>
std::vector<T> read_numeric(const Dataset& ds, int64_t begin, int64_t end) {
  require_1d(ds);
  const TypeInfo& t = ds.info();
  const size_t n = end > begin ? static_cast<size_t>(end - begin) : 0;
  std::vector<T> out(n);
  if (t.cls == H5T_ENUM) {
    // HDF5 does not convert enums to integers: read the raw base values.
    Hid ntype = own_type(H5Tget_native_type(ds.type(), H5T_DIR_ASCEND));
    Hid base = own_type(H5Tget_super(ntype.get()));
    if (!ntype.valid() || !base.valid()) ds.fail("cannot read its enum type");
    const size_t size = H5Tget_size(ntype.get());
    const bool is_signed = H5Tget_sign(base.get()) == H5T_SGN_2;
    if (size != 1 && size != 2 && size != 4 && size != 8) ds.fail("unsupported enum size " + std::to_string(size));
    std::vector<unsigned char> raw(n * size + 8, 0);
    Hid mt = memory_type(ds, ntype.get());
    read_range(ds, begin, end, mt.get(), raw.data());
    for (size_t i = 0; i < n; ++i) {
      const unsigned char* p = raw.data() + i * size;
      int64_t v = 0;
      if (size == 1) v = is_signed ? static_cast<int8_t>(*p) : static_cast<uint8_t>(*p);
      if (size == 2) { int16_t s; uint16_t u; std::memcpy(&s, p, 2); std::memcpy(&u, p, 2); v = is_signed ? s : u; }
      if (size == 4) { int32_t s; uint32_t u; std::memcpy(&s, p, 4); std::memcpy(&u, p, 4); v = is_signed ? s : u; }
      if (size == 8) std::memcpy(&v, p, 8);
      out[i] = static_cast<T>(v);
    }
    return out;
  }
  if (t.cls != H5T_INTEGER && t.cls != H5T_FLOAT)
    ds.fail("has dtype '" + t.dtype + "', expected a numeric array");
  Hid mt = memory_type(ds, native_type<T>());
  read_range(ds, begin, end, mt.get(), out.data());
  return out;
}

template std::vector<float> read_numeric<float>(const Dataset&, int64_t, int64_t);
template std::vector<double> read_numeric<double>(const Dataset&, int64_t, int64_t);
template std::vector<int32_t> read_numeric<int32_t>(const Dataset&, int64_t, int64_t);
template std::vector<int64_t> read_numeric<int64_t>(const Dataset&, int64_t, int64_t);
template std::vector<uint8_t> read_numeric<uint8_t>(const Dataset&, int64_t, int64_t);

std::vector<float> read_rows_f32(const Dataset& ds, int64_t r0, int64_t r1) {
  const TypeInfo& t = ds.info();
  size_t n_cols = 0;
  Hid element;
  if (ds.rank() == 2 && (t.cls == H5T_INTEGER || t.cls == H5T_FLOAT)) {
    n_cols = static_cast<size_t>(ds.dims()[1]);
    element = own_type(H5Tcopy(H5T_NATIVE_FLOAT));
  } else if (ds.rank() == 1 && t.cls == H5T_ARRAY) {
    // A legacy compound table field such as obsm['X_pca'] with dtype ('<f4', (50,)).
    Hid base = own_type(H5Tget_super(ds.type()));
    H5T_class_t bc = base.valid() ? H5Tget_class(base.get()) : H5T_NO_CLASS;
    int nd = H5Tget_array_ndims(ds.type());
    if ((bc != H5T_INTEGER && bc != H5T_FLOAT) || nd != 1) ds.fail("has a non-numeric or multi-dimensional array field");
    hsize_t d = 0;
    H5Tget_array_dims2(ds.type(), &d);
    n_cols = static_cast<size_t>(d);
    element = own_type(H5Tarray_create2(H5T_NATIVE_FLOAT, 1, &d));
  } else {
    ds.fail("expected a 2-D numeric array, found " + std::to_string(ds.rank()) + "-D '" + t.dtype + "'");
  }
  std::vector<float> out(static_cast<size_t>(r1 > r0 ? r1 - r0 : 0) * n_cols);
  if (out.empty()) {
    read_range(ds, r0, r1, H5T_NATIVE_FLOAT, nullptr);  // bounds check only
    return out;
  }
  Hid mt = memory_type(ds, element.get());
  read_range(ds, r0, r1, mt.get(), out.data());
  return out;
}

std::vector<std::string> read_strings(const Dataset& ds, int64_t begin, int64_t end) {
  require_1d(ds);
  const TypeInfo& t = ds.info();
  if (t.cls != H5T_STRING) ds.fail("has dtype '" + t.dtype + "', expected strings");
  const size_t n = end > begin ? static_cast<size_t>(end - begin) : 0;
  std::vector<std::string> out;
  out.reserve(n);
  if (t.vlen_string) {
    Hid st = own_type(H5Tcopy(H5T_C_S1));
    H5Tset_size(st.get(), H5T_VARIABLE);
    H5Tset_cset(st.get(), t.utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII);
    Hid mt = memory_type(ds, st.get());
    std::vector<char*> ptrs(n, nullptr);
    read_range(ds, begin, end, mt.get(), ptrs.data());
    for (char* p : ptrs) {
      out.emplace_back(p ? p : "");
      if (p) H5free_memory(p);
    }
    return out;
  }
  const size_t size = t.size;
  const H5T_str_t pad = H5Tget_strpad(ds.type());
  std::vector<char> buf(n * size + 1, 0);
  Hid mt = memory_type(ds, ds.type());
  read_range(ds, begin, end, mt.get(), buf.data());
  for (size_t i = 0; i < n; ++i) out.push_back(fixed_string(buf.data() + i * size, size, pad));
  return out;
}

}  // namespace bmfm::io::h5

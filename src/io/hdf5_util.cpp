#include "hdf5_util.h"

#include "bmfm/io/cell_reader.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>

namespace bmfm::io::h5 {

namespace fs = std::filesystem;

void ensure_ready() {
  static std::once_flag once;
  std::call_once(once, [] {
    H5open();
    register_lzf_filter();
  });
  // HDF5 would print every error stack to stderr, including the expected ones
  // (probing for optional objects); we report errors through exceptions instead.
  thread_local bool silenced = false;
  if (!silenced) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    silenced = true;
  }
}

namespace {

herr_t collect_error(unsigned, const H5E_error2_t* err, void* out) {
  auto* msgs = static_cast<std::vector<std::string>*>(out);
  std::string text = err->desc ? err->desc : "";
  if (text.empty()) {
    char buf[256] = {0};
    if (H5Eget_msg(err->min_num, nullptr, buf, sizeof buf) > 0) text = buf;
  }
  if (!text.empty()) msgs->push_back(text);
  return 0;
}

}  // namespace

std::string take_error_stack() {
  std::vector<std::string> msgs;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &msgs);
  H5Eclear2(H5E_DEFAULT);
  if (msgs.empty()) return "";
  // Downward walk: the API call first, the innermost cause (the informative
  // part: "truncated file", "required filter ... is not registered") last.
  std::vector<std::string> keep{msgs.front()};
  for (size_t i = msgs.size() > 3 ? msgs.size() - 2 : 1; i < msgs.size(); ++i)
    if (std::find(keep.begin(), keep.end(), msgs[i]) == keep.end()) keep.push_back(msgs[i]);
  std::string out;
  for (const auto& m : keep) out += (out.empty() ? "" : "; ") + m;
  return out;
}

Hid own_type(hid_t id) { return Hid(id, H5Tclose); }
Hid own_space(hid_t id) { return Hid(id, H5Sclose); }
Hid own_plist(hid_t id) { return Hid(id, H5Pclose); }

TypeInfo describe_type(hid_t type) {
  TypeInfo t;
  t.cls = H5Tget_class(type);
  t.size = H5Tget_size(type);
  switch (t.cls) {
    case H5T_FLOAT:
      t.dtype = "float" + std::to_string(8 * t.size);
      break;
    case H5T_INTEGER:
      t.is_signed = H5Tget_sign(type) == H5T_SGN_2;
      t.dtype = (t.is_signed ? "int" : "uint") + std::to_string(8 * t.size);
      break;
    case H5T_STRING:
      t.vlen_string = H5Tis_variable_str(type) > 0;
      t.utf8 = H5Tget_cset(type) == H5T_CSET_UTF8;
      t.dtype = "str";
      break;
    case H5T_ENUM: {
      // h5py writes numpy bools as an int8 enum {FALSE = 0, TRUE = 1}.
      t.dtype = "enum";
      auto member = [&](unsigned i) {
        char* n = H5Tget_member_name(type, i);
        std::string name = n ? n : "";
        if (n) H5free_memory(n);
        return name;
      };
      if (H5Tget_nmembers(type) == 2 && member(0) == "FALSE" && member(1) == "TRUE") {
        t.is_bool = true;
        t.dtype = "bool";
      }
      break;
    }
    case H5T_COMPOUND:
      t.dtype = "compound";
      break;
    case H5T_ARRAY:
      t.dtype = "array";
      break;
    case H5T_REFERENCE:
      t.dtype = "reference";
      break;
    default:
      t.dtype = "opaque";
      break;
  }
  return t;
}

// ---- File ----------------------------------------------------------------------

namespace {

// File locking stays on, but a file system without lock support (common on
// cluster file systems) no longer makes every open fail.
Hid access_plist() {
  Hid fapl = own_plist(H5Pcreate(H5P_FILE_ACCESS));
  if (fapl.valid()) H5Pset_file_locking(fapl.get(), true, true);
  return fapl;
}

}  // namespace

File File::open_read(const std::string& path) {
  ensure_ready();
  std::error_code ec;
  if (!fs::exists(path, ec)) throw FormatError(path + ": no such file");
  if (fs::is_directory(path, ec)) {
    if (is_soma_experiment(path))
      throw FormatError(path + ": a TileDB-SOMA experiment; this command reads h5ad files only (inspect, qc and prepare "
                               "read experiments; write an h5ad with `bmfm qc " + path + " qc=none --output cells.h5ad`)");
    throw FormatError(path + ": is a directory, not an HDF5 file");
  }
  if (!std::ifstream(path, std::ios::binary)) throw FormatError(path + ": cannot open for reading (permissions?)");
  htri_t is_h5 = H5Fis_hdf5(path.c_str());
  if (is_h5 == 0) {
    H5Eclear2(H5E_DEFAULT);
    throw FormatError(path + ": not an HDF5 file (no HDF5 signature found); expected an .h5ad or 10x .h5 file");
  }
  Hid fapl = access_plist();
  hid_t fid = is_h5 > 0 ? H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.valid() ? fapl.get() : H5P_DEFAULT) : -1;
  if (fid < 0) {
    std::string stack = take_error_stack();
    throw FormatError(path + ": cannot open HDF5 file (corrupt or truncated?)" +
                      (stack.empty() ? "" : " (HDF5: " + stack + ")"));
  }
  return File(path, Hid(fid, H5Fclose));
}

File File::create(const std::string& path) {
  ensure_ready();
  Hid fapl = access_plist();
  hid_t fid = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.valid() ? fapl.get() : H5P_DEFAULT);
  if (fid < 0) {
    std::string stack = take_error_stack();
    throw FormatError(path + ": cannot create HDF5 file (does the folder exist and is it writable?)" +
                      (stack.empty() ? "" : " (HDF5: " + stack + ")"));
  }
  return File(path, Hid(fid, H5Fclose));
}

File File::open_write(const std::string& path) {
  ensure_ready();
  Hid fapl = access_plist();
  hid_t fid = H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl.valid() ? fapl.get() : H5P_DEFAULT);
  if (fid < 0) {
    std::string stack = take_error_stack();
    throw FormatError(path + ": cannot open HDF5 file for writing" + (stack.empty() ? "" : " (HDF5: " + stack + ")"));
  }
  return File(path, Hid(fid, H5Fclose));
}

void File::close() {
  if (!fid_.valid()) return;
  hid_t fid = fid_.release();  // closed (or unusable) either way: never close twice
  herr_t flushed = H5Fflush(fid, H5F_SCOPE_GLOBAL);
  herr_t closed = H5Fclose(fid);
  if (flushed < 0 || closed < 0) fail("", "cannot flush/close HDF5 file (disk full?)");
}

void File::fail(const std::string& object, const std::string& problem) const {
  fail(object, problem, take_error_stack());
}

void File::fail(const std::string& object, const std::string& problem, const std::string& stack) const {
  H5Eclear2(H5E_DEFAULT);
  std::string msg = path_ + ": ";
  if (!object.empty()) msg += object + ": ";
  msg += problem;
  if (!stack.empty()) msg += " (HDF5: " + stack + ")";
  throw FormatError(msg);
}

ObjectKind File::kind(const std::string& object) const {
  if (object.empty() || object == "/") return ObjectKind::Group;
  // H5Lexists fails (rather than returning 0) when an intermediate group is
  // missing, so each component is checked in turn.
  size_t pos = 0;
  while (true) {
    size_t slash = object.find('/', pos);
    std::string prefix = object.substr(0, slash);
    htri_t e = H5Lexists(fid_.get(), prefix.c_str(), H5P_DEFAULT);
    if (e < 0) fail(prefix, "cannot look up object");
    if (e == 0) return ObjectKind::None;
    if (slash == std::string::npos) break;
    pos = slash + 1;
  }
  htri_t target = H5Oexists_by_name(fid_.get(), object.c_str(), H5P_DEFAULT);
  if (target <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return ObjectKind::None;  // dangling soft / external link
  }
  hid_t oid = H5Oopen(fid_.get(), object.c_str(), H5P_DEFAULT);
  if (oid < 0) fail(object, "cannot open object");
  H5I_type_t t = H5Iget_type(oid);
  H5Oclose(oid);
  if (t == H5I_GROUP) return ObjectKind::Group;
  if (t == H5I_DATASET) return ObjectKind::Dataset;
  return ObjectKind::Other;
}

Hid File::open_group(const std::string& object) const {
  hid_t gid = H5Gopen2(fid_.get(), object.empty() ? "/" : object.c_str(), H5P_DEFAULT);
  if (gid < 0) fail(object, "cannot open group");
  return Hid(gid, H5Gclose);
}

namespace {
herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* out) {
  static_cast<std::vector<std::string>*>(out)->push_back(name);
  return 0;
}
}  // namespace

std::vector<std::string> File::children(const std::string& group) const {
  Hid g = open_group(group);
  std::vector<std::string> names;
  hsize_t idx = 0;
  if (H5Literate(g.get(), H5_INDEX_NAME, H5_ITER_INC, &idx, collect_name, &names) < 0)
    fail(group, "cannot list group members");
  return names;
}

Dataset File::dataset(const std::string& object) const {
  hid_t did = H5Dopen2(fid_.get(), object.c_str(), H5P_DEFAULT);
  if (did < 0) fail(object, "cannot open dataset");
  Dataset ds;
  ds.file_ = this;
  ds.path_ = object;
  ds.id_ = std::make_shared<Hid>(did, H5Dclose);
  hid_t tid = H5Dget_type(did);
  if (tid < 0) fail(object, "cannot read dataset type");
  ds.type_ = std::make_shared<Hid>(tid, H5Tclose);
  ds.info_ = describe_type(tid);
  Hid space = own_space(H5Dget_space(did));
  if (!space.valid()) fail(object, "cannot read dataset shape");
  int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) fail(object, "cannot read dataset rank");
  ds.dims_.resize(static_cast<size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space.get(), ds.dims_.data(), nullptr) < 0)
    fail(object, "cannot read dataset dimensions");
  return ds;
}

Hid File::open_attr(const std::string& object, const std::string& name) const {
  hid_t aid = H5Aopen_by_name(fid_.get(), object.empty() ? "/" : object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
  if (aid < 0) fail(object, "cannot open attribute '" + name + "'");
  return Hid(aid, H5Aclose);
}

bool File::has_attr(const std::string& object, const std::string& name) const {
  htri_t e = H5Aexists_by_name(fid_.get(), object.empty() ? "/" : object.c_str(), name.c_str(), H5P_DEFAULT);
  if (e < 0) fail(object, "cannot look up attribute '" + name + "'");
  return e > 0;
}

std::string fixed_string(const char* p, size_t size, H5T_str_t pad) {
  std::string s(p, strnlen(p, size));
  if (pad == H5T_STR_SPACEPAD)
    while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

namespace {

// Reads all strings of an attribute (any rank), or fails.
std::vector<std::string> read_attr_strings(const File& f, const std::string& object, const std::string& name, hid_t aid) {
  Hid ftype = own_type(H5Aget_type(aid));
  Hid space = own_space(H5Aget_space(aid));
  if (!ftype.valid() || !space.valid()) f.fail(object, "cannot read attribute '" + name + "'");
  hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if (n < 0) f.fail(object, "cannot read attribute '" + name + "'");
  std::vector<std::string> out;
  if (H5Tget_class(ftype.get()) != H5T_STRING) {
    if (n == 0) return out;  // h5py stores an empty list as an empty float64 array
    f.fail(object, "attribute '" + name + "' is not a string");
  }
  if (H5Tis_variable_str(ftype.get()) > 0) {
    Hid mtype = own_type(H5Tcopy(H5T_C_S1));
    H5Tset_size(mtype.get(), H5T_VARIABLE);
    H5Tset_cset(mtype.get(), H5Tget_cset(ftype.get()));
    std::vector<char*> ptrs(static_cast<size_t>(n), nullptr);
    if (n > 0 && H5Aread(aid, mtype.get(), ptrs.data()) < 0) f.fail(object, "cannot read attribute '" + name + "'");
    for (char* p : ptrs) out.emplace_back(p ? p : "");
    if (n > 0) H5Dvlen_reclaim(mtype.get(), space.get(), H5P_DEFAULT, ptrs.data());
  } else {
    size_t size = H5Tget_size(ftype.get());
    std::vector<char> buf(size * static_cast<size_t>(n) + 1, 0);
    if (n > 0 && H5Aread(aid, ftype.get(), buf.data()) < 0) f.fail(object, "cannot read attribute '" + name + "'");
    H5T_str_t pad = H5Tget_strpad(ftype.get());
    for (hssize_t i = 0; i < n; ++i) out.push_back(fixed_string(buf.data() + static_cast<size_t>(i) * size, size, pad));
  }
  return out;
}

}  // namespace

std::optional<std::string> File::attr_string(const std::string& object, const std::string& name) const {
  if (!has_attr(object, name)) return std::nullopt;
  Hid aid = open_attr(object, name);
  auto v = read_attr_strings(*this, object, name, aid.get());
  if (v.size() != 1) fail(object, "attribute '" + name + "' should be one string, found " + std::to_string(v.size()));
  return v.front();
}

std::vector<std::string> File::attr_strings(const std::string& object, const std::string& name) const {
  Hid aid = open_attr(object, name);
  return read_attr_strings(*this, object, name, aid.get());
}

std::vector<int64_t> File::attr_ints(const std::string& object, const std::string& name) const {
  Hid aid = open_attr(object, name);
  Hid ftype = own_type(H5Aget_type(aid.get()));
  Hid space = own_space(H5Aget_space(aid.get()));
  if (!ftype.valid() || !space.valid()) fail(object, "cannot read attribute '" + name + "'");
  H5T_class_t cls = H5Tget_class(ftype.get());
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) fail(object, "attribute '" + name + "' is not numeric");
  hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if (n < 0 || n > (1 << 20)) fail(object, "attribute '" + name + "' has an unreadable size");
  std::vector<int64_t> out(static_cast<size_t>(n));
  if (n > 0 && H5Aread(aid.get(), H5T_NATIVE_INT64, out.data()) < 0) fail(object, "cannot read attribute '" + name + "'");
  return out;
}

bool File::attr_bool(const std::string& object, const std::string& name) const {
  Hid aid = open_attr(object, name);
  Hid ftype = own_type(H5Aget_type(aid.get()));
  if (!ftype.valid()) fail(object, "cannot read attribute '" + name + "'");
  H5T_class_t cls = H5Tget_class(ftype.get());
  if (cls == H5T_ENUM) {
    Hid ntype = own_type(H5Tget_native_type(ftype.get(), H5T_DIR_ASCEND));
    size_t size = H5Tget_size(ntype.get());
    std::vector<unsigned char> buf(std::max<size_t>(size, 8), 0);
    if (H5Aread(aid.get(), ntype.get(), buf.data()) < 0) fail(object, "cannot read attribute '" + name + "'");
    return std::any_of(buf.begin(), buf.begin() + static_cast<long>(size), [](unsigned char b) { return b != 0; });
  }
  if (cls == H5T_INTEGER || cls == H5T_FLOAT) {
    int64_t v = 0;
    if (H5Aread(aid.get(), H5T_NATIVE_INT64, &v) < 0) fail(object, "cannot read attribute '" + name + "'");
    return v != 0;
  }
  if (cls == H5T_STRING) {
    auto s = read_attr_strings(*this, object, name, aid.get());
    if (s.size() == 1 && (s[0] == "True" || s[0] == "true")) return true;
    if (s.size() == 1 && (s[0] == "False" || s[0] == "false")) return false;
  }
  fail(object, "attribute '" + name + "' is not a boolean");
}

std::string File::attr_reference_path(const std::string& object, const std::string& name) const {
  Hid aid = open_attr(object, name);
  Hid ftype = own_type(H5Aget_type(aid.get()));
  if (!ftype.valid() || H5Tget_class(ftype.get()) != H5T_REFERENCE)
    fail(object, "attribute '" + name + "' is not an object reference");
  hobj_ref_t ref{};
  if (H5Aread(aid.get(), H5T_STD_REF_OBJ, &ref) < 0) fail(object, "cannot read attribute '" + name + "'");
  hid_t target = H5Rdereference2(fid_.get(), H5P_DEFAULT, H5R_OBJECT, &ref);
  if (target < 0) fail(object, "attribute '" + name + "' refers to a missing object");
  Hid owned(target, H5Oclose);
  ssize_t len = H5Iget_name(target, nullptr, 0);
  if (len <= 0) fail(object, "attribute '" + name + "' refers to an unnamed object");
  std::string path(static_cast<size_t>(len) + 1, '\0');
  H5Iget_name(target, path.data(), path.size());
  path.resize(static_cast<size_t>(len));
  if (!path.empty() && path.front() == '/') path.erase(0, 1);
  return path;
}

// ---- Dataset -------------------------------------------------------------------

std::vector<std::string> Dataset::field_names() const {
  std::vector<std::string> names;
  if (info_.cls != H5T_COMPOUND) return names;
  int n = H5Tget_nmembers(type());
  for (int i = 0; i < n; ++i) {
    char* name = H5Tget_member_name(type(), static_cast<unsigned>(i));
    if (!name) fail("cannot read compound member names");
    names.emplace_back(name);
    H5free_memory(name);
  }
  return names;
}

Dataset Dataset::field(const std::string& name) const {
  if (info_.cls != H5T_COMPOUND) fail("is not a compound (table) dataset, cannot read field '" + name + "'");
  int idx = H5Tget_member_index(type(), name.c_str());
  if (idx < 0) fail("has no field '" + name + "'");
  hid_t mtype = H5Tget_member_type(type(), static_cast<unsigned>(idx));
  if (mtype < 0) fail("cannot read the type of field '" + name + "'");
  Dataset view = *this;
  view.field_ = name;
  view.type_ = std::make_shared<Hid>(mtype, H5Tclose);
  view.info_ = describe_type(mtype);
  return view;
}

std::string Dataset::compression() const {
  Hid plist = own_plist(H5Dget_create_plist(id()));
  if (!plist.valid()) fail("cannot read dataset creation properties");
  int n = H5Pget_nfilters(plist.get());
  for (int i = 0; i < n; ++i) {
    unsigned flags = 0, config = 0;
    size_t n_cd = 0;
    char name[128] = {0};
    H5Z_filter_t id = H5Pget_filter2(plist.get(), static_cast<unsigned>(i), &flags, &n_cd, nullptr, sizeof name, name, &config);
    if (id < 0) fail("cannot read the compression filters");
    if (id == H5Z_FILTER_SHUFFLE || id == H5Z_FILTER_FLETCHER32) continue;
    if (id == H5Z_FILTER_DEFLATE) return "gzip";
    if (id == H5Z_FILTER_SZIP) return "szip";
    if (id == kLzfFilter) return "lzf";
    return name[0] ? std::string(name) : "filter " + std::to_string(id);
  }
  return "";
}

void Dataset::fail(const std::string& problem) const { file_->fail(name(), problem); }
void Dataset::fail(const std::string& problem, const std::string& stack) const { file_->fail(name(), problem, stack); }

}  // namespace bmfm::io::h5

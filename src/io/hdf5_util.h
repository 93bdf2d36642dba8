// Private to the io area: RAII handles over the HDF5 C API, one-time library
// setup (error printing off, LZF filter registered) and HDF5 error stacks
// turned into io::FormatError messages that name the file and the object.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bmfm/io/error.h"

namespace bmfm::io::h5 {

// Call at every public io entry point before touching HDF5. Registers the LZF
// filter once per process and turns off HDF5's automatic error printing for
// the calling thread (in a thread-safe HDF5 build error stacks are per thread).
void ensure_ready();

// Registers h5py's LZF filter (id 32000) backed by liblzf. Idempotent.
void register_lzf_filter();
constexpr H5Z_filter_t kLzfFilter = 32000;

// Collects the current thread's HDF5 error stack into one line (outermost and
// innermost messages) and clears it. Empty when the stack is empty.
std::string take_error_stack();

// An owned hid_t with its close function; move-only.
class Hid {
 public:
  using Closer = herr_t (*)(hid_t);
  Hid() = default;
  Hid(hid_t id, Closer close) : id_(id), close_(close) {}
  ~Hid() { reset(); }
  Hid(Hid&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  Hid& operator=(Hid&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = o.id_;
      close_ = o.close_;
      o.id_ = -1;
    }
    return *this;
  }
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  hid_t release() {
    hid_t id = id_;
    id_ = -1;
    return id;
  }
  void reset() {
    if (id_ >= 0 && close_) close_(id_);
    id_ = -1;
  }

 private:
  hid_t id_ = -1;
  Closer close_ = nullptr;
};

Hid own_type(hid_t id);   // H5Tclose
Hid own_space(hid_t id);  // H5Sclose
Hid own_plist(hid_t id);  // H5Pclose

// What a dataset (or one field of a compound dataset) holds, as numpy would say it.
struct TypeInfo {
  H5T_class_t cls = H5T_NO_CLASS;
  size_t size = 0;
  bool is_signed = false;
  bool vlen_string = false;
  bool utf8 = false;
  bool is_bool = false;  // h5py's bool: an enum {FALSE=0, TRUE=1}
  std::string dtype;     // float32, int64, uint16, bool, str, compound, ...

  bool numeric() const { return cls == H5T_INTEGER || cls == H5T_FLOAT || is_bool; }
  bool string() const { return cls == H5T_STRING; }
};
TypeInfo describe_type(hid_t type);

class File;

// An open dataset, or a view of one named field of a compound dataset (the
// legacy pre-0.7 obs/var/obsm tables). Cheap to copy.
class Dataset {
 public:
  const File& file() const { return *file_; }
  const std::string& path() const { return path_; }  // as given, e.g. "X/data"
  const std::string& field() const { return field_; }
  std::string name() const { return field_.empty() ? path_ : path_ + "['" + field_ + "']"; }
  hid_t id() const { return id_->get(); }
  hid_t type() const { return type_->get(); }  // element type (the field's for a view)
  const TypeInfo& info() const { return info_; }
  const std::vector<hsize_t>& dims() const { return dims_; }
  int rank() const { return static_cast<int>(dims_.size()); }
  int64_t length() const { return dims_.empty() ? 1 : static_cast<int64_t>(dims_[0]); }

  // Compound member names (empty for other types).
  std::vector<std::string> field_names() const;
  Dataset field(const std::string& name) const;  // fails when absent

  // "", "gzip", "lzf", "szip", or the filter's stored name; shuffle/fletcher32 are skipped.
  std::string compression() const;

  // Throws FormatError "<file>: <dataset>: <problem> (HDF5: <stack>)".
  [[noreturn]] void fail(const std::string& problem) const;
  // The same with an error stack taken earlier (HDF5 calls clear the stack).
  [[noreturn]] void fail(const std::string& problem, const std::string& stack) const;

 private:
  friend class File;
  const File* file_ = nullptr;
  std::string path_, field_;
  std::shared_ptr<Hid> id_, type_;
  TypeInfo info_;
  std::vector<hsize_t> dims_;
};

enum class ObjectKind { None, Group, Dataset, Other };

// An open HDF5 file plus its path, for error messages. Object paths are
// relative to the root ("X/data"). Not copyable; must outlive its Datasets.
class File {
 public:
  static File open_read(const std::string& path);  // FormatError on missing / not HDF5 / unreadable
  static File create(const std::string& path);     // truncates
  static File open_write(const std::string& path); // read-write, existing file
  File(File&&) noexcept = default;
  File& operator=(File&&) noexcept = default;

  const std::string& path() const { return path_; }
  hid_t id() const { return fid_.get(); }
  void close();  // flushes and closes, throwing on failure (writers)

  // Throws FormatError "<file>: <object>: <problem> (HDF5: <stack>)", with the
  // current error stack or one taken earlier.
  [[noreturn]] void fail(const std::string& object, const std::string& problem) const;
  [[noreturn]] void fail(const std::string& object, const std::string& problem, const std::string& stack) const;

  ObjectKind kind(const std::string& object) const;  // None when absent (any path component)
  bool exists(const std::string& object) const { return kind(object) != ObjectKind::None; }
  Hid open_group(const std::string& object) const;
  Dataset dataset(const std::string& object) const;
  std::vector<std::string> children(const std::string& group) const;  // name order

  bool has_attr(const std::string& object, const std::string& name) const;
  // Scalar (or one-element) string attribute; nullopt when absent.
  std::optional<std::string> attr_string(const std::string& object, const std::string& name) const;
  // String array attribute; an empty numeric array reads as empty (h5py writes [] as float64).
  std::vector<std::string> attr_strings(const std::string& object, const std::string& name) const;
  std::vector<int64_t> attr_ints(const std::string& object, const std::string& name) const;
  bool attr_bool(const std::string& object, const std::string& name) const;
  // Dereferences an object-reference attribute (0.7 categoricals) to the target's path.
  std::string attr_reference_path(const std::string& object, const std::string& name) const;

 private:
  File(std::string path, Hid fid) : path_(std::move(path)), fid_(std::move(fid)) {}
  Hid open_attr(const std::string& object, const std::string& name) const;
  std::string path_;
  Hid fid_;
};

// A fixed-length string element without its padding.
std::string fixed_string(const char* p, size_t size, H5T_str_t pad);

// Typed reads. 1-D ranges [begin, end) of a 1-D dataset (or field); HDF5
// converts any integer / float dtype to T; h5py bools (enums) read as 0/1.
template <class T>
std::vector<T> read_numeric(const Dataset& ds, int64_t begin, int64_t end);
template <class T>
std::vector<T> read_numeric(const Dataset& ds) {
  return read_numeric<T>(ds, 0, ds.length());
}
// Rows [r0, r1) of a 2-D numeric dataset as row-major float (n_cols = dims[1]).
std::vector<float> read_rows_f32(const Dataset& ds, int64_t r0, int64_t r1);
// Variable- or fixed-length strings (fixed ones lose their padding).
std::vector<std::string> read_strings(const Dataset& ds, int64_t begin, int64_t end);
inline std::vector<std::string> read_strings(const Dataset& ds) { return read_strings(ds, 0, ds.length()); }

}  // namespace bmfm::io::h5

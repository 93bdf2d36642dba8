// Private to the io area: writing groups, attributes and 1-D / 2-D datasets
// the way h5py does, so AnnData (through h5py) reads them back: strings as
// variable-length UTF-8, bools as the int8 enum {FALSE, TRUE}.
#pragma once

#include <string>
#include <vector>

#include "hdf5_util.h"

namespace bmfm::io::h5 {

struct Filters {
  enum class Kind { None, Gzip, Lzf };
  Kind kind = Kind::Gzip;
  int gzip_level = 4;
};

void create_group(const File& f, const std::string& path);

void write_attr(const File& f, const std::string& object, const std::string& name, const std::string& value);
// An empty list is written as an empty float64 array, as h5py writes [].
void write_attr(const File& f, const std::string& object, const std::string& name, const std::vector<std::string>& values);
void write_attr(const File& f, const std::string& object, const std::string& name, const std::vector<int64_t>& values);
void write_attr_bool(const File& f, const std::string& object, const std::string& name, bool value);
// encoding-type + encoding-version, as AnnData >= 0.8 tags every element.
void write_encoding(const File& f, const std::string& object, const std::string& type, const std::string& version);

// A numeric array of shape `dims` (1-D or 2-D) from memory of type `mem_type`,
// stored as `file_type` (HDF5 converts), chunked and filtered when non-empty.
void write_array(const File& f, const std::string& path, hid_t mem_type, hid_t file_type, const void* data,
                 const std::vector<hsize_t>& dims, const Filters& filters);
void write_bools(const File& f, const std::string& path, const std::vector<uint8_t>& values, const Filters& filters);
void write_strings(const File& f, const std::string& path, const std::vector<std::string>& values, const Filters& filters);

}  // namespace bmfm::io::h5

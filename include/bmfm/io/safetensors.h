// Reading the safetensors format (Hugging Face; the published BMFM-RNA
// checkpoints' model.safetensors): an 8-byte little-endian header length N,
// N bytes of JSON {"name": {"dtype", "shape", "data_offsets": [begin, end]},
// ..., "__metadata__": {str: str}}, then the data buffer, offsets relative
// to its start. Every entry is checked when the file is opened: a known dtype,
// non-negative shape, offsets inside the buffer, end - begin = elements x
// dtype size, and no two tensors overlapping. A file that breaks any rule is
// a FormatError naming the file, the tensor and the rule. Torch-free.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace bmfm::io {

struct SafetensorsEntry {
  std::string name;
  std::string dtype;             // F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;   // byte range in the data buffer
  int64_t numel() const;
};

class SafetensorsFile {
 public:
  // Reads and checks the header (not the data).
  explicit SafetensorsFile(std::string path);

  const std::string& path() const { return path_; }
  // In the order of their data offsets.
  const std::vector<SafetensorsEntry>& entries() const { return entries_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  bool has(const std::string& name) const;
  const SafetensorsEntry& entry(const std::string& name) const;  // FormatError naming the file when absent

  // The tensor's values as float32 (F32 as is; F16 and BF16 widened exactly;
  // F64 rounded), C order. FormatError for integer / bool dtypes.
  std::vector<float> read_float(const std::string& name) const;

 private:
  std::string path_;
  uint64_t data_start_ = 0;  // 8 + header length
  std::vector<SafetensorsEntry> entries_;
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

// Bytes per element of a safetensors dtype; 0 for an unknown one.
int dtype_size(const std::string& dtype);
float half_to_float(uint16_t h);
float bfloat16_to_float(uint16_t b);

}  // namespace bmfm::io

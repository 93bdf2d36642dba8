// TensorBoard event files without TensorFlow or protobuf: the tfevents
// record format (uint64 length, masked CRC32C of the length, payload, masked
// CRC32C of the payload), each payload a hand-encoded tensorflow.Event with
// wall_time (1), step (2), file_version (3) or a Summary (5) of scalar Values
// (tag 1, simple_value 2). `tensorboard --logdir <run>/tensorboard` reads them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace bmfm::train {

// CRC-32C (Castagnoli), as TFRecord uses, continuing from `crc`.
uint32_t crc32c(const void* data, size_t n, uint32_t crc = 0);
// TFRecord's masking: rotate right by 15, add 0xa282ead8.
uint32_t masked_crc32c(const void* data, size_t n);

class TensorBoardWriter {
 public:
  // Creates `dir` and events.out.tfevents.<unix seconds>.<hostname> in it.
  explicit TensorBoardWriter(const std::string& dir);
  ~TensorBoardWriter();
  TensorBoardWriter(const TensorBoardWriter&) = delete;
  TensorBoardWriter& operator=(const TensorBoardWriter&) = delete;

  // One Event holding every (tag, value) pair at `step`; flushed at once, so
  // a crash loses nothing already added.
  void add_scalars(const std::vector<std::pair<std::string, double>>& values, int64_t step);
  const std::string& path() const { return path_; }

 private:
  void write_record(const std::string& payload);
  std::string path_;
  std::FILE* file_ = nullptr;
};

}  // namespace bmfm::train

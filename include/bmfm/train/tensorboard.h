// Scalar metrics as a TensorBoard event file, without TensorFlow or protobuf:
// `tensorboard --logdir <dir>` plots what this writes. The file is a sequence
// of TFRecords (u64 length, masked CRC32C of the length, payload, masked CRC32C
// of the payload), each payload a hand-encoded `tensorflow.Event` protobuf.
// Every record is flushed as it is written, so a crash loses at most the one
// being written; TensorBoard skips a torn final record. Torch-free: usable
// from any command.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace bmfm::train {

// CRC-32C (Castagnoli), the checksum TFRecord uses. `init` is the CRC of the
// bytes before `data`, so crc32c(b, nb, crc32c(a, na)) is the CRC of a then b.
uint32_t crc32c(const void* data, size_t n, uint32_t init = 0);
// TFRecord stores CRCs rotated and offset, because a CRC of data that itself
// contains CRCs is weak: ((crc >> 15) | (crc << 17)) + 0xa282ead8.
uint32_t masked_crc32c(const void* data, size_t n);

class TensorBoardWriter {
 public:
  // Creates `dir` if needed and opens `<dir>/events.out.tfevents.<unix
  // seconds>.<hostname>` (suffixed .1, .2, ... if that name is taken); writes
  // the file_version record TensorBoard expects first. Throws
  // std::runtime_error naming the path when it cannot be created.
  explicit TensorBoardWriter(const std::string& dir);
  ~TensorBoardWriter();
  TensorBoardWriter(const TensorBoardWriter&) = delete;
  TensorBoardWriter& operator=(const TensorBoardWriter&) = delete;

  // TensorBoard stores simple_value as a 32-bit float; NaN and inf pass through.
  void add_scalar(const std::string& tag, double value, int64_t step);
  // One Event holding all values, so they share a step and a wall time.
  void add_scalars(const std::vector<std::pair<std::string, double>>& values, int64_t step);
  void flush();
  void close();

  const std::string& path() const { return path_; }

 private:
  void write_record(const std::string& payload);
  std::string path_;
  std::FILE* file_ = nullptr;
};

}  // namespace bmfm::train

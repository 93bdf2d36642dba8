// Checkpoint folders: a JSON index, one binary file of tensors, and text
// files (the resolved config, the vocabulary, the label dictionary).
//
//   <dir>/index.json    {"format": "bmfm-checkpoint", "version": 1, "meta": {...},
//                        "tensors": [{"name", "dtype", "shape", "offset", "nbytes"}, ...],
//                        "files": ["config.yaml", "vocab.json", ...], "tensors_file": "tensors.bin",
//                        "tensors_bytes": N}
//   <dir>/tensors.bin   the tensors, C order, little-endian, each at a 64-byte aligned offset
//
// Readable without bmfm: numpy.fromfile("tensors.bin", dtype, count, offset=...)
// .reshape(shape) for each index entry (docs/checkpoints.md has the snippet).
// Writing is atomic: everything goes to <dir>.tmp-<pid>/ and is renamed into
// place, so a crash never leaves a half-written checkpoint under <dir>.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

namespace bmfm::train {

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

struct CheckpointContents {
  nlohmann::json meta;                       // step, epoch, loader position, optimizer steps, ...
  NamedTensors tensors;                      // saved on the CPU
  std::map<std::string, std::string> files;  // file name -> text
};

void write_checkpoint(const std::string& dir, const CheckpointContents& c);

// Throws std::runtime_error naming the folder and what is wrong (missing,
// not a bmfm checkpoint, newer version, truncated tensors file, bad entry).
CheckpointContents read_checkpoint(const std::string& dir);

// The tensor called `name`, or an error naming the checkpoint folder.
const at::Tensor& find_tensor(const CheckpointContents& c, const std::string& name, const std::string& dir);

}  // namespace bmfm::train

#include "bmfm/train/checkpoint.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace bmfm::train {
namespace fs = std::filesystem;
namespace {

constexpr int kVersion = 1;
constexpr int64_t kAlign = 64;

struct DtypeName {
  at::ScalarType type;
  const char* name;  // numpy's name
};
constexpr DtypeName kDtypes[] = {{at::kFloat, "float32"}, {at::kDouble, "float64"}, {at::kBFloat16, "bfloat16"},
                                 {at::kHalf, "float16"},  {at::kLong, "int64"},     {at::kInt, "int32"},
                                 {at::kByte, "uint8"},    {at::kBool, "bool"}};

const char* dtype_name(at::ScalarType t) {
  for (const auto& d : kDtypes)
    if (d.type == t) return d.name;
  throw std::runtime_error(fmt::format("checkpoint: unsupported tensor dtype {}", c10::toString(t)));
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  f.flush();
  if (!f) throw std::runtime_error(fmt::format("checkpoint: cannot write {}", path.string()));
}

std::string read_file(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(fmt::format("checkpoint: cannot read {}", path.string()));
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

void write_checkpoint(const std::string& dir, const CheckpointContents& c) {
  const fs::path target(dir);
  const fs::path tmp = fmt::format("{}.tmp-{}", dir, getpid());
  fs::remove_all(tmp);
  fs::create_directories(tmp);

  nlohmann::json index;
  index["format"] = "bmfm-checkpoint";
  index["version"] = kVersion;
  index["meta"] = c.meta;
  index["tensors_file"] = "tensors.bin";
  index["tensors"] = nlohmann::json::array();
  {
    std::FILE* f = std::fopen((tmp / "tensors.bin").c_str(), "wb");
    if (!f) throw std::runtime_error(fmt::format("checkpoint: cannot write {}", (tmp / "tensors.bin").string()));
    int64_t offset = 0;
    static const char zeros[kAlign] = {};
    for (const auto& [name, t] : c.tensors) {
      at::Tensor cpu = t.detach().to(at::kCPU).contiguous();
      const int64_t nbytes = static_cast<int64_t>(cpu.numel() * cpu.element_size());
      const int64_t pad = (kAlign - offset % kAlign) % kAlign;
      bool ok = std::fwrite(zeros, 1, static_cast<size_t>(pad), f) == static_cast<size_t>(pad);
      offset += pad;
      ok = ok && std::fwrite(cpu.data_ptr(), 1, static_cast<size_t>(nbytes), f) == static_cast<size_t>(nbytes);
      if (!ok) {
        std::fclose(f);
        throw std::runtime_error(fmt::format("checkpoint: write failed in {} (disk full?)", tmp.string()));
      }
      index["tensors"].push_back({{"name", name},
                                  {"dtype", dtype_name(cpu.scalar_type())},
                                  {"shape", cpu.sizes().vec()},
                                  {"offset", offset},
                                  {"nbytes", nbytes}});
      offset += nbytes;
    }
    index["tensors_bytes"] = offset;
    const bool flushed = std::fflush(f) == 0 && fsync(fileno(f)) == 0;
    std::fclose(f);
    if (!flushed) throw std::runtime_error(fmt::format("checkpoint: flush failed in {}", tmp.string()));
  }
  index["files"] = nlohmann::json::array();
  for (const auto& [name, text] : c.files) {
    write_file(tmp / name, text);
    index["files"].push_back(name);
  }
  write_file(tmp / "index.json", index.dump(1) + "\n");  // last: its presence marks a complete folder

  // Swap into place: the old folder is moved aside first because a folder
  // cannot be renamed over a non-empty one.
  const fs::path old = fmt::format("{}.old-{}", dir, getpid());
  if (fs::exists(target)) fs::rename(target, old);
  fs::rename(tmp, target);
  fs::remove_all(old);
}

CheckpointContents read_checkpoint(const std::string& dir) {
  const fs::path root(dir);
  if (!fs::is_directory(root)) throw std::runtime_error(fmt::format("checkpoint {}: no such folder", dir));
  if (!fs::exists(root / "index.json"))
    throw std::runtime_error(fmt::format("checkpoint {}: no index.json (not a bmfm checkpoint, or incomplete)", dir));
  nlohmann::json index;
  try {
    index = nlohmann::json::parse(read_file(root / "index.json"));
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(fmt::format("checkpoint {}: index.json is not valid JSON ({})", dir, e.what()));
  }
  if (index.value("format", "") != "bmfm-checkpoint")
    throw std::runtime_error(fmt::format("checkpoint {}: index.json is not a bmfm checkpoint index", dir));
  if (index.value("version", 0) > kVersion)
    throw std::runtime_error(fmt::format("checkpoint {}: format version {} is newer than this bmfm reads ({})", dir,
                                         index.value("version", 0), kVersion));
  CheckpointContents c;
  c.meta = index.value("meta", nlohmann::json::object());
  try {
    const std::string bytes = read_file(root / index.at("tensors_file").get<std::string>());
    const int64_t expected = index.at("tensors_bytes").get<int64_t>();
    if (static_cast<int64_t>(bytes.size()) != expected)
      throw std::runtime_error(fmt::format("tensors.bin has {} bytes, the index says {} (truncated or replaced)",
                                           bytes.size(), expected));
    for (const auto& e : index.at("tensors")) {
      const std::string name = e.at("name");
      const std::string dtype = e.at("dtype");
      const auto shape = e.at("shape").get<std::vector<int64_t>>();
      const int64_t offset = e.at("offset"), nbytes = e.at("nbytes");
      at::ScalarType type = at::kFloat;
      bool known = false;
      for (const auto& d : kDtypes)
        if (dtype == d.name) type = d.type, known = true;
      if (!known) throw std::runtime_error(fmt::format("tensor '{}' has unknown dtype '{}'", name, dtype));
      at::Tensor t = at::empty(shape, at::TensorOptions().dtype(type));
      if (offset < 0 || nbytes != static_cast<int64_t>(t.numel() * t.element_size()) ||
          offset + nbytes > static_cast<int64_t>(bytes.size()))
        throw std::runtime_error(fmt::format("tensor '{}': entry (offset {}, {} bytes) does not fit the file", name,
                                             offset, nbytes));
      std::memcpy(t.data_ptr(), bytes.data() + offset, static_cast<size_t>(nbytes));
      c.tensors.emplace_back(name, std::move(t));
    }
    for (const auto& f : index.value("files", nlohmann::json::array())) {
      const std::string name = f.get<std::string>();
      c.files[name] = read_file(root / name);
    }
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(fmt::format("checkpoint {}: malformed index.json ({})", dir, e.what()));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(fmt::format("checkpoint {}: {}", dir, e.what()));
  }
  return c;
}

const at::Tensor& find_tensor(const CheckpointContents& c, const std::string& name, const std::string& dir) {
  for (const auto& [n, t] : c.tensors)
    if (n == name) return t;
  throw std::runtime_error(fmt::format("checkpoint {}: no tensor '{}'", dir, name));
}

}  // namespace bmfm::train

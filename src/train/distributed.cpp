#include "bmfm/train/distributed.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>

namespace bmfm::train {
namespace {

int64_t parse_int(const char* name, const char* value) {
  std::string v = value;
  size_t used = 0;
  int64_t x = 0;
  try {
    x = std::stoll(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (v.empty() || used != v.size())
    throw std::invalid_argument(fmt::format("environment variable {}={}: not an integer", name, v));
  return x;
}

}  // namespace

std::string first_slurm_host(const std::string& list) {
  if (list.empty()) throw std::invalid_argument("SLURM_JOB_NODELIST is empty");
  const size_t comma = list.find(','), bracket = list.find('[');
  if (bracket == std::string::npos || (comma != std::string::npos && comma < bracket)) return list.substr(0, comma);
  // prefix[ranges]: the first range's first number, zero padding kept.
  const size_t close = list.find(']', bracket);
  if (close == std::string::npos) throw std::invalid_argument("SLURM_JOB_NODELIST '" + list + "': unbalanced [");
  std::string first = list.substr(bracket + 1, close - bracket - 1);
  first = first.substr(0, first.find_first_of(",-"));
  if (first.empty() || !std::all_of(first.begin(), first.end(), [](unsigned char c) { return std::isdigit(c); }))
    throw std::invalid_argument("SLURM_JOB_NODELIST '" + list + "': cannot read the first host");
  return list.substr(0, bracket) + first;
}

DistEnv dist_env_from(const std::function<const char*(const char*)>& get) {
  DistEnv e;
  auto num = [&](const char* name, int64_t fallback) {
    const char* v = get(name);
    return v ? parse_int(name, v) : fallback;
  };
  if (get("RANK")) {
    e.source = "torchrun";
    e.rank = num("RANK", 0);
    e.world_size = num("WORLD_SIZE", 1);
    e.local_rank = num("LOCAL_RANK", e.rank);
    e.local_world_size = num("LOCAL_WORLD_SIZE", e.world_size);
    if (const char* a = get("MASTER_ADDR")) e.master_addr = a;
    else if (e.world_size > 1) throw std::invalid_argument("RANK and WORLD_SIZE are set but MASTER_ADDR is not");
  } else if (get("SLURM_PROCID")) {
    e.source = "slurm";
    e.rank = num("SLURM_PROCID", 0);
    e.world_size = num("SLURM_NTASKS", 1);
    e.local_rank = num("SLURM_LOCALID", 0);
    // SLURM_NTASKS_PER_NODE can read "2(x3)" on heterogeneous layouts: take the leading number.
    if (const char* t = get("SLURM_NTASKS_PER_NODE")) {
      std::string s = t;
      e.local_world_size = parse_int("SLURM_NTASKS_PER_NODE", s.substr(0, s.find('(')).c_str());
    } else {
      e.local_world_size = e.world_size / std::max<int64_t>(1, num("SLURM_NNODES", 1));
    }
    if (const char* a = get("MASTER_ADDR")) e.master_addr = a;
    else if (const char* l = get("SLURM_JOB_NODELIST")) e.master_addr = first_slurm_host(l);
    else if (e.world_size > 1) throw std::invalid_argument("SLURM: neither MASTER_ADDR nor SLURM_JOB_NODELIST is set");
  }
  e.master_port = num("MASTER_PORT", 29500);
  if (e.world_size < 1) throw std::invalid_argument(fmt::format("world size {} (from {}) must be >= 1", e.world_size, e.source));
  if (e.rank < 0 || e.rank >= e.world_size)
    throw std::invalid_argument(fmt::format("rank {} is not in [0, world size {}) (from {})", e.rank, e.world_size, e.source));
  if (e.local_rank < 0 || e.local_world_size < 1 || e.local_rank >= e.local_world_size)
    throw std::invalid_argument(fmt::format("local rank {} is not in [0, local world size {}) (from {})", e.local_rank,
                                            e.local_world_size, e.source));
  if (e.master_port < 1 || e.master_port > 65535)
    throw std::invalid_argument(fmt::format("MASTER_PORT={} is not a TCP port", e.master_port));
  return e;
}

DistEnv dist_env() {
  return dist_env_from([](const char* name) { return std::getenv(name); });
}

const config::Schema<DistributedConfig>& distributed_schema() {
  using D = DistributedConfig;
  static const auto schema =
      config::Schema<D>("distributed")
          .field("backend", &D::backend, "auto (nccl on CUDA devices, gloo on CPU) | gloo | nccl")
          .field("timeout_s", &D::timeout_s, "seconds a collective or the rendezvous may wait before failing")
          .field("bucket_mb", &D::bucket_mb, "gradient all-reduce bucket size in MB")
          .check([](const D& d, const config::Config& cfg, const std::string& p) {
            config::require_one_of(cfg, p + "backend", d.backend, {"auto", "gloo", "nccl"});
            if (!(d.timeout_s > 0)) config::fail(cfg, p + "timeout_s", "must be positive");
            if (!(d.bucket_mb > 0)) config::fail(cfg, p + "bucket_mb", "must be positive");
          });
  return schema;
}

std::string resolve_backend(const std::string& configured, bool cuda_device, bool nccl_built) {
  const std::string b = configured == "auto" ? (cuda_device && nccl_built ? "nccl" : "gloo") : configured;
  if (b == "nccl" && !cuda_device)
    throw std::invalid_argument("distributed.backend=nccl needs CUDA devices (trainer.device is the CPU); use gloo or "
                                "auto");
  if (b == "nccl" && !nccl_built)
    throw std::invalid_argument("distributed.backend=nccl: this build of bmfm has no NCCL (its libtorch was built "
                                "without CUDA); use gloo");
  if (b != "nccl" && b != "gloo")
    throw std::invalid_argument("distributed.backend must be auto, gloo or nccl, not '" + configured + "'");
  return b;
}

int64_t rank_cuda_index(const DistEnv& env, int64_t device_count) {
  if (env.local_rank >= device_count)
    throw std::invalid_argument(fmt::format(
        "local rank {} of {} needs CUDA device {}, but this machine has {} CUDA device(s): start at most {} ranks "
        "per machine (bmfm launch --nproc-per-node / srun --ntasks-per-node)", env.local_rank,
        env.local_world_size, env.local_rank, device_count, device_count));
  return env.local_rank;
}

}  // namespace bmfm::train

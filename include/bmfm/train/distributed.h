// Multi-process data-parallel training on torch.distributed (c10d): where a
// process sits in the job (rank, world size, local rank, rendezvous address),
// read from the environment torchrun / `bmfm launch` set, or from SLURM's; and
// the `distributed` config section. Torch-free: the process group itself is in
// train/process_group.h.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "bmfm/config/schema.h"

namespace bmfm::train {

struct DistEnv {
  int64_t rank = 0, world_size = 1;
  int64_t local_rank = 0, local_world_size = 1;
  std::string master_addr = "127.0.0.1";
  int64_t master_port = 29500;
  std::string source = "none";  // none | torchrun (RANK, WORLD_SIZE, ...) | slurm (SLURM_PROCID, ...)
  bool distributed() const { return world_size > 1; }
};

// Reads the variables through `get` (nullptr = unset):
//   torchrun / bmfm launch: RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT
//   SLURM (when RANK is unset): SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID,
//     SLURM_NTASKS_PER_NODE (else SLURM_NTASKS / SLURM_NNODES), MASTER_ADDR or
//     the first host of SLURM_JOB_NODELIST, MASTER_PORT (default 29500)
//   neither: one process (rank 0 of 1).
// std::invalid_argument names the variable at fault (not a number, rank outside
// [0, world size), a world size > 1 without a master address).
DistEnv dist_env_from(const std::function<const char*(const char*)>& get);
DistEnv dist_env();  // from this process's environment

// The first host of a SLURM node list: "node[03-05,09],gpu1" -> "node03",
// "a1,b2" -> "a1". std::invalid_argument when it is empty or malformed.
std::string first_slurm_host(const std::string& nodelist);

struct DistributedConfig {
  std::string backend = "auto";  // auto (nccl on CUDA devices, gloo on CPU) | gloo | nccl
  double timeout_s = 300;        // a collective (or the rendezvous) that waits longer fails, naming it
  double bucket_mb = 25;         // gradients are all-reduced in flat buckets of about this size
};
const config::Schema<DistributedConfig>& distributed_schema();

// The collective backend of a run: `configured` (auto | gloo | nccl) for a run
// on a CUDA device or not. auto = nccl on CUDA, gloo on CPU. std::invalid_argument
// for nccl on a CPU device, or on a build without NCCL (`nccl_built`).
std::string resolve_backend(const std::string& configured, bool cuda_device, bool nccl_built);

// The CUDA device index of a rank: its LOCAL_RANK, one GPU per process on a
// machine. std::invalid_argument when the machine has fewer devices than ranks.
int64_t rank_cuda_index(const DistEnv& env, int64_t device_count);

}  // namespace bmfm::train

// The c10d process group a data-parallel run talks through: a TCPStore
// rendezvous at MASTER_ADDR:MASTER_PORT (rank 0 hosts it) and a Gloo (CPU;
// CUDA tensors are staged through the host) or NCCL (on this rank's GPU,
// cuda:LOCAL_RANK) process group, from distributed.backend. With one process
// it is a no-op and opens no socket. c10d headers stay in the .cpp.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "bmfm/train/distributed.h"

namespace bmfm::train {

class ProcessGroup {
 public:
  // Blocks until all world_size ranks joined (or timeout_s passed: an error
  // naming the address and how many ranks were expected). `device` is the
  // run's trainer.device (cpu | auto | cuda | cuda:N): it picks the backend
  // (resolve_backend) and, for CUDA, checks LOCAL_RANK against the devices.
  ProcessGroup(const DistEnv& env, const DistributedConfig& cfg, const std::string& device = "cpu");
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int64_t rank() const { return env_.rank; }
  int64_t world_size() const { return env_.world_size; }
  bool is_main() const { return env_.rank == 0; }
  const DistEnv& env() const { return env_; }
  // gloo | nccl; empty with one process.
  const std::string& backend() const { return backend_; }

  // Rank 0's values into every rank's tensors (in place), e.g. the initial weights.
  void broadcast(const std::vector<at::Tensor>& tensors);
  // Every rank ends with the mean over ranks of each tensor's values (in
  // place), reduced in flat buckets of about bucket_mb. Undefined tensors
  // (parameters without a gradient) are skipped on every rank alike.
  void allreduce_mean(const std::vector<at::Tensor>& tensors);
  // Element-wise sum over ranks.
  std::vector<double> allreduce_sum(const std::vector<double>& values);
  void barrier();

 private:
  struct Impl;
  DistEnv env_;
  DistributedConfig cfg_;
  std::string backend_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bmfm::train

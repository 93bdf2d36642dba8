// The c10d Gloo and NCCL headers are guarded by the macros libtorch itself
// was built with; the CUDA wheel has both (CMakeLists.txt sets BMFM_WITH_NCCL).
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif
#if defined(BMFM_WITH_NCCL) && !defined(USE_C10D_NCCL)
#define USE_C10D_NCCL
#endif
#include "bmfm/train/process_group.h"
#include "bmfm/train/trainer.h"

#include <chrono>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/cuda.h>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace bmfm::train {

#ifdef USE_C10D_NCCL
constexpr bool kNcclBuilt = true;
#else
constexpr bool kNcclBuilt = false;
#endif

struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::Backend> pg;  // ProcessGroupGloo or ProcessGroupNCCL
  // Where collective buffers live: the host for Gloo (CUDA tensors are staged
  // through it), this rank's GPU for NCCL.
  at::Device device{at::kCPU};
};

namespace {

// c10::Error messages carry a C++ backtrace after the first line.
std::string first_line(const std::string& what) { return what.substr(0, what.find('\n')); }

// A failed or timed-out collective: what a user needs is which operation, and
// that a peer is gone or stuck (the launcher's log names the rank that died).
[[noreturn]] void collective_failed(const DistEnv& env, const char* what, const std::exception& e) {
  throw std::runtime_error(fmt::format(
      "distributed: {} failed on rank {} of {} ({}). Another rank died, hung or was killed; see its log "
      "(bmfm launch names it).", what, env.rank, env.world_size, first_line(e.what())));
}

bool is_local(const std::string& addr) { return addr == "127.0.0.1" || addr == "localhost" || addr == "::1"; }

}  // namespace

ProcessGroup::ProcessGroup(const DistEnv& env, const DistributedConfig& cfg, const std::string& device)
    : env_(env), cfg_(cfg), impl_(std::make_unique<Impl>()) {
  if (!env_.distributed()) return;
  // Config errors before any socket is opened: the device as the trainer resolves it.
  at::Device run_device(at::kCPU);
  try {
    run_device = resolve_device(device);
  } catch (const std::runtime_error& e) {
    throw std::invalid_argument(e.what());
  }
  const bool cuda = run_device.is_cuda();
  backend_ = resolve_backend(cfg_.backend, cuda, kNcclBuilt);
  if (cuda) {
    const int64_t index = rank_cuda_index(env_, static_cast<int64_t>(torch::cuda::device_count()));
    if (backend_ == "nccl") impl_->device = at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(cfg_.timeout_s * 1000));
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(env_.master_port);
    so.isServer = env_.rank == 0;
    so.numWorkers = static_cast<size_t>(env_.world_size);
    so.waitWorkers = true;
    so.timeout = timeout;
    impl_->store = c10::make_intrusive<c10d::TCPStore>(env_.master_addr, so);
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format(
        "distributed: rank {} could not join the rendezvous at {}:{} with {} ranks within {} s: {}", env_.rank,
        env_.master_addr, env_.master_port, env_.world_size, cfg_.timeout_s, first_line(e.what())));
  }
  try {
#ifdef USE_C10D_NCCL
    if (backend_ == "nccl") {
      auto opts = c10d::ProcessGroupNCCL::Options::create();
      opts->timeout = timeout;
      impl_->pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(impl_->store, static_cast<int>(env_.rank),
                                                              static_cast<int>(env_.world_size), opts);
    }
#endif
    if (backend_ == "gloo") {
      auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
      // One machine: the loopback interface (hostnames in sandboxes often do not resolve).
      opts->devices.push_back(is_local(env_.master_addr) ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                                         : c10d::ProcessGroupGloo::createDefaultDevice());
      impl_->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, static_cast<int>(env_.rank),
                                                              static_cast<int>(env_.world_size), opts);
    }
  } catch (const std::exception& e) {
    // Creating the group connects every pair of ranks: a rank that never came
    // (or died before) shows up here as a timeout.
    throw std::runtime_error(fmt::format(
        "distributed: rank {} could not join the rendezvous at {}:{} with {} ranks within {} s (not all ranks "
        "connected): {}", env_.rank, env_.master_addr, env_.master_port, env_.world_size, cfg_.timeout_s,
        first_line(e.what())));
  }
  spdlog::info("distributed: rank {} of {} (local {} of {}, from {}), {}, rendezvous {}:{}", env_.rank,
               env_.world_size, env_.local_rank, env_.local_world_size, env_.source,
               backend_ == "nccl" ? "NCCL on " + impl_->device.str() : std::string("Gloo"), env_.master_addr,
               env_.master_port);
}

ProcessGroup::~ProcessGroup() = default;

void ProcessGroup::broadcast(const std::vector<at::Tensor>& tensors) {
  if (!env_.distributed()) return;
  try {
    for (const auto& t : tensors) {
      const bool staged = t.device() != impl_->device;
      std::vector<at::Tensor> one{staged ? t.to(impl_->device) : t};
      impl_->pg->broadcast(one)->wait();
      if (staged) t.copy_(one[0]);
    }
  } catch (const std::exception& e) {
    collective_failed(env_, "broadcast", e);
  }
}

void ProcessGroup::allreduce_mean(const std::vector<at::Tensor>& tensors) {
  if (!env_.distributed()) return;
  const int64_t bucket_bytes = std::max<int64_t>(1, static_cast<int64_t>(cfg_.bucket_mb * 1024 * 1024));
  std::vector<at::Tensor> bucket;
  int64_t bytes = 0;
  auto flush = [&] {
    if (bucket.empty()) return;
    std::vector<at::Tensor> flat;
    for (const auto& t : bucket) flat.push_back(t.detach().to(impl_->device, at::kFloat).reshape({-1}));
    std::vector<at::Tensor> buf{at::cat(flat)};
    impl_->pg->allreduce(buf)->wait();
    buf[0].div_(static_cast<double>(env_.world_size));
    int64_t off = 0;
    for (const auto& t : bucket) {
      t.copy_(buf[0].narrow(0, off, t.numel()).view(t.sizes()));
      off += t.numel();
    }
    bucket.clear();
    bytes = 0;
  };
  try {
    for (const auto& t : tensors) {
      if (!t.defined()) continue;
      bucket.push_back(t);
      bytes += t.numel() * 4;
      if (bytes >= bucket_bytes) flush();
    }
    flush();
  } catch (const std::exception& e) {
    collective_failed(env_, "gradient all-reduce", e);
  }
}

std::vector<double> ProcessGroup::allreduce_sum(const std::vector<double>& values) {
  if (!env_.distributed() || values.empty()) return values;
  std::vector<at::Tensor> buf{at::tensor(values, at::kDouble).to(impl_->device)};
  try {
    impl_->pg->allreduce(buf)->wait();
  } catch (const std::exception& e) {
    collective_failed(env_, "metric all-reduce", e);
  }
  const at::Tensor host = buf[0].cpu();
  const double* p = host.data_ptr<double>();
  return std::vector<double>(p, p + values.size());
}

void ProcessGroup::barrier() {
  if (!env_.distributed()) return;
  try {
    c10d::BarrierOptions opts;
    // NCCL's barrier is an all-reduce on a device: name this rank's.
    if (impl_->device.is_cuda()) opts.device_ids = {impl_->device.index()};
    impl_->pg->barrier(opts)->wait();
  } catch (const std::exception& e) {
    collective_failed(env_, "barrier", e);
  }
}

}  // namespace bmfm::train

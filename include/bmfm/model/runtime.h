// Facts about the compute runtime that every command may report or set:
// libtorch version, which BLAS the process actually resolved, thread count,
// CUDA availability. Torch-free header so the CLI can include it cheaply.
#pragma once

#include <string>

namespace bmfm::model {

struct RuntimeInfo {
  std::string bmfm_version;
  std::string torch_version;
  std::string blas_library;  // the shared object that provides sgemm_ in this process (torch's and eval's GEMMs)
  std::string lapack_library;  // ... and dsyevr_ (eval's exact PCA)
  std::string blas_config;   // openblas_get_config() when OpenBLAS is loaded
  bool blas_is_reference = false;  // netlib reference BLAS: ~20x slower fp32 GEMM
  int threads = 1;           // torch intra-op threads
  int available_cores = 1;   // CPUs this process may run on (sched affinity)
  std::string openmp_library;  // the libgomp/libiomp whose omp_get_max_threads this process calls
  bool mkl = false;          // libtorch's own GEMMs go to MKL (the PyPI wheel), not the system BLAS
  bool mkldnn = false;
  bool cpu_bf16 = false;     // CPU advertises avx512_bf16 / amx_bf16
  bool cuda_built = false;  // libtorch has its CUDA backend (the 2.x wheel build)
  long cudart_version = 0;  // e.g. 13020 for CUDA 13.2, when built
  long cudnn_version = 0;
  bool cuda = false;        // built and at least one device
  int cuda_devices = 0;
  double gemm_gflops = 0;    // measured fp32 GEMM throughput (0 when not measured)
};

// CPUs available to this process (sched_getaffinity), at least 1.
int available_cores();

// Sets torch's intra-op thread count; n <= 0 means available_cores(). libtorch
// miscounts cores on some VMs and starts with 1 thread, so every command calls this.
void set_num_threads(int n);

// Builds a model's initial weights from `seed` the same way whatever the
// thread count: libtorch's CPU random fills split their work (and their draws)
// by thread, so the constructors run on one thread while this guard lives
// (then the previous count is restored).
class DeterministicInit {
 public:
  explicit DeterministicInit(uint64_t seed);
  ~DeterministicInit();
  DeterministicInit(const DeterministicInit&) = delete;
  DeterministicInit& operator=(const DeterministicInit&) = delete;

 private:
  int threads_;
};

// measure_gemm: time a 1024^3 fp32 matmul (~0.05 s with OpenBLAS) to show the BLAS in use.
RuntimeInfo runtime_info(bool measure_gemm);

std::string to_text(const RuntimeInfo& info);
std::string to_json(const RuntimeInfo& info);

}  // namespace bmfm::model

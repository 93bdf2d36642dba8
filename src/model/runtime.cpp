#include "bmfm/model/runtime.h"

#include <dlfcn.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <torch/cuda.h>
#include <torch/version.h>

namespace bmfm::model {

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  return 1;
}

void set_num_threads(int n) { at::set_num_threads(n > 0 ? n : available_cores()); }

DeterministicInit::DeterministicInit(uint64_t seed) : threads_(at::get_num_threads()) {
  at::set_num_threads(1);
  at::manual_seed(seed);
}

DeterministicInit::~DeterministicInit() { at::set_num_threads(threads_); }

namespace {

// The library that provides `symbol` first in load order is the one every
// caller gets: sgemm_ says which BLAS libtorch and eval call (the MKL inside
// libtorch_cpu.so, linked first on purpose: CMakeLists.txt), dsyevr_ which LAPACK.
std::string provider_path(const char* symbol) {
  void* sym = dlsym(RTLD_DEFAULT, symbol);
  if (!sym) return fmt::format("({} not found)", symbol);
  Dl_info info{};
  if (dladdr(sym, &info) == 0 || !info.dli_fname) return "(unknown)";
  // libblas.so.3 is an update-alternatives symlink; the target says which BLAS it is.
  char resolved[PATH_MAX];
  return realpath(info.dli_fname, resolved) ? std::string(resolved) : std::string(info.dli_fname);
}

std::string openblas_config() {
  using Fn = char* (*)();
  auto fn = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "openblas_get_config"));
  return fn ? std::string(fn()) : std::string();
}

bool cpu_has_bf16() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) == 0)
      return line.find("avx512_bf16") != std::string::npos || line.find("amx_bf16") != std::string::npos;
  }
  return false;
}

double measure_gemm_gflops() {
  const int64_t n = 1024;
  at::manual_seed(0);
  at::Tensor a = at::randn({n, n});
  at::Tensor b = at::randn({n, n});
  at::mm(a, b);  // warm-up: thread pool start, page faults
  const int reps = 3;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) at::mm(a, b);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return 2.0 * n * n * n * reps / s / 1e9;
}

}  // namespace

RuntimeInfo runtime_info(bool measure_gemm) {
  RuntimeInfo r;
  r.bmfm_version = BMFM_VERSION;
  r.torch_version = TORCH_VERSION;
  r.blas_library = provider_path("sgemm_");
  r.lapack_library = provider_path("dsyevr_");
  r.blas_config = openblas_config();
  r.blas_is_reference = r.blas_config.empty() && r.blas_library.find("blas/libblas") != std::string::npos;
  r.threads = at::get_num_threads();
  r.available_cores = available_cores();
  // Two OpenMP runtimes can be on disk (the torch wheel ships its own libgomp,
  // OpenBLAS and our code use the system's); both have the soname libgomp.so.1,
  // so the dynamic loader keeps the first one found and every caller uses it.
  r.openmp_library = provider_path("omp_get_max_threads");
  r.mkl = at::hasMKL();
  r.mkldnn = at::hasMKLDNN();
  r.cpu_bf16 = cpu_has_bf16();
  r.cuda_built = at::globalContext().hasCUDART();
  if (r.cuda_built) {
    r.cudart_version = at::globalContext().versionCUDART();
    r.cudnn_version = at::globalContext().hasCuDNN() ? at::globalContext().versionCuDNN() : 0;
  }
  r.cuda = torch::cuda::is_available();
  r.cuda_devices = r.cuda ? static_cast<int>(torch::cuda::device_count()) : 0;
  if (measure_gemm) r.gemm_gflops = measure_gemm_gflops();
  return r;
}

std::string to_text(const RuntimeInfo& r) {
  std::ostringstream out;
  out << fmt::format("bmfm     {}\n", r.bmfm_version);
  out << fmt::format("libtorch {}\n", r.torch_version);
  const bool mkl_blas = r.mkl && r.blas_library.find("libtorch_cpu") != std::string::npos;
  out << fmt::format("BLAS     {}{}\n", r.blas_library, mkl_blas ? "  (MKL, inside libtorch)" : "");
  out << fmt::format("LAPACK   {}{}\n", r.lapack_library, r.blas_config.empty() ? "" : "  (" + r.blas_config + ")");
  if (r.blas_is_reference)
    out << "         WARNING: reference BLAS (~20x slower fp32 GEMM); run scripts/install-deps.sh to select OpenBLAS\n";
  if (r.gemm_gflops > 0) out << fmt::format("GEMM     {:.1f} GFLOP/s fp32 (1024^3, {} threads)\n", r.gemm_gflops, r.threads);
  out << fmt::format("threads  {} (of {} available cores)\n", r.threads, r.available_cores);
  out << fmt::format("OpenMP   {}\n", r.openmp_library);
  out << fmt::format("oneDNN   {}   CPU bf16: {}\n", r.mkldnn ? "yes" : "no", r.cpu_bf16 ? "yes" : "no");
  std::string cuda = "not built (CPU-only libtorch)";
  if (r.cuda_built) {
    cuda = fmt::format("built (runtime {}.{}{}), ", r.cudart_version / 1000, r.cudart_version % 1000 / 10,
                       r.cudnn_version ? fmt::format(", cuDNN {}.{}", r.cudnn_version / 10000, r.cudnn_version % 10000 / 100)
                                       : std::string());
    cuda += r.cuda ? fmt::format("{} device(s)", r.cuda_devices) : std::string("no device");
  }
  out << fmt::format("CUDA     {}\n", cuda);
  return out.str();
}

std::string to_json(const RuntimeInfo& r) {
  nlohmann::json j = {{"bmfm_version", r.bmfm_version},   {"torch_version", r.torch_version},
                      {"blas_library", r.blas_library},   {"lapack_library", r.lapack_library},
                      {"blas_config", r.blas_config},
                      {"blas_is_reference", r.blas_is_reference},
                      {"threads", r.threads},             {"available_cores", r.available_cores},
                      {"openmp_library", r.openmp_library}, {"mkl", r.mkl},
                      {"mkldnn", r.mkldnn},               {"cpu_bf16", r.cpu_bf16},
                      {"cuda_built", r.cuda_built},       {"cudart_version", r.cudart_version},
                      {"cudnn_version", r.cudnn_version},
                      {"cuda", r.cuda},                   {"cuda_devices", r.cuda_devices},
                      {"gemm_gflops", r.gemm_gflops}};
  return j.dump(2);
}

}  // namespace bmfm::model

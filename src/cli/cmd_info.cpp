// `bmfm info`: the runtime facts that decide speed (libtorch, BLAS, threads, CUDA).
#include <iostream>
#include <memory>

#include "bmfm/model/runtime.h"
#include "commands.h"

namespace bmfm::cli {

Run add_info_command(CLI::App& app) {
  struct Opts {
    bool json = false;
    bool no_bench = false;
    int threads = 0;
  };
  auto opts = std::make_shared<Opts>();
  auto* sub = app.add_subcommand("info", "Print libtorch version, BLAS backend (with a GEMM timing), threads, CUDA");
  sub->add_flag("--json", opts->json, "machine-readable output");
  sub->add_flag("--no-bench", opts->no_bench, "skip the 1024^3 GEMM timing");
  sub->add_option("--threads", opts->threads, "intra-op threads (0 = all available cores)")->capture_default_str();
  return [opts] {
    model::set_num_threads(opts->threads);
    auto info = model::runtime_info(!opts->no_bench);
    std::cout << (opts->json ? model::to_json(info) + "\n" : model::to_text(info));
    return 0;
  };
}

}  // namespace bmfm::cli

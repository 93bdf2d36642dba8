// bmfm: one executable, one subcommand per job. This file only dispatches;
// every subcommand lives in cmd_<name>.cpp and calls into the library.
//
// Exit codes: 0 success, 1 runtime error (bad data, I/O failure),
// 2 usage or config error (unknown key, wrong type, bad option).
#include <iostream>
#include <map>
#include <string>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "bmfm/config/error.h"
#include "bmfm/model/runtime.h"
#include "commands.h"
#include "common.h"

int main(int argc, char** argv) {
  using namespace bmfm::cli;
  setup_logging("info");
  // libtorch miscounts cores on some VMs and starts with one thread; commands
  // with a `threads` key set it again from their config.
  bmfm::model::set_num_threads(0);
  CLI::App app{"bmfm: build and evaluate transcriptomic foundation models of single-cell RNA-seq data"};
  app.require_subcommand(1);
  app.set_version_flag("--version", [] {
    auto info = bmfm::model::runtime_info(/*measure_gemm=*/false);
    return bmfm::model::to_text(info);
  });
  app.footer("Run `bmfm <command> --help` for a command's options. Configs: docs/configs.md");

  std::map<std::string, Run> commands;
  commands["info"] = add_info_command(app);
  commands["simulate"] = add_simulate_command(app);
  commands["inspect"] = add_inspect_command(app);
  commands["benchmark"] = add_benchmark_command(app);
  commands["bench"] = add_bench_command(app);
  commands["qc"] = add_qc_command(app);
  commands["prepare"] = add_prepare_command(app);
  commands["pretrain"] = add_pretrain_command(app);
  commands["finetune"] = add_finetune_command(app);
  commands["predict"] = add_predict_command(app);
  commands["embed"] = add_embed_command(app);
  commands["launch"] = add_launch_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    // CLI11 returns 0 for --help/--version; everything else is a usage error.
    return rc == 0 ? 0 : 2;
  }

  try {
    for (auto* sub : app.get_subcommands()) return commands.at(sub->get_name())();
    return 2;
  } catch (const bmfm::ConfigError& e) {
    spdlog::error("{}", e.what());
    return 2;
  } catch (const std::exception& e) {
    // libtorch's errors (c10::Error) append a C++ backtrace: users get the message.
    std::string what = e.what();
    if (auto at = what.find("\nException raised from"); at != std::string::npos) what.resize(at);
    spdlog::error("{}", what);
    return 1;
  }
}

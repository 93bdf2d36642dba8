// One registration function per subcommand (src/cli/cmd_<name>.cpp). Each adds
// its CLI11 subcommand and returns the function main() runs when it is chosen.
#pragma once

#include <functional>
#include <utility>

#include <CLI/CLI.hpp>

namespace bmfm::cli {

using Run = std::function<int()>;  // returns the process exit code

Run add_info_command(CLI::App& app);
Run add_simulate_command(CLI::App& app);
Run add_inspect_command(CLI::App& app);
Run add_benchmark_command(CLI::App& app);
Run add_bench_command(CLI::App& app);
Run add_qc_command(CLI::App& app);
Run add_prepare_command(CLI::App& app);
Run add_pretrain_command(CLI::App& app);
Run add_embed_command(CLI::App& app);
Run add_finetune_command(CLI::App& app);
Run add_predict_command(CLI::App& app);
Run add_launch_command(CLI::App& app);
// `bench train` lives in its own file (it needs the training library).
std::pair<CLI::App*, Run> add_bench_train_subcommand(CLI::App* bench);
std::pair<CLI::App*, Run> add_bench_embed_subcommand(CLI::App* bench);

}  // namespace bmfm::cli

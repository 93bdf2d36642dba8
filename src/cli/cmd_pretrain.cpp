// `bmfm pretrain`: train a transcriptomic foundation model (MLM / RDA / WCED
// objectives) from a config such as configs/wced.yaml (docs/training.md).
#include <algorithm>
#include <filesystem>
#include <memory>

#include <spdlog/spdlog.h>

#include "bmfm/model/runtime.h"
#include "bmfm/train/pretrain_config.h"
#include "bmfm/train/pretrain_data.h"
#include "bmfm/train/process_group.h"
#include "bmfm/train/trainer.h"
#include "commands.h"
#include "common.h"

namespace bmfm::cli {
namespace fs = std::filesystem;

namespace {

// --resume accepts a checkpoint folder or a run folder (its checkpoints/last).
std::string resolve_resume(const std::string& path) {
  if (fs::exists(fs::path(path) / "index.json")) return path;
  const fs::path last = fs::path(path) / "checkpoints" / "last";
  if (fs::exists(last / "index.json")) return last.string();
  throw std::runtime_error("--resume " + path + ": neither a checkpoint (index.json) nor a run folder with checkpoints/last");
}

}  // namespace

Run add_pretrain_command(CLI::App& app) {
  auto opts = std::make_shared<CommonOptions>();
  auto resume = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("pretrain", "Pretrain a model (MLM / RDA / WCED objectives) from a config");
  add_common_options(sub, *opts);
  sub->add_option("--resume", *resume, "continue from a checkpoint folder, or a run folder's checkpoints/last");
  sub->footer("Usage: bmfm pretrain --config configs/wced.yaml size=tiny [key=value ...]\nConfig keys:\n" +
              train::pretrain_schema().help(2));
  return [opts, resume] {
    setup_logging(opts->log_level);
    std::vector<std::string> overrides, plain;
    split_positionals(opts->positionals, overrides, plain);
    if (!plain.empty()) throw ConfigError("pretrain: unexpected argument '" + plain.front() + "'");
    auto cfg = compose_for("pretrain", *opts, overrides, train::pretrain_schema().defaults());
    if (print_config_requested(*opts, cfg)) return 0;
    const auto run = train::pretrain_schema().read(cfg, "");
    const std::string resume_dir = resume->empty() ? "" : resolve_resume(*resume);
    // One process, or one rank of a data-parallel job (torchrun / bmfm launch / srun environment).
    train::DistEnv env;
    try {
      env = train::dist_env();
    } catch (const std::invalid_argument& e) {
      throw ConfigError(std::string("distributed environment: ") + e.what());
    }
    if (env.rank > 0) spdlog::set_level(spdlog::level::warn);  // rank 0 speaks for the job
    std::unique_ptr<train::ProcessGroup> group;
    try {
      group = std::make_unique<train::ProcessGroup>(env, run.distributed, run.trainer.device);
    } catch (const std::invalid_argument& e) {
      throw ConfigError(e.what());
    }
    train::ProcessGroup& pg = *group;
    std::string out = run.output_dir;
    if (pg.is_main()) {
      if (resume_dir.empty() && fs::exists(fs::path(run.output_dir) / "checkpoints" / "last"))
        throw ConfigError("output_dir " + run.output_dir +
                          " already holds a training run (checkpoints/last): continue it with --resume " +
                          run.output_dir + ", or choose another --output-dir");
      out = prepare_output_dir(run.output_dir, cfg);
    }
    // threads=0 with several ranks on this machine: the cores shared out among them.
    model::set_num_threads(run.threads > 0 || env.local_world_size <= 1
                               ? static_cast<int>(run.threads)
                               : std::max(1, model::available_cores() / static_cast<int>(env.local_world_size)));
    spdlog::info("torch threads: {} (threads={})", model::runtime_info(false).threads, run.threads);
    // Rank 0 prepares the corpus (when data.inputs are given); the others open it after.
    if (!pg.is_main()) pg.barrier();
    train::PretrainData data = train::open_pretrain_data(run, out, env.rank, env.world_size);
    if (pg.is_main()) pg.barrier();
    const auto result = train::pretrain(run, data, out, cfg.to_yaml(), resume_dir, &pg);
    spdlog::info("pretrain: {} steps; train loss {:.5f}; val loss {:.5f} -> {:.5f}{}; checkpoint {}", result.steps,
                 result.last_train_loss, result.first_val_loss, result.last_val_loss,
                 result.early_stopped ? " (early stopped)" : "", result.last_checkpoint);
    return 0;
  };
}

}  // namespace bmfm::cli

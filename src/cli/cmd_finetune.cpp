// `bmfm finetune`: cell-level label heads on a pretrained (or fresh) encoder,
// with a seeded split and test metrics with bootstrap intervals (docs/finetune.md).
#include <memory>

#include <spdlog/spdlog.h>

#include "bmfm/model/runtime.h"
#include "bmfm/train/finetune.h"
#include "commands.h"
#include "common.h"

namespace bmfm::cli {

Run add_finetune_command(CLI::App& app) {
  auto opts = std::make_shared<CommonOptions>();
  auto checkpoint = std::make_shared<std::string>();
  auto input = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("finetune", "Fine-tune label heads (cell type, ...) on a checkpoint or from scratch");
  add_common_options(sub, *opts);
  sub->add_option("--checkpoint", *checkpoint, "pretrained checkpoint or run folder (same as checkpoint=...)");
  sub->add_option("--input", *input, "h5ad with cells and labels (same as input=...)");
  sub->footer("Usage: bmfm finetune --checkpoint runs/wced --input cells.h5ad \"labels=[{name: cell_type}]\" "
              "[key=value ...]\nConfig keys:\n" + train::finetune_schema().help(2));
  return [opts, checkpoint, input] {
    setup_logging(opts->log_level);
    std::vector<std::string> overrides, plain;
    split_positionals(opts->positionals, overrides, plain);
    if (!plain.empty()) throw ConfigError("finetune: unexpected argument '" + plain.front() + "'");
    if (!checkpoint->empty()) overrides.push_back("++checkpoint=" + *checkpoint);
    if (!input->empty()) overrides.push_back("++input=" + *input);
    auto cfg = compose_for("finetune", *opts, overrides, train::finetune_schema().defaults());
    if (print_config_requested(*opts, cfg)) return 0;
    const auto f = train::finetune_schema().read(cfg, "");
    prepare_output_dir(f.output_dir, cfg);
    model::set_num_threads(static_cast<int>(f.threads));
    const auto r = train::finetune(f, cfg.to_yaml());
    spdlog::info("finetune: {} epochs (best {}); metrics.json, metrics.md, per_class_*.csv, confusion_*.csv and "
                 "checkpoints/best in {}", r.epochs, r.best_epoch, f.output_dir);
    return 0;
  };
}

}  // namespace bmfm::cli

// `bmfm prepare`: h5ad files -> a streaming, sharded, memory-mappable corpus
// (docs/corpus.md).
#include <algorithm>
#include <memory>

#include <spdlog/spdlog.h>

#include "bmfm/data/prepare.h"
#include "commands.h"
#include "common.h"

namespace bmfm::cli {

Run add_prepare_command(CLI::App& app) {
  auto opts = std::make_shared<CommonOptions>();
  auto inputs = std::make_shared<std::vector<std::string>>();
  auto output = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("prepare", "Prepare h5ad files into a streaming corpus (manifest + binary shards)");
  add_common_options(sub, *opts, /*with_seed=*/true, /*with_output_dir=*/false);
  sub->add_option("--inputs", *inputs, "h5ad files and folders (same as inputs=[...])")->expected(1, -1);
  sub->add_option("--output", *output, "corpus folder to create (same as output=PATH)");
  sub->footer("Usage: bmfm prepare --inputs a.h5ad b.h5ad dir/ --output corpus/ [key=value ...]\nConfig keys:\n" +
              data::prepare_schema().help(2));
  return [opts, inputs, output] {
    setup_logging(opts->log_level);
    std::vector<std::string> overrides, plain;
    split_positionals(opts->positionals, overrides, plain);
    if (!plain.empty()) throw ConfigError("prepare: unexpected argument '" + plain.front() + "' (use --inputs)");
    if (!inputs->empty()) {
      std::string list = "[";
      for (size_t i = 0; i < inputs->size(); ++i) list += (i ? "," : "") + std::string("'") + (*inputs)[i] + "'";
      overrides.push_back("++inputs=" + list + "]");
    }
    if (!output->empty()) overrides.push_back("++output=" + *output);
    auto cfg = compose_for("prepare", *opts, overrides, data::prepare_schema().defaults());
    if (print_config_requested(*opts, cfg)) return 0;
    const auto run = data::prepare_schema().read(cfg, "");
    const auto stats = data::prepare_corpus(run);
    // The resolved config goes next to the manifest (after the rename: the
    // manifest alone is what makes a corpus complete).
    write_text_file(run.output + "/config.yaml", cfg.to_yaml());
    spdlog::info("prepared {}: {} of {} cells from {} file(s) in {:.2f} s ({:.0f} cells/s)", run.output,
                 stats.n_written, stats.n_obs, stats.n_files, stats.seconds,
                 static_cast<double>(stats.n_obs) / std::max(stats.seconds, 1e-9));
    return 0;
  };
}

}  // namespace bmfm::cli

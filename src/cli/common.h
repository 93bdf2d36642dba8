// Wiring shared by every subcommand: the common options, config composition,
// the run's output folder and logging. No domain logic lives here.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "bmfm/config/compose.h"

namespace bmfm::cli {

// Options every subcommand accepts (README "Common options").
struct CommonOptions {
  std::string config_file;                // --config
  std::vector<std::string> config_dirs;   // --config-dir (repeatable)
  std::vector<std::string> positionals;   // key=value overrides (and a command's own positional, if any)
  std::string cfg;                        // --cfg job: print the resolved config and exit
  std::string output_dir;                 // --output-dir: sugar for ++output_dir=...
  std::string log_level = "info";         // --log-level
  std::optional<int64_t> seed;            // --seed: sugar for ++seed=...
};

// --seed is only offered by commands that draw random numbers: an option that
// is accepted and then ignored would be a lie.
// --output-dir is left out where the command's product is itself the folder
// (`prepare --output corpus/`), for the same reason.
void add_common_options(CLI::App* sub, CommonOptions& opts, bool with_seed = true, bool with_output_dir = true);

// Splits positionals into Hydra overrides (contain '=' or start with '~')
// and plain arguments (e.g. the FILE of `bmfm inspect FILE`).
void split_positionals(const std::vector<std::string>& positionals, std::vector<std::string>& overrides,
                       std::vector<std::string>& plain);

// Composes the run config. Without --config, the primary config is
// `<command>.yaml` from the config search path when one exists. `schema_defaults`
// (the command schema's defaults()) is merged first, so every key the command
// knows can be overridden with plain key=value and config.yaml lists every value used.
config::Config compose_for(const std::string& command, const CommonOptions& opts,
                           const std::vector<std::string>& overrides, const YAML::Node& schema_defaults);

// True (and prints the resolved config to stdout) when `--cfg job` was given.
bool print_config_requested(const CommonOptions& opts, const config::Config& cfg);

// Creates the output folder, writes the resolved config.yaml there and adds a
// log file sink (bmfm.log). Returns the folder path.
std::string prepare_output_dir(const std::string& output_dir, const config::Config& cfg);

// Writes via a temp file + rename so a crash never leaves a half-written file.
void write_text_file(const std::string& path, const std::string& text);

void setup_logging(const std::string& level);

}  // namespace bmfm::cli

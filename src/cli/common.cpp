#include "common.h"

#include <filesystem>
#include <fstream>
#include <iostream>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "bmfm/config/error.h"

namespace fs = std::filesystem;

namespace bmfm::cli {

void add_common_options(CLI::App* sub, CommonOptions& opts, bool with_seed, bool with_output_dir) {
  sub->add_option("--config", opts.config_file, "YAML config file (may start with a Hydra `defaults:` list)");
  sub->add_option("--config-dir", opts.config_dirs,
                  "extra folder searched for config groups before configs/ (repeatable)");
  sub->add_option("--cfg", opts.cfg, "`job`: print the fully resolved config and exit")
      ->check(CLI::IsMember({"job"}));
  if (with_output_dir) sub->add_option("--output-dir", opts.output_dir, "output folder (same as ++output_dir=DIR)");
  sub->add_option("--log-level", opts.log_level, "trace|debug|info|warn|error|off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  if (with_seed) sub->add_option("--seed", opts.seed, "random seed (same as ++seed=N)");
  sub->add_option("overrides", opts.positionals,
                  "config overrides: key=value, group=option, +new.key=value, ++key=value, ~key");
}

void split_positionals(const std::vector<std::string>& positionals, std::vector<std::string>& overrides,
                       std::vector<std::string>& plain) {
  for (const auto& p : positionals) {
    if (p.find('=') != std::string::npos || (!p.empty() && p[0] == '~'))
      overrides.push_back(p);
    else
      plain.push_back(p);
  }
}

config::Config compose_for(const std::string& command, const CommonOptions& opts,
                           const std::vector<std::string>& overrides, const YAML::Node& schema_defaults) {
  config::ComposeRequest req;
  req.base = schema_defaults;
  req.config_file = opts.config_file;
  req.config_dirs = opts.config_dirs;
  if (req.config_file.empty()) {
    std::vector<std::string> dirs = opts.config_dirs;
    for (auto& d : config::default_config_dirs()) dirs.push_back(d);
    for (const auto& d : dirs) {
      fs::path p = fs::path(d) / (command + ".yaml");
      if (fs::exists(p)) {
        req.config_file = p.string();
        break;
      }
    }
  } else if (!fs::exists(req.config_file)) {
    throw ConfigError("--config " + req.config_file + ": file not found");
  }
  req.overrides = overrides;
  // --seed / --output-dir are sugar for force-overrides, applied last so they win.
  if (opts.seed) req.overrides.push_back("++seed=" + std::to_string(*opts.seed));
  if (!opts.output_dir.empty()) req.overrides.push_back("++output_dir=" + opts.output_dir);
  spdlog::debug("composing config for '{}' from {}", command,
                req.config_file.empty() ? std::string("built-in defaults") : req.config_file);
  return config::compose(req);
}

bool print_config_requested(const CommonOptions& opts, const config::Config& cfg) {
  if (opts.cfg != "job") return false;
  std::cout << cfg.to_yaml();
  if (!cfg.to_yaml().empty() && cfg.to_yaml().back() != '\n') std::cout << '\n';
  return true;
}

std::string prepare_output_dir(const std::string& output_dir, const config::Config& cfg) {
  if (output_dir.empty()) throw ConfigError("output_dir is empty: set it in the config or with --output-dir");
  std::error_code ec;
  fs::create_directories(output_dir, ec);
  if (ec) throw std::runtime_error("cannot create output folder " + output_dir + ": " + ec.message());
  write_text_file((fs::path(output_dir) / "config.yaml").string(), cfg.to_yaml());
  auto file_sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>((fs::path(output_dir) / "bmfm.log").string());
  spdlog::default_logger()->sinks().push_back(file_sink);
  spdlog::info("output folder: {} (resolved config written to config.yaml)", output_dir);
  return output_dir;
}

void write_text_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    out.flush();
    if (!out) throw std::runtime_error("cannot write " + tmp);
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw std::runtime_error("cannot rename " + tmp + " to " + path + ": " + ec.message());
}

void setup_logging(const std::string& level) {
  // Logs go to stderr so stdout stays clean for data (--cfg job, --json).
  if (!spdlog::get("bmfm")) {
    spdlog::set_default_logger(spdlog::stderr_color_mt("bmfm"));
    spdlog::set_pattern("[%H:%M:%S] [%^%l%$] %v");
  }
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace bmfm::cli

// `bmfm inspect FILE`: shape, X encoding, counts check, layers, obs/var, obsm.
#include <iostream>
#include <memory>

#include <spdlog/spdlog.h>

#include "bmfm/config/schema.h"
#include "bmfm/io/summary.h"
#include "commands.h"
#include "common.h"

namespace bmfm::cli {

namespace {

struct InspectRun {
  std::string input;
  std::string obs_filter;        // Census-style obs value filter; "" = all cells
  std::string soma_measurement;  // SOMA input: ms/<name>; "" = the only one, else RNA
  int64_t top = 5;
  int64_t sample_rows = 1000;
  bool json = false;
  std::string output_dir;  // when set, also writes summary.json and summary.txt there
};

const config::Schema<InspectRun>& inspect_run_schema() {
  static const auto schema =
      config::Schema<InspectRun>("inspect")
          .field("input", &InspectRun::input, "h5ad, 10x .h5 or TileDB-SOMA experiment folder (or the positional FILE)")
          .field("obs_filter", &InspectRun::obs_filter, "describe only the cells this obs value filter selects")
          .field("soma_measurement", &InspectRun::soma_measurement, "SOMA input: the measurement (ms/<name>)")
          .field("top", &InspectRun::top, "most frequent values shown per obs/var column")
          .field("sample_rows", &InspectRun::sample_rows, "rows of X read to judge whether X holds raw counts")
          .field("json", &InspectRun::json, "print JSON instead of text")
          .field("output_dir", &InspectRun::output_dir, "if set: also write summary.json + summary.txt there")
          .check([](const InspectRun& r, const config::Config&, const std::string&) {
            if (r.input.empty()) throw ConfigError("inspect: no input file (give FILE or input=PATH)");
            if (r.top < 0) throw ConfigError("inspect: top must be >= 0");
            if (r.sample_rows <= 0) throw ConfigError("inspect: sample_rows must be positive");
          });
  return schema;
}

}  // namespace

Run add_inspect_command(CLI::App& app) {
  auto opts = std::make_shared<CommonOptions>();
  auto json = std::make_shared<bool>(false);
  auto* sub = app.add_subcommand("inspect", "Describe an h5ad / 10x .h5 file or a SOMA experiment: shape, X encoding, counts, obs, var");
  add_common_options(sub, *opts, /*with_seed=*/false);
  sub->add_flag("--json", *json, "machine-readable JSON output (same as json=true)");
  sub->footer("Usage: bmfm inspect FILE [--json] [top=N]\nConfig keys:\n" + inspect_run_schema().help(2));
  return [opts, json] {
    setup_logging(opts->log_level);
    std::vector<std::string> overrides, plain;
    split_positionals(opts->positionals, overrides, plain);
    if (plain.size() > 1) throw ConfigError("inspect takes one FILE, got " + std::to_string(plain.size()));
    if (!plain.empty()) overrides.push_back("++input=" + plain.front());
    if (*json) overrides.push_back("++json=true");
    auto cfg = compose_for("inspect", *opts, overrides, inspect_run_schema().defaults());
    if (print_config_requested(*opts, cfg)) return 0;
    auto run = inspect_run_schema().read(cfg, "");
    io::OpenOptions open_options;
    open_options.obs_filter = run.obs_filter;
    open_options.measurement = run.soma_measurement;
    auto summary = io::summarize(run.input, static_cast<int>(run.top), run.sample_rows, open_options);
    const std::string text = io::to_text(summary), json_text = io::to_json(summary) + "\n";
    std::cout << (run.json ? json_text : text);
    if (!run.output_dir.empty()) {
      prepare_output_dir(run.output_dir, cfg);
      write_text_file(run.output_dir + "/summary.txt", text);
      write_text_file(run.output_dir + "/summary.json", json_text);
    }
    return 0;
  };
}

}  // namespace bmfm::cli

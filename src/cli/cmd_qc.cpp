// `bmfm qc`: QC metrics, cell and gene filters and optional downsampling of
// one h5ad; writes the filtered h5ad and qc_report.{json,md} (docs/qc.md).
#include <chrono>
#include <filesystem>
#include <memory>

#include <spdlog/spdlog.h>

#include "bmfm/config/schema.h"
#include "bmfm/data/qc.h"
#include "bmfm/data/sampler.h"
#include "bmfm/io/h5ad.h"
#include "commands.h"
#include "common.h"

namespace bmfm::cli {

namespace {

struct QcRun {
  std::string input;
  std::string obs_filter;        // Census-style obs value filter; "" = all cells
  std::string soma_measurement;  // SOMA input: ms/<name>; "" = the only one, else RNA
  std::string output;  // empty = <output_dir>/qc.h5ad
  std::string output_dir = "runs/qc";
  int64_t seed = 0;
  data::QcConfig qc;
  data::SampleConfig sample;
};

const config::Schema<QcRun>& qc_run_schema() {
  static const auto schema =
      config::Schema<QcRun>("qc run")
          .field("input", &QcRun::input, "h5ad file or TileDB-SOMA experiment folder (or the positional FILE, or --input)")
          .field("obs_filter", &QcRun::obs_filter, "obs value filter, e.g. \"cell_type in ['B cell', 'T cell']\"; '' = all cells")
          .field("soma_measurement", &QcRun::soma_measurement, "SOMA input: the measurement (ms/<name>); '' = the only one, else RNA")
          .field("output", &QcRun::output, "filtered h5ad; empty = <output_dir>/qc.h5ad (or --output)")
          .field("output_dir", &QcRun::output_dir, "run folder: config.yaml, bmfm.log, qc_report.json, qc_report.md")
          .field("seed", &QcRun::seed, "random seed of the sampler")
          .section("qc", &QcRun::qc, data::qc_schema(), "QC rules, applied in the documented order")
          .section("sample", &QcRun::sample, data::sample_schema(),
                   "optional downsampling of the cells that pass the cell rules (before the gene rules)")
          .check([](const QcRun& r, const config::Config&, const std::string&) {
            if (r.input.empty()) throw ConfigError("qc: no input file (give FILE, --input PATH or input=PATH)");
            if (!r.output.empty() && std::filesystem::exists(r.output) && std::filesystem::exists(r.input) &&
                std::filesystem::equivalent(r.output, r.input))
              throw ConfigError("qc: output " + r.output + " is the input file; write the filtered file elsewhere");
          });
  return schema;
}

}  // namespace

Run add_qc_command(CLI::App& app) {
  auto opts = std::make_shared<CommonOptions>();
  auto input = std::make_shared<std::string>(), output = std::make_shared<std::string>();
  auto* sub = app.add_subcommand(
      "qc", "QC an h5ad: per-cell metrics, cell/gene filters (scanpy semantics), optional downsampling; report");
  add_common_options(sub, *opts);
  sub->add_option("--input", *input, "h5ad to check (same as input=PATH)");
  sub->add_option("--output", *output, "filtered h5ad to write (same as output=PATH)");
  sub->footer("Usage: bmfm qc FILE [--output OUT.h5ad] [qc=<preset>] [qc.key=value ...]\nConfig keys:\n" +
              qc_run_schema().help(2));
  return [opts, input, output] {
    setup_logging(opts->log_level);
    std::vector<std::string> overrides, plain;
    split_positionals(opts->positionals, overrides, plain);
    if (plain.size() > 1) throw ConfigError("qc takes one FILE, got " + std::to_string(plain.size()));
    if (!plain.empty() && !input->empty()) throw ConfigError("qc: give the input as FILE or as --input, not both");
    if (!plain.empty()) overrides.push_back("++input=" + plain.front());
    if (!input->empty()) overrides.push_back("++input=" + *input);
    if (!output->empty()) overrides.push_back("++output=" + *output);
    auto cfg = compose_for("qc", *opts, overrides, qc_run_schema().defaults());
    if (print_config_requested(*opts, cfg)) return 0;
    auto run = qc_run_schema().read(cfg, "");
    prepare_output_dir(run.output_dir, cfg);
    const std::string out =
        run.output.empty() ? (std::filesystem::path(run.output_dir) / "qc.h5ad").string() : run.output;

    const auto t0 = std::chrono::steady_clock::now();
    io::OpenOptions open_options;
    open_options.obs_filter = run.obs_filter;
    open_options.measurement = run.soma_measurement;
    const auto reader = io::open_cells(run.input, open_options);
    const data::MatrixSource src = data::matrix_source(*reader, run.qc.matrix);
    const io::DataFrame var = reader->read_var();
    spdlog::info("QC of {}: {} cells x {} genes", src.what, src.n_rows, src.n_cols);
    data::QcResult result = data::qc_cells(src, var, run.qc);
    if (run.sample.method != "none")
      data::sample_cells(result, run.sample, reader->read_obs_columns(run.sample.columns), static_cast<uint64_t>(run.seed));
    data::qc_genes(src, var, run.qc, result);
    const double qc_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (const auto& rule : result.rules)
      spdlog::info("  {:<16} {:<5} removed {:>9}, {:>9} left  ({})", rule.name, rule.axis, rule.removed,
                   rule.remaining, rule.setting);

    data::QcReportContext ctx{run.input, out, run.qc.matrix, qc_seconds};
    write_text_file((std::filesystem::path(run.output_dir) / "qc_report.json").string(),
                    data::qc_report_json(result, run.qc, ctx));
    write_text_file((std::filesystem::path(run.output_dir) / "qc_report.md").string(),
                    data::qc_report_markdown(result, run.qc, ctx));
    spdlog::info("QC: {} -> {} cells, {} -> {} genes in {:.2f} s ({:.0f} cells/s); report in {}/qc_report.md",
                 result.n_obs_before, result.n_obs_after(), result.n_vars_before, result.n_vars_after(), qc_seconds,
                 static_cast<double>(result.n_obs_before) / std::max(qc_seconds, 1e-9), run.output_dir);
    if (result.n_obs_after() == 0 || result.n_vars_after() == 0)
      throw std::runtime_error(fmt::format("QC removed every {} of {}; nothing written (see {}/qc_report.md)",
                                           result.n_obs_after() == 0 ? "cell" : "gene", run.input, run.output_dir));

    const auto parent = std::filesystem::path(out).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    if (auto unread = reader->unread_entries(); !unread.empty())
      spdlog::warn("{}: {} entr{} of uns/obsp/varm/varp (e.g. {}) are not carried over into {}", run.input,
                   unread.size(), unread.size() == 1 ? "y" : "ies", unread.front(), out);
    io::write_h5ad(out, data::qc_subset(*reader, result, run.qc));
    spdlog::info("wrote {} ({} cells x {} genes)", out, result.n_obs_after(), result.n_vars_after());
    return 0;
  };
}

}  // namespace bmfm::cli

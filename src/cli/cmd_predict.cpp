// `bmfm predict`: labels for new cells from a fine-tuned checkpoint:
// predictions.csv, optional logits.csv / probabilities.csv, and the input h5ad
// with obs["bmfm_pred_<label>"] and obsm["bmfm_prob_<label>"] (docs/finetune.md).
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "bmfm/io/embedding_files.h"
#include "bmfm/io/h5ad.h"
#include "bmfm/model/runtime.h"
#include "bmfm/train/predict.h"
#include "commands.h"
#include "common.h"

namespace bmfm::cli {
namespace fs = std::filesystem;
namespace {

std::string quoted(const std::string& s) {
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

void write_matrix_csv(const std::string& path, const train::Predictions& p, bool probabilities) {
  // Regression heads have a value, not probabilities: logits.csv only.
  auto included = [&](const train::LabelPredictions& l) { return !(probabilities && l.kind == "regression"); };
  std::string text = "cell_id";
  for (const auto& l : p.labels) {
    if (!included(l)) continue;
    if (l.kind == "regression") text += "," + quoted(l.name);
    for (const auto& c : l.classes) text += "," + quoted(l.name + "_" + c);
  }
  text += "\n";
  for (size_t i = 0; i < p.cell_ids.size(); ++i) {
    text += quoted(p.cell_ids[i]);
    for (const auto& l : p.labels) {
      if (!included(l)) continue;
      const auto& m = probabilities ? l.probabilities : l.logits;
      for (int64_t k = 0; k < m.n_cols; ++k) text += fmt::format(",{}", m.at(static_cast<int64_t>(i), k));
    }
    text += "\n";
  }
  write_text_file(path, text);
}

}  // namespace

Run add_predict_command(CLI::App& app) {
  auto opts = std::make_shared<CommonOptions>();
  auto checkpoint = std::make_shared<std::string>();
  auto input = std::make_shared<std::string>();
  auto slim = std::make_shared<bool>(false);
  auto* sub = app.add_subcommand("predict", "Label new cells with a fine-tuned checkpoint");
  add_common_options(sub, *opts, /*with_seed=*/false);
  sub->add_option("--checkpoint", *checkpoint, "fine-tuned checkpoint or finetune run folder (same as checkpoint=...)");
  sub->add_option("--input", *input, "h5ad to label (same as input=...)");
  sub->add_flag("--slim", *slim, "predictions.h5ad with obs + predictions only");
  sub->footer("Usage: bmfm predict --checkpoint runs/finetune --input new.h5ad [--output-dir DIR] [key=value ...]\n"
              "Config keys:\n" + train::predict_schema().help(2));
  return [opts, checkpoint, input, slim] {
    setup_logging(opts->log_level);
    std::vector<std::string> overrides, plain;
    split_positionals(opts->positionals, overrides, plain);
    if (!plain.empty()) throw ConfigError("predict: unexpected argument '" + plain.front() + "'");
    if (!checkpoint->empty()) overrides.push_back("++checkpoint=" + *checkpoint);
    if (!input->empty()) overrides.push_back("++input=" + *input);
    if (*slim) overrides.push_back("++slim=true");
    auto cfg = compose_for("predict", *opts, overrides, train::predict_schema().defaults());
    if (print_config_requested(*opts, cfg)) return 0;
    const auto p = train::predict_schema().read(cfg, "");
    if (!fs::exists(p.input)) throw std::runtime_error("input " + p.input + ": no such file");
    const std::string out = prepare_output_dir(p.output_dir, cfg);
    model::set_num_threads(static_cast<int>(p.threads));
    const train::Predictions pred = train::predict(p);

    std::string csv = "cell_id";
    for (const auto& l : pred.labels) csv += "," + quoted(l.name);
    csv += "\n";
    for (size_t i = 0; i < pred.cell_ids.size(); ++i) {
      csv += quoted(pred.cell_ids[i]);
      for (const auto& l : pred.labels) csv += "," + quoted(l.predicted_text(static_cast<int64_t>(i)));
      csv += "\n";
    }
    write_text_file((fs::path(out) / "predictions.csv").string(), csv);
    if (p.write_logits) write_matrix_csv((fs::path(out) / "logits.csv").string(), pred, false);
    if (p.write_probabilities) write_matrix_csv((fs::path(out) / "probabilities.csv").string(), pred, true);

    std::vector<io::Column> cols;
    std::map<std::string, io::DenseMatrix> obsm;
    for (const auto& l : pred.labels) {
      io::Column c;
      c.name = "bmfm_pred_" + l.name;
      if (l.kind == "regression") {
        c.kind = io::Column::Kind::Numeric;
        c.dtype = "float64";
        c.numeric = l.values;
      } else {
        c.kind = io::Column::Kind::Categorical;
        c.dtype = "category";
        if (l.kind == "classification") {
          c.categories = l.classes;
          c.codes = l.predicted;
        } else {
          // Multi-label: each distinct predicted set ("a|b", "" for none) is a category.
          std::map<std::string, int32_t> code;
          std::vector<std::string> text(pred.cell_ids.size());
          for (size_t i = 0; i < text.size(); ++i) code.emplace(text[i] = l.predicted_text(static_cast<int64_t>(i)), 0);
          for (auto& [k, v] : code) v = static_cast<int32_t>(c.categories.size()), c.categories.push_back(k);
          for (const auto& t : text) c.codes.push_back(code.at(t));
        }
        obsm["bmfm_prob_" + l.name] = l.probabilities;
      }
      cols.push_back(std::move(c));
    }
    const std::string h5ad = (fs::path(out) / "predictions.h5ad").string();
    if (p.slim) {
      io::AnnData ad;
      const io::H5adReader reader(p.input);
      ad.obs = reader.read_obs();
      for (auto& c : cols) ad.obs.columns.push_back(c);
      ad.X.n_rows = static_cast<int64_t>(pred.cell_ids.size());
      ad.X.indptr.assign(pred.cell_ids.size() + 1, 0);
      ad.obsm = obsm;
      io::write_h5ad(h5ad, ad);
    } else {
      io::add_to_h5ad_copy(p.input, h5ad, cols, obsm);
    }
    for (const auto& l : pred.labels) {
      if (l.kind != "classification") {
        spdlog::info("predict {}: {} of {} cells", l.name, l.kind, pred.cell_ids.size());
        continue;
      }
      std::vector<int64_t> count(l.classes.size(), 0);
      for (int32_t k : l.predicted) ++count[static_cast<size_t>(k)];
      std::string summary;
      for (size_t k = 0; k < count.size(); ++k)
        if (count[k] > 0) summary += fmt::format("{}{} {}", summary.empty() ? "" : ", ", l.classes[k], count[k]);
      spdlog::info("predict {}: {}", l.name, summary);
    }
    spdlog::info("predicted {} cells: predictions.csv{}{}, predictions.h5ad in {}", pred.cell_ids.size(),
                 p.write_logits ? ", logits.csv" : "", p.write_probabilities ? ", probabilities.csv" : "", out);
    return 0;
  };
}

}  // namespace bmfm::cli

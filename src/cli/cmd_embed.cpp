// `bmfm embed`: zero-shot cell embeddings from a checkpoint, written as the
// input h5ad plus obsm (or a slim copy), .npy and .csv (docs/embed.md).
#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "bmfm/io/embedding_files.h"
#include "bmfm/io/h5ad.h"
#include "bmfm/model/runtime.h"
#include "bmfm/train/embed.h"
#include "bmfm/train/trainer.h"
#include "commands.h"
#include "common.h"

namespace bmfm::cli {
namespace fs = std::filesystem;

Run add_embed_command(CLI::App& app) {
  auto opts = std::make_shared<CommonOptions>();
  auto checkpoint = std::make_shared<std::string>();
  auto input = std::make_shared<std::string>();
  auto slim = std::make_shared<bool>(false);
  auto* sub = app.add_subcommand("embed", "Zero-shot cell embeddings from a checkpoint (h5ad obsm, .npy, .csv)");
  add_common_options(sub, *opts, /*with_seed=*/false);
  sub->add_option("--checkpoint", *checkpoint, "checkpoint folder or run folder (same as checkpoint=...)");
  sub->add_option("--input", *input, "h5ad to embed (same as input=...)");
  sub->add_flag("--slim", *slim, "output h5ad with obs + obsm only (same as slim=true)");
  sub->footer("Usage: bmfm embed --checkpoint runs/wced --input cells.h5ad [--output-dir DIR] [key=value ...]\n"
              "Config keys:\n" + train::embed_schema().help(2));
  return [opts, checkpoint, input, slim] {
    setup_logging(opts->log_level);
    std::vector<std::string> overrides, plain;
    split_positionals(opts->positionals, overrides, plain);
    if (!plain.empty()) throw ConfigError("embed: unexpected argument '" + plain.front() + "' (use --input)");
    if (!checkpoint->empty()) overrides.push_back("++checkpoint=" + *checkpoint);
    if (!input->empty()) overrides.push_back("++input=" + *input);
    if (*slim) overrides.push_back("++slim=true");
    auto cfg = compose_for("embed", *opts, overrides, train::embed_schema().defaults());
    if (print_config_requested(*opts, cfg)) return 0;
    const auto e = train::embed_schema().read(cfg, "");
    if (!fs::exists(e.input)) throw std::runtime_error("input " + e.input + ": no such file");
    const std::string out = prepare_output_dir(e.output_dir, cfg);
    model::set_num_threads(static_cast<int>(e.threads));
    const train::LoadedModel m = train::load_checkpoint_model(e.checkpoint, train::resolve_device(e.device));
    spdlog::info("checkpoint {} (step {}): hidden {}, {} layers, vocabulary of {} genes", m.dir, m.step,
                 m.config.model.hidden_size, m.config.model.num_layers, m.vocab.n_genes());
    const train::Embeddings emb = train::embed_cells(m, e);
    const std::string h5ad = (fs::path(out) / "embeddings.h5ad").string();
    if (e.slim) {
      io::AnnData ad;
      const io::H5adReader reader(e.input);
      ad.obs = reader.read_obs();
      ad.var = io::DataFrame{};
      ad.X.n_rows = emb.values.n_rows;
      ad.X.n_cols = 0;
      ad.X.indptr.assign(static_cast<size_t>(emb.values.n_rows + 1), 0);
      ad.obsm[e.obsm_key] = emb.values;
      io::write_h5ad(h5ad, ad);
    } else {
      io::add_obsm(e.input, h5ad, e.obsm_key, emb.values);
    }
    io::write_npy((fs::path(out) / "embeddings.npy").string(), emb.values);
    io::write_embedding_csv((fs::path(out) / "embeddings.csv").string(), emb.cell_ids, emb.values);
    spdlog::info("embedded {} cells x {} dims in {:.2f} s ({:.0f} cells/s): {}, embeddings.npy, embeddings.csv in {}",
                 emb.values.n_rows, emb.values.n_cols, emb.seconds,
                 static_cast<double>(emb.values.n_rows) / std::max(emb.seconds, 1e-9),
                 e.slim ? "embeddings.h5ad (slim)" : "embeddings.h5ad (input + obsm['" + e.obsm_key + "'])", out);
    spdlog::info("embedding health ({} pooling): {}", fmt::format("{}", fmt::join(emb.pooling, "+")),
                 eval::health_summary(emb.health));
    if (!emb.health.collapse.empty())
      spdlog::warn("the embedding looks collapsed: {}. The checkpoint has not learned to tell these cells apart "
                   "(docs/embed.md, 'Is anything in the embedding?')",
                   emb.health.collapse);
    return 0;
  };
}

}  // namespace bmfm::cli

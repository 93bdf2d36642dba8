// `bmfm bench embed`: inference throughput (cells/s) of a pretrain config's
// encoder on an h5ad, with the model freshly initialised (speed does not
// depend on the weights), through the same path as `bmfm embed`.
#include <memory>

#include <fmt/format.h>

#include "bmfm/model/runtime.h"
#include "bmfm/train/embed.h"
#include "bmfm/train/pretrain_config.h"
#include "bmfm/train/pretrain_data.h"
#include "bmfm/train/trainer.h"
#include "commands.h"
#include "common.h"

namespace bmfm::cli {

std::pair<CLI::App*, Run> add_bench_embed_subcommand(CLI::App* bench) {
  struct Opts {
    CommonOptions common;
    int64_t batch_size = 64;
    int repeats = 2;
  };
  auto o = std::make_shared<Opts>();
  auto* sub = bench->add_subcommand("embed", "Embedding cells/s of a pretrain config (random weights) on data.inputs[0]");
  add_common_options(sub, o->common);
  sub->add_option("--batch-size", o->batch_size, "cells per forward pass")->capture_default_str();
  sub->add_option("--repeats", o->repeats, "timed passes over the file (the first pass is a warm-up)")->capture_default_str();
  Run run = [o] {
    setup_logging(o->common.log_level);
    std::vector<std::string> overrides, plain;
    split_positionals(o->common.positionals, overrides, plain);
    if (!plain.empty()) throw ConfigError("bench embed: unexpected argument '" + plain.front() + "'");
    auto cfg = compose_for("pretrain", o->common, overrides, train::pretrain_schema().defaults());
    if (print_config_requested(o->common, cfg)) return 0;
    const auto pc = train::pretrain_schema().read(cfg, "");
    if (pc.data.inputs.empty()) throw ConfigError("bench embed: set data.inputs=[file.h5ad]");
    model::set_num_threads(static_cast<int>(pc.threads));
    train::PretrainData data = train::open_pretrain_data(pc, pc.output_dir);
    train::LoadedModel m;
    m.config = pc;
    m.vocab = data.vocab();
    m.model = train::build_model(pc, data, train::resolve_device(pc.trainer.device));
    train::EmbedConfig e;
    e.input = pc.data.inputs.front();
    e.gene_column = pc.data.gene_column;
    e.matrix = pc.data.matrix;
    e.batch_size = o->batch_size;
    e.precision = pc.trainer.precision;
    std::cout << fmt::format("bench embed: hidden {}, {} layers, {} heads, max_length {}, batch {}, {} threads, {}\n",
                             pc.model.hidden_size, pc.model.num_layers, pc.model.num_heads, pc.tokenizer.max_length,
                             o->batch_size, model::runtime_info(false).threads,
                             train::use_bf16(pc.trainer.precision, train::resolve_device(pc.trainer.device))
                                 ? "bf16 autocast" : "fp32");
    for (int r = 0; r <= o->repeats; ++r) {
      const auto emb = train::embed_cells(m, e);
      if (r == 0) continue;  // warm-up: thread pools, page cache, allocator
      std::cout << fmt::format("  pass {}: {} cells in {:.2f} s = {:.1f} cells/s (read + transforms + encoder)\n", r,
                               emb.values.n_rows, emb.seconds, static_cast<double>(emb.values.n_rows) / emb.seconds);
    }
    return 0;
  };
  return {sub, run};
}

}  // namespace bmfm::cli

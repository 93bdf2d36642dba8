// `bmfm bench train`: training throughput and MFU of a pretrain config, with
// the real loader and with a cached batch, against the measured fp32 and bf16
// GEMM peaks (docs/performance.md).
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "bmfm/model/runtime.h"
#include "bmfm/train/pretrain_config.h"
#include "bmfm/train/pretrain_data.h"
#include "bmfm/train/throughput.h"
#include "bmfm/train/trainer.h"
#include "commands.h"
#include "common.h"

namespace bmfm::cli {

std::pair<CLI::App*, Run> add_bench_train_subcommand(CLI::App* bench) {
  struct Opts {
    CommonOptions common;
    int64_t steps = 10, warmup = 3;
  };
  auto o = std::make_shared<Opts>();
  auto* sub = bench->add_subcommand("train", "Training cells/s, tokens/s, FLOP/s and MFU of a pretrain config");
  add_common_options(sub, o->common);
  sub->add_option("--steps", o->steps, "timed optimizer steps per mode")->capture_default_str();
  sub->add_option("--warmup", o->warmup, "untimed steps first")->capture_default_str();
  Run run = [o] {
    setup_logging(o->common.log_level);
    std::vector<std::string> overrides, plain;
    split_positionals(o->common.positionals, overrides, plain);
    if (!plain.empty()) throw ConfigError("bench train: unexpected argument '" + plain.front() + "'");
    auto cfg = compose_for("pretrain", o->common, overrides, train::pretrain_schema().defaults());
    if (print_config_requested(o->common, cfg)) return 0;
    const auto pc = train::pretrain_schema().read(cfg, "");
    model::set_num_threads(static_cast<int>(pc.threads));
    train::PretrainData data = train::open_pretrain_data(pc, pc.output_dir);
    const at::Device device = train::resolve_device(pc.trainer.device);
    const double peak32 = train::gemm_peak_gflops(at::kFloat, device);
    const double peak16 = train::gemm_peak_gflops(at::kBFloat16, device);
    const bool bf16 = train::use_bf16(pc.trainer.precision, device);
    std::cout << fmt::format(
        "bench train: hidden {}, {} layers, {} heads, batch {}, max_length {}, {} threads, {}, precision {}\n"
        "  GEMM peak (2048^3): fp32 {:.0f} GFLOP/s, bf16 {:.0f} GFLOP/s\n",
        pc.model.hidden_size, pc.model.num_layers, pc.model.num_heads, pc.data.batch_size, pc.tokenizer.max_length,
        model::runtime_info(false).threads, device.str(), bf16 ? "bf16 autocast" : "fp32", peak32, peak16);
    for (bool cached : {false, true}) {
      const auto r = train::measure_training(pc, data, o->steps, o->warmup, cached);
      std::cout << fmt::format(
          "  {:<12} {:>7.1f} cells/s {:>9.0f} tokens/s  {:>6.1f} GFLOP/s  MFU {:>5.1f}% of fp32 peak, {:>5.1f}% of bf16 "
          "peak  (mean L {:.0f}, {} steps in {:.2f} s, {:.0f}% in clip + AdamW, loss {:.4f} -> {:.4f}, peak RSS {:.0f} MiB)\n",
          r.mode, r.cells_per_s, r.tokens_per_s, r.gflops, 100 * r.gflops / peak32, 100 * r.gflops / peak16,
          r.mean_length, r.steps, r.seconds, 100 * r.optimizer_seconds / r.seconds, r.loss_first, r.loss_last, r.peak_rss_mib);
    }
    return 0;
  };
  return {sub, run};
}

}  // namespace bmfm::cli

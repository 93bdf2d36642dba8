#include "bmfm/train/throughput.h"

#include <sys/resource.h>

#include <chrono>

#include <torch/autograd.h>

#include "bmfm/train/adamw.h"
#include "bmfm/train/objective.h"
#include "bmfm/train/trainer.h"

namespace bmfm::train {

double gemm_peak_gflops(at::ScalarType dtype, const at::Device& device, int64_t n) {
  torch::NoGradGuard no_grad;
  at::Tensor a = at::randn({n, n}, at::TensorOptions().device(device)).to(dtype);
  at::Tensor b = at::randn({n, n}, at::TensorOptions().device(device)).to(dtype);
  at::Tensor c = at::mm(a, b);  // warm-up
  const int reps = 4;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) c = at::mm(a, b);
  (void)c.sum().item<double>();  // waits for the device
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return 2.0 * static_cast<double>(n * n) * static_cast<double>(n) * reps / s / 1e9;
}

double train_step_flops(const model::ModelConfig& m, const model::ModelShape& s, int64_t B, int64_t L,
                        int64_t n_gene_targets, int64_t n_expr_targets) {
  const double H = static_cast<double>(m.hidden_size), I = static_cast<double>(m.intermediate_size);
  const double tokens = static_cast<double>(B * L);
  // Per token and layer: QKV 6H^2, output 2H^2, feed-forward 4HI, scores + weighted sum 4LH.
  double fwd = tokens * static_cast<double>(m.num_layers) * (8 * H * H + 4 * H * I + 4 * static_cast<double>(L) * H);
  if (s.expressions == "continuous")
    fwd += tokens * (m.expression_encoder.kind == "mlp" ? 2.0 * m.expression_encoder.mlp_hidden * (1 + H)
                                                         : 2.0 * 2 * m.expression_encoder.n_basis * H);
  const double head = 2 * H * H;  // dense of each prediction head
  if (s.gene_head) fwd += static_cast<double>(n_gene_targets) * (head + 2 * H * static_cast<double>(s.vocab_size));
  if (!s.expr_head.empty())
    fwd += static_cast<double>(n_expr_targets) * (head + 2 * H * (s.expr_head == "bins" ? s.n_expr_bins : 2));
  if (s.wced_width > 0) fwd += static_cast<double>(B) * (head + 2 * H * 2 * static_cast<double>(s.wced_width));
  return 3 * fwd;
}

Throughput measure_training(const PretrainConfig& cfg, PretrainData& data, int64_t steps, int64_t warmup,
                            bool cached_batch) {
  const at::Device device = resolve_device(cfg.trainer.device);
  const bool bf16 = use_bf16(cfg.trainer.precision, device);
  model::PretrainModel model = build_model(cfg, data, device);
  model->train();
  AdamW opt(*model, {cfg.trainer.betas[0], cfg.trainer.betas[1], cfg.trainer.eps, cfg.trainer.weight_decay});
  const model::ModelShape shape = model->shape();
  data::Loader loader(*data.train, *data.pipeline, *data.collator, data.label_layout(),
                      data.loader_config(cfg, /*train=*/true));
  data::Batch batch;
  model::BatchTensors cached;
  if (cached_batch) {
    loader.next(batch);
    cached = model::to_tensors(batch, device);
  }
  Throughput r;
  r.mode = cached_batch ? "cached batch" : "loader";
  double flops = 0, cells = 0, tokens = 0, length = 0;
  std::chrono::steady_clock::time_point t0;
  for (int64_t i = 0; i < warmup + steps; ++i) {
    if (i == warmup) {
      (void)model->parameters()[0].sum().item<double>();  // drain the device queue
      t0 = std::chrono::steady_clock::now();
    }
    model::BatchTensors fresh;
    if (!cached_batch) {
      loader.next(batch);
      fresh = model::to_tensors(batch, device);
    }
    const model::BatchTensors& bt = cached_batch ? cached : fresh;
    opt.zero_grad();
    const LossTerms t = forward_backward(model, cfg.losses, bt, bf16, 1.0);
    const auto t_opt = std::chrono::steady_clock::now();
    opt.clip_grad_norm(cfg.trainer.clip_grad_norm);
    opt.step(cfg.trainer.lr);
    if (i >= warmup) {
      (void)model->parameters()[0].sum().item<double>();
      r.optimizer_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t_opt).count();
    }
    if (i == warmup) r.loss_first = t.total.item<double>();
    if (i >= warmup) {
      const int64_t ng = bt.gene_pos.defined() ? bt.gene_pos.numel() : 0;
      const int64_t ne = bt.expr_pos.defined() ? bt.expr_pos.numel() : 0;
      flops += train_step_flops(cfg.model, shape, bt.B, bt.L, ng, ne);
      cells += static_cast<double>(bt.B);
      for (uint8_t m : batch.pad_mask) tokens += m;
      length += static_cast<double>(bt.L);
    }
    if (i == warmup + steps - 1) r.loss_last = t.total.item<double>();
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.steps = steps;
  r.cells_per_s = cells / r.seconds;
  r.tokens_per_s = tokens / r.seconds;
  r.gflops = flops / r.seconds / 1e9;
  r.mean_length = length / static_cast<double>(steps);
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  r.peak_rss_mib = static_cast<double>(u.ru_maxrss) / 1024.0;
  return r;
}

}  // namespace bmfm::train

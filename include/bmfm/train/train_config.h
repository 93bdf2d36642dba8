// The `trainer` and `losses` config sections (torch-free).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bmfm/config/schema.h"
#include "bmfm/data/schema_list.h"

namespace bmfm::train {

// One weighted term of the objective. Total loss = sum(w_i L_i) / sum(w_i).
//   field genes:       kind ce (masked gene prediction over the vocabulary)
//   field expressions: kind ce | token_value (binned), mse | is_zero_bce (continuous)
//   field wced:        kind mse | is_zero_bce, set input | non_input | all
//   field label:       an obs column's head on the pooled cell (multitask):
//                      kind ce | focal (classification), bce (multilabel), mse (regression)
//   field contrastive: kind info_nce: two augmented views of every cell (the
//                      transforms' random draws twice: gene subsets, dropout,
//                      RDA down-sampling), NT-Xent on a projection of the pooled cell
struct LossConfig {
  std::string field;
  std::string kind;
  std::string set = "all";  // wced only
  std::string label;        // field label: the obs column (one of data.label_columns)
  double weight = 1.0;
  double label_smoothing = 0.0;  // ce only
  double focal_gamma = 2.0;      // focal only
  double grl_alpha = 0.0;        // field label: > 0 puts a gradient-reversal layer (-alpha x grad) before the head
  bool include_zeros = false;    // mse (wced, continuous expressions): score zero targets too (an autoencoder's
                                 // squared error over the whole profile) instead of leaving zeros to is_zero_bce
  double temperature = 0.1;      // contrastive: cosine similarities are divided by it
  int64_t projection_dim = 64;   // contrastive: width of the projection head's output
};
const config::Schema<LossConfig>& loss_schema();
// "genes_ce", "expressions_mse", "wced_input_is_zero_bce", "label_cell_type_ce", ...: the name a term is logged under.
std::string loss_name(const LossConfig& loss);

struct EarlyStoppingConfig {
  std::string monitor = "val/loss";  // a logged validation metric
  int64_t patience = 0;              // validations without improvement before stopping; 0 = off
  double min_delta = 0.0;            // improvement smaller than this does not count
  std::string mode = "min";          // min | max
};

// In-training representation probe (the reference framework's batch
// integration callback, run during training instead of after it): every
// `every` steps the probe file's cells are embedded with the current weights
// and scored with the zero-shot benchmark's scib metrics and the embedding
// health figures (logged as probe/*). Keep the file small (a few thousand
// cells): it is embedded and clustered at every probe.
// With source=validation the cells are the pretraining corpus's validation
// split (this rank's share) and label_key / batch_key name its label columns
// (data.label_columns): no separate file, and cells the model never trains on.
struct ProbeConfig {
  std::string source = "file";  // file (input) | validation
  std::string input;          // labelled h5ad with raw counts; "" = no probe (source=file)
  std::string label_key = "cell_type";
  std::string batch_key;      // obs column with batches; "" = one batch (no batch metrics)
  std::string gene_column;    // var column with gene ids; "" = var index
  std::string matrix = "X";   // raw counts: X or layers/<name>
  std::string pooling = "auto";  // auto (model.cell_pooling) | cls | mean
  int64_t every = 500;        // steps between probes (and after the last step)
  int64_t batch_size = 64;
};
inline bool probe_enabled(const ProbeConfig& p) { return p.source == "validation" || !p.input.empty(); }

struct TrainerConfig {
  int64_t max_steps = 1000;        // optimizer steps; 0 = until max_epochs
  int64_t max_epochs = 0;          // 0 = no limit (max_steps decides)
  int64_t grad_accum = 1;          // micro-batches per optimizer step
  double lr = 1e-4;
  std::vector<double> betas{0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0.01;      // Linear weights only
  int64_t warmup_steps = 0;        // linear warmup: lr * step / warmup_steps (step 0 has lr 0, as Hugging Face)
  std::string schedule = "linear"; // after warmup: constant | linear | cosine (decay to min_lr_ratio * lr at max_steps)
  double min_lr_ratio = 0.0;
  double clip_grad_norm = 1.0;     // 0 = off
  std::string precision = "auto";  // auto (bf16 where supported) | fp32 | bf16
  std::string device = "auto";     // auto | cpu | cuda | cuda:N
  int64_t val_every = 200;         // steps between validations; 0 = epoch ends only
  int64_t val_batches = 0;         // batches per validation; 0 = the whole validation split
  int64_t log_every = 10;          // steps between metric lines
  int64_t checkpoint_every = 500;  // steps between step checkpoints; 0 = last / best only
  int64_t keep_checkpoints = 2;    // step checkpoints kept (oldest removed); last / best always kept
  std::string on_nan = "stop";     // stop | skip: non-finite loss
  EarlyStoppingConfig early_stopping;
  ProbeConfig probe;
};
const config::Schema<TrainerConfig>& trainer_schema();

// Optimizer steps of the whole run: max_steps, or max_epochs x steps per
// epoch when training by epochs (max_steps 0).
int64_t total_steps(const TrainerConfig& cfg, int64_t steps_per_epoch);

// Learning rate at optimizer step `step` (0-based) of a run of `total`
// steps (total_steps): warmup, then the schedule decays to the floor at `total`.
// The run length is an argument, not cfg.max_steps, because in epoch mode
// max_steps is 0 and the rate would never decay.
double learning_rate(const TrainerConfig& cfg, int64_t step, int64_t total);

}  // namespace bmfm::train

namespace bmfm::config::detail {
template <>
struct Converter<train::LossConfig> : data::SchemaItemConverter<train::LossConfig, train::loss_schema> {};
}  // namespace bmfm::config::detail

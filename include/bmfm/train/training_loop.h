// The optimizer-step loop that pretraining and fine-tuning share. It counts
// steps and epochs and fires every event on one schedule (trainer.*):
//
//   each step                  task.forward_backward; a loss that is not
//                              finite stops the run (on_nan=stop) or drops
//                              the step (on_nan=skip); else task.optimizer_step
//                              at the scheduled learning rate
//   every log_every, last      train/* values to the log, progress status
//   every val_every, at each   validate; early stopping on the monitored
//   epoch end, last            metric; an improvement is saved as "best"
//   every probe.every, last    probe (main rank; when trainer.probe.input is set)
//   every checkpoint_every     a step checkpoint, the keep_checkpoints newest kept
//
// A command says what a step, a validation, a probe and a checkpoint are by
// implementing TrainingTask; the rules of when, and of stopping, live here
// once. Torch-free.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "bmfm/train/train_config.h"

namespace bmfm::train {

using Values = std::vector<std::pair<std::string, double>>;

// The value of `key` in `v`; NaN when absent.
double lookup(const Values& v, const std::string& key);

// Where the loop is; saved in checkpoints by the task, restored before a resume.
struct LoopState {
  int64_t step = 0, epoch = 0;
  double best = std::numeric_limits<double>::quiet_NaN();  // best monitored value so far
  int64_t best_step = -1, bad_validations = 0;
};

class TrainingTask {
 public:
  virtual ~TrainingTask() = default;
  // Gradients of one optimizer step (grad_accum micro-batches); returns the
  // step's mean loss, the same value on every rank.
  virtual double forward_backward() = 0;
  // Forgets the gradients and running means of a step that is not taken.
  virtual void discard_step() = 0;
  // Clips and applies the gradients with learning rate `lr`.
  virtual void optimizer_step(double lr) = 0;
  // Epochs the training data has completed (grows when a step ends one).
  virtual int64_t data_epoch() const = 0;
  // train/* values since the last call; `seconds` since then, for throughput.
  virtual Values take_train_values(double seconds) = 0;
  // val/* metrics; empty when there is nothing to validate on.
  virtual Values validate() = 0;
  // probe/* figures (only called when the probe is on: probe_enabled).
  virtual Values probe() { return {}; }
  // Writes (or keeps) the model under `name`: "best", or "step-00000500".
  virtual void save(const std::string& name) = 0;
  // Removes a step checkpoint that fell out of keep_checkpoints.
  virtual void remove(const std::string& name) = 0;
  // One line of metrics (split: train / val / probe); main rank only.
  virtual void log(const LoopState& state, const std::string& split, const Values& v) = 0;
};

struct LoopOptions {
  std::string label = "train";  // the progress bar's
  int64_t max_steps = 0;        // total_steps(trainer, steps per epoch)
  bool main = true;             // rank 0 (or the only process): logs, probes, progress
  bool maximize = false;        // early stopping: larger monitored values are better
  std::string checkpoint_dir;   // named in the error of a non-finite loss ("" = none)
};

struct LoopResult {
  double first_val_loss = std::numeric_limits<double>::quiet_NaN();  // NaN without validation
  double last_val_loss = std::numeric_limits<double>::quiet_NaN();
  double last_train_loss = std::numeric_limits<double>::quiet_NaN();
  bool early_stopped = false;
  Values last_validation, probe;  // the last of each; empty when none ran
};

// Runs from `state` (0 for a fresh run, a checkpoint's for a resume) until
// max_steps, max_epochs or early stopping. Throws std::runtime_error on a
// non-finite loss with on_nan=stop, and when the monitored metric is not among
// the validation values.
LoopResult run_training_loop(TrainingTask& task, const TrainerConfig& t, const LoopOptions& o, LoopState& state);

}  // namespace bmfm::train

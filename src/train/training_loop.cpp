#include "bmfm/train/training_loop.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "bmfm/train/progress.h"

namespace bmfm::train {

double lookup(const Values& v, const std::string& key) {
  for (const auto& [k, x] : v)
    if (k == key) return x;
  return std::numeric_limits<double>::quiet_NaN();
}

namespace {

bool improved(const LoopState& s, double value, bool maximize, double min_delta) {
  if (!std::isfinite(value)) return false;
  if (std::isnan(s.best)) return true;
  return maximize ? value > s.best + min_delta : value < s.best - min_delta;
}

std::string train_status(const Values& v, int64_t epoch) {
  std::string s = fmt::format("epoch {} loss {:.4f} lr {:.2e}", epoch + 1, lookup(v, "train/loss"), lookup(v, "train/lr"));
  const double cps = lookup(v, "train/cells_per_s");
  if (!std::isnan(cps)) s += fmt::format(" {:.0f} cells/s", cps);
  return s;
}

}  // namespace

LoopResult run_training_loop(TrainingTask& task, const TrainerConfig& t, const LoopOptions& o, LoopState& state) {
  LoopResult result;
  ProgressBar bar(o.label, o.max_steps, o.main ? stderr : nullptr);
  if (state.step > 0) bar.advance(state.step);
  std::vector<std::string> step_checkpoints;
  auto t_log = std::chrono::steady_clock::now();
  std::string status;

  while (state.step < o.max_steps) {
    const double loss = task.forward_backward();
    if (!std::isfinite(loss)) {
      if (t.on_nan == "skip") {
        spdlog::warn("step {}: loss is {}; step skipped (trainer.on_nan=skip)", state.step, loss);
        task.discard_step();
        continue;
      }
      throw std::runtime_error(fmt::format(
          "step {}: loss is {} (not finite); stopped.{} (lower trainer.lr, or set trainer.on_nan=skip)", state.step, loss,
          o.checkpoint_dir.empty() ? "" : fmt::format(" The last good checkpoint is in {}", o.checkpoint_dir)));
    }
    const double lr = learning_rate(t, state.step, o.max_steps);
    task.optimizer_step(lr);
    ++state.step;
    result.last_train_loss = loss;
    const int64_t data_epoch = task.data_epoch();
    const bool epoch_end = data_epoch > state.epoch;
    if (epoch_end) state.epoch = data_epoch;
    const bool last = state.step == o.max_steps || (t.max_epochs > 0 && state.epoch >= t.max_epochs);

    if (state.step % t.log_every == 0 || last) {
      const auto now = std::chrono::steady_clock::now();
      Values v = task.take_train_values(std::chrono::duration<double>(now - t_log).count());
      v.emplace_back("train/lr", lr);
      if (o.main) task.log(state, "train", v);
      status = train_status(v, state.epoch - (epoch_end ? 1 : 0));
      bar.set_status(status);
      t_log = now;
    }

    bool stop = false;
    if ((t.val_every > 0 && state.step % t.val_every == 0) || epoch_end || last) {
      const Values v = task.validate();
      if (!v.empty()) {
        if (o.main) task.log(state, "val", v);
        result.last_validation = v;
        const double val_loss = lookup(v, "val/loss");
        if (std::isnan(result.first_val_loss)) result.first_val_loss = val_loss;
        result.last_val_loss = val_loss;
        const std::string& monitor = t.early_stopping.monitor;
        const double monitored = lookup(v, monitor);
        if (std::none_of(v.begin(), v.end(), [&](const auto& kv) { return kv.first == monitor; })) {
          std::vector<std::string> names;
          for (const auto& kv : v) names.push_back(kv.first);
          throw std::runtime_error(fmt::format("trainer.early_stopping.monitor: '{}' is not a validation metric ({})",
                                               monitor, fmt::join(names, ", ")));
        }
        if (monitor == "val/loss") spdlog::info("step {}: val/loss {:.5f}", state.step, val_loss);
        else spdlog::info("step {}: val/loss {:.5f} ({} {:.5f})", state.step, val_loss, monitor, monitored);
        if (improved(state, monitored, o.maximize, t.early_stopping.min_delta)) {
          state.best = monitored;
          state.best_step = state.step;
          state.bad_validations = 0;
          task.save("best");
        } else if (t.early_stopping.patience > 0 && ++state.bad_validations >= t.early_stopping.patience) {
          spdlog::info("early stopping: {} did not improve for {} validations (best {:.5f} at step {})", monitor,
                       state.bad_validations, state.best, state.best_step);
          result.early_stopped = stop = true;
        }
      }
    }
    if (o.main && probe_enabled(t.probe) && (state.step % t.probe.every == 0 || last || stop)) {
      const Values v = task.probe();
      task.log(state, "probe", v);
      bar.set_status(fmt::format("{} | probe NMI {:.3f} rank {:.1f}", status, lookup(v, "probe/NMI"),
                                 lookup(v, "probe/effective_rank")));
      result.probe = v;
    }
    if (t.checkpoint_every > 0 && state.step % t.checkpoint_every == 0 && !last && !stop) {
      const std::string name = fmt::format("step-{:08d}", state.step);
      task.save(name);
      step_checkpoints.push_back(name);
      while (static_cast<int64_t>(step_checkpoints.size()) > t.keep_checkpoints) {
        task.remove(step_checkpoints.front());
        step_checkpoints.erase(step_checkpoints.begin());
      }
    }
    bar.advance(1);
    if (last || stop) break;
  }
  bar.finish();
  return result;
}

}  // namespace bmfm::train

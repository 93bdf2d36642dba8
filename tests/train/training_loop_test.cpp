// The shared training loop's schedule (training_loop.h), with a scripted task:
// which events fire at which step, early stopping, the best model, step
// checkpoint rotation, the NaN policy and the learning rates it passes on.
#include "bmfm/train/training_loop.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

using namespace bmfm::train;

namespace {

// Losses and validation values come from scripts; every call is recorded.
class ScriptedTask final : public TrainingTask {
 public:
  int64_t steps_per_epoch = 4;
  std::map<int64_t, double> losses;       // attempt index -> loss (default 1.0)
  std::vector<double> val_values;         // the monitored value of each validation, in order
  std::vector<std::string> events;        // "val@S", "probe@S", "save:NAME@S", "remove:NAME@S", "log:SPLIT@S"
  std::vector<double> lrs;
  int64_t taken = 0, attempts = 0, discarded = 0;
  const LoopState* state = nullptr;

  double forward_backward() override {
    const auto it = losses.find(attempts++);
    return it == losses.end() ? 1.0 : it->second;
  }
  void discard_step() override { ++discarded; }
  void optimizer_step(double lr) override {
    lrs.push_back(lr);
    ++taken;
  }
  int64_t data_epoch() const override { return taken / steps_per_epoch; }
  Values take_train_values(double) override { return {{"train/loss", 1.0}}; }
  Values validate() override {
    const size_t k = static_cast<size_t>(std::count_if(events.begin(), events.end(),
                                                       [](const std::string& e) { return e.rfind("val@", 0) == 0; }));
    events.push_back("val@" + std::to_string(state->step));
    const double v = k < val_values.size() ? val_values[k] : 0.0;
    return {{"val/loss", v}, {"val/macro_f1", v}};
  }
  Values probe() override {
    events.push_back("probe@" + std::to_string(state->step));
    return {{"probe/NMI", 0.5}};
  }
  void save(const std::string& name) override { events.push_back("save:" + name + "@" + std::to_string(state->step)); }
  void remove(const std::string& name) override { events.push_back("remove:" + name + "@" + std::to_string(state->step)); }
  void log(const LoopState& s, const std::string& split, const Values&) override {
    events.push_back("log:" + split + "@" + std::to_string(s.step));
  }
  bool has(const std::string& e) const { return std::find(events.begin(), events.end(), e) != events.end(); }
  int64_t count(const std::string& prefix) const {
    return std::count_if(events.begin(), events.end(), [&](const std::string& e) { return e.rfind(prefix, 0) == 0; });
  }
};

TrainerConfig quiet_trainer() {
  TrainerConfig t;
  t.max_steps = 12;
  t.max_epochs = 0;
  t.lr = 1e-3;
  t.warmup_steps = 0;
  t.schedule = "constant";
  t.val_every = 0;
  t.log_every = 1000;
  t.checkpoint_every = 0;
  t.early_stopping.monitor = "val/loss";
  t.early_stopping.mode = "min";
  t.early_stopping.patience = 0;
  return t;
}

LoopResult run(ScriptedTask& task, const TrainerConfig& t, LoopState& s, bool maximize = false) {
  task.state = &s;
  LoopOptions o;
  o.max_steps = total_steps(t, task.steps_per_epoch);
  o.maximize = maximize;
  return run_training_loop(task, t, o, s);
}

}  // namespace

TEST(TrainingLoop, ValidatesAtEpochEndsAndEveryValEvery) {
  ScriptedTask task;
  TrainerConfig t = quiet_trainer();
  t.val_every = 3;
  LoopState s;
  run(task, t, s);
  EXPECT_EQ(s.step, 12);
  EXPECT_EQ(s.epoch, 3);
  // val_every 3 -> 3, 6, 9, 12; epoch ends (4 steps) -> 4, 8, 12 (12 once).
  std::vector<std::string> vals;
  for (const auto& e : task.events)
    if (e.rfind("val@", 0) == 0) vals.push_back(e);
  EXPECT_EQ(vals, (std::vector<std::string>{"val@3", "val@4", "val@6", "val@8", "val@9", "val@12"}));
  EXPECT_TRUE(task.has("log:train@12")) << "the last step is always logged";
}

TEST(TrainingLoop, MaxEpochsStopsAtTheEpochEnd) {
  ScriptedTask task;
  TrainerConfig t = quiet_trainer();
  t.max_steps = 0;
  t.max_epochs = 2;
  LoopState s;
  run(task, t, s);
  EXPECT_EQ(s.step, 8);
  EXPECT_EQ(s.epoch, 2);
  EXPECT_EQ(task.count("val@"), 2);
}

TEST(TrainingLoop, EarlyStoppingKeepsTheBestAndStopsAfterPatience) {
  ScriptedTask task;
  TrainerConfig t = quiet_trainer();
  t.max_steps = 40;
  t.early_stopping.patience = 2;
  t.early_stopping.min_delta = 0.01;
  task.val_values = {1.0, 0.5, 0.495, 0.6, 0.4};  // 0.495 is within min_delta of 0.5: not an improvement
  LoopState s;
  const LoopResult r = run(task, t, s);
  EXPECT_TRUE(r.early_stopped);
  EXPECT_EQ(s.step, 16);  // validations at 4, 8, 12, 16; stopped after the 2nd without improvement
  EXPECT_DOUBLE_EQ(s.best, 0.5);
  EXPECT_EQ(s.best_step, 8);
  EXPECT_EQ(task.count("save:best@"), 2);
  EXPECT_TRUE(task.has("save:best@4") && task.has("save:best@8"));
  EXPECT_DOUBLE_EQ(r.first_val_loss, 1.0);
  EXPECT_DOUBLE_EQ(r.last_val_loss, 0.6);
}

TEST(TrainingLoop, MaximizeFollowsLargerValues) {
  ScriptedTask task;
  TrainerConfig t = quiet_trainer();
  t.early_stopping.monitor = "val/macro_f1";
  task.val_values = {0.2, 0.6, 0.4};
  LoopState s;
  run(task, t, s, /*maximize=*/true);
  EXPECT_DOUBLE_EQ(s.best, 0.6);
  EXPECT_EQ(s.best_step, 8);
}

TEST(TrainingLoop, UnknownMonitorIsAnErrorNamingIt) {
  ScriptedTask task;
  TrainerConfig t = quiet_trainer();
  t.early_stopping.monitor = "val/nope";
  LoopState s;
  try {
    run(task, t, s);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("'val/nope' is not a validation metric (val/loss, val/macro_f1)"),
              std::string::npos) << e.what();
  }
}

TEST(TrainingLoop, StepCheckpointsRotateAndSkipTheLastStep) {
  ScriptedTask task;
  TrainerConfig t = quiet_trainer();
  t.checkpoint_every = 2;
  t.keep_checkpoints = 2;
  LoopState s;
  run(task, t, s);
  // 2, 4, 6, 8, 10 (not 12: the caller saves "last"); the two newest kept.
  EXPECT_EQ(task.count("save:step-"), 5);
  EXPECT_TRUE(task.has("remove:step-00000002@6"));
  EXPECT_TRUE(task.has("remove:step-00000004@8"));
  EXPECT_TRUE(task.has("remove:step-00000006@10"));
  EXPECT_EQ(task.count("remove:"), 3);
}

TEST(TrainingLoop, ProbesOnScheduleAndAfterTheLastStep) {
  ScriptedTask task;
  TrainerConfig t = quiet_trainer();
  t.probe.input = "cells.h5ad";
  t.probe.every = 5;
  LoopState s;
  const LoopResult r = run(task, t, s);
  EXPECT_EQ(task.count("probe@"), 3);
  EXPECT_TRUE(task.has("probe@5") && task.has("probe@10") && task.has("probe@12"));
  EXPECT_DOUBLE_EQ(lookup(r.probe, "probe/NMI"), 0.5);
}

TEST(TrainingLoop, NanLossStopsOrIsSkipped) {
  {
    ScriptedTask task;
    task.losses[3] = std::nan("");
    TrainerConfig t = quiet_trainer();
    LoopState s;
    EXPECT_THROW(run(task, t, s), std::runtime_error);
    EXPECT_EQ(task.taken, 3) << "no optimizer step with a non-finite loss";
  }
  ScriptedTask task;
  task.losses[3] = INFINITY;
  TrainerConfig t = quiet_trainer();
  t.on_nan = "skip";
  LoopState s;
  run(task, t, s);
  EXPECT_EQ(task.discarded, 1);
  EXPECT_EQ(task.taken, 12);
  EXPECT_EQ(task.attempts, 13);
}

TEST(TrainingLoop, PassesTheScheduledLearningRate) {
  ScriptedTask task;
  TrainerConfig t = quiet_trainer();
  t.schedule = "linear";
  t.warmup_steps = 4;
  LoopState s;
  run(task, t, s);
  ASSERT_EQ(task.lrs.size(), 12u);
  for (int64_t k = 0; k < 12; ++k) EXPECT_DOUBLE_EQ(task.lrs[static_cast<size_t>(k)], learning_rate(t, k, 12)) << k;
  EXPECT_DOUBLE_EQ(task.lrs[0], 0.0);  // warmup starts at 0 (learning_rate's own test has the formula)
}

TEST(TrainingLoop, ResumesFromAState) {
  ScriptedTask task;
  task.taken = 8;  // the data is where the checkpoint left it
  TrainerConfig t = quiet_trainer();
  LoopState s;
  s.step = 8;
  s.epoch = 2;
  run(task, t, s);
  EXPECT_EQ(s.step, 12);
  EXPECT_EQ(task.attempts, 4);
  EXPECT_EQ(task.count("val@"), 1);
  EXPECT_TRUE(task.has("val@12"));
}

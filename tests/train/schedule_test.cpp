// Learning-rate schedules against the formulas of Hugging Face's
// get_linear_schedule_with_warmup / get_cosine_schedule_with_warmup, worked by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "bmfm/train/train_config.h"

namespace bmfm::train {
namespace {

TEST(Schedule, WarmupThenLinearDecay) {
  TrainerConfig c;
  c.lr = 1.0;
  c.warmup_steps = 10;
  c.max_steps = 110;
  c.schedule = "linear";
  EXPECT_DOUBLE_EQ(learning_rate(c, 0, c.max_steps), 0.0);   // 0 / 10
  EXPECT_DOUBLE_EQ(learning_rate(c, 5, c.max_steps), 0.5);   // 5 / 10
  EXPECT_DOUBLE_EQ(learning_rate(c, 10, c.max_steps), 1.0);  // (110 - 10) / 100
  EXPECT_DOUBLE_EQ(learning_rate(c, 60, c.max_steps), 0.5);  // (110 - 60) / 100
  EXPECT_DOUBLE_EQ(learning_rate(c, 110, c.max_steps), 0.0);
}

TEST(Schedule, CosineAndFloorAndConstant) {
  TrainerConfig c;
  c.lr = 2.0;
  c.warmup_steps = 0;
  c.max_steps = 100;
  c.schedule = "cosine";
  EXPECT_DOUBLE_EQ(learning_rate(c, 0, c.max_steps), 2.0);
  EXPECT_NEAR(learning_rate(c, 50, c.max_steps), 1.0, 1e-12);  // 0.5 (1 + cos(pi/2)) = 0.5
  EXPECT_NEAR(learning_rate(c, 100, c.max_steps), 0.0, 1e-12);
  c.min_lr_ratio = 0.1;  // floor: lr (0.1 + 0.9 f)
  EXPECT_NEAR(learning_rate(c, 50, c.max_steps), 2.0 * (0.1 + 0.9 * 0.5), 1e-12);
  c.schedule = "constant";
  EXPECT_DOUBLE_EQ(learning_rate(c, 77, c.max_steps), 2.0);
}

TEST(Schedule, EpochModeDecaysOverTheEpochs) {
  // max_steps 0, 2 epochs of 50 steps: the run is 100 steps long and the
  // linear schedule reaches 0 at step 100 (it used to read max_steps = 0 and
  // stay at the peak after warmup).
  TrainerConfig c;
  c.lr = 1.0;
  c.warmup_steps = 10;
  c.max_steps = 0;
  c.max_epochs = 2;
  c.schedule = "linear";
  const int64_t total = total_steps(c, 50);
  EXPECT_EQ(total, 100);
  EXPECT_DOUBLE_EQ(learning_rate(c, 55, total), 0.5);  // (100 - 55) / 90
  EXPECT_DOUBLE_EQ(learning_rate(c, 100, total), 0.0);
  c.max_steps = 30;  // max_steps wins when set
  EXPECT_EQ(total_steps(c, 50), 30);
}

}  // namespace
}  // namespace bmfm::train

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
  EXPECT_DOUBLE_EQ(learning_rate(c, 0), 0.0);   // 0 / 10
  EXPECT_DOUBLE_EQ(learning_rate(c, 5), 0.5);   // 5 / 10
  EXPECT_DOUBLE_EQ(learning_rate(c, 10), 1.0);  // (110 - 10) / 100
  EXPECT_DOUBLE_EQ(learning_rate(c, 60), 0.5);  // (110 - 60) / 100
  EXPECT_DOUBLE_EQ(learning_rate(c, 110), 0.0);
}

TEST(Schedule, CosineAndFloorAndConstant) {
  TrainerConfig c;
  c.lr = 2.0;
  c.warmup_steps = 0;
  c.max_steps = 100;
  c.schedule = "cosine";
  EXPECT_DOUBLE_EQ(learning_rate(c, 0), 2.0);
  EXPECT_NEAR(learning_rate(c, 50), 1.0, 1e-12);  // 0.5 (1 + cos(pi/2)) = 0.5
  EXPECT_NEAR(learning_rate(c, 100), 0.0, 1e-12);
  c.min_lr_ratio = 0.1;  // floor: lr (0.1 + 0.9 f)
  EXPECT_NEAR(learning_rate(c, 50), 2.0 * (0.1 + 0.9 * 0.5), 1e-12);
  c.schedule = "constant";
  EXPECT_DOUBLE_EQ(learning_rate(c, 77), 2.0);
}

}  // namespace
}  // namespace bmfm::train

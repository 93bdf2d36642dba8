#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "bmfm/train/progress.h"

using bmfm::train::ProgressBar;

TEST(Progress, FormatDuration) {
  EXPECT_EQ(ProgressBar::format_duration(0), "0:00");
  EXPECT_EQ(ProgressBar::format_duration(65), "1:05");
  EXPECT_EQ(ProgressBar::format_duration(3723), "1:02:03");
  EXPECT_EQ(ProgressBar::format_duration(NAN), "--:--");
}

TEST(Progress, NonInteractiveWritesWholeLinesAndFinishes) {
  char* buf = nullptr;
  size_t size = 0;
  std::FILE* f = open_memstream(&buf, &size);
  {
    ProgressBar bar("bench", 4, f, /*interactive=*/0, /*min_interval_s=*/1000.0);
    bar.advance(1, "a / pca: embed");
    bar.advance(1);  // throttled: within min_interval
    EXPECT_EQ(bar.done(), 2);
    EXPECT_NE(bar.render().find("[bench] 2/4  50% ##########.........."), std::string::npos) << bar.render();
    EXPECT_NE(bar.render().find("| a / pca: embed"), std::string::npos);
    bar.advance(2, "done");
  }  // destructor finishes
  std::fclose(f);
  std::string out(buf, size);
  free(buf);
  // First draw, then the forced final draw: two lines, no carriage returns.
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2) << out;
  EXPECT_EQ(out.find('\r'), std::string::npos);
  EXPECT_NE(out.find("[bench] 1/4"), std::string::npos) << out;
  EXPECT_NE(out.find("[bench] 4/4 100% ####################"), std::string::npos) << out;
  EXPECT_NE(out.find("took"), std::string::npos) << out;
}

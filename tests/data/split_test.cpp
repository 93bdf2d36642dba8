// Fine-tuning splits: disjoint, complete, proportions per class, column mode.
#include "bmfm/data/split.h"

#include <gtest/gtest.h>

#include <set>

#include "test_util.h"

namespace bmfm::data {
namespace {

void expect_partition(const Split& s, int64_t n) {
  std::set<int64_t> all;
  for (const auto* v : {&s.train, &s.val, &s.test}) all.insert(v->begin(), v->end());
  EXPECT_EQ(static_cast<int64_t>(all.size()), n);
  EXPECT_EQ(s.train.size() + s.val.size() + s.test.size(), static_cast<size_t>(n));
}

TEST(Split, StratifiedKeepsClassProportions) {
  std::vector<int32_t> labels;
  for (int i = 0; i < 100; ++i) labels.push_back(i < 80 ? 0 : 1);  // 80 / 20
  SplitConfig c;  // stratified, val 0.1, test 0.2
  const Split s = make_split(100, c, 3, labels, {});
  expect_partition(s, 100);
  int test0 = 0, test1 = 0;
  for (int64_t i : s.test) (labels[static_cast<size_t>(i)] == 0 ? test0 : test1)++;
  EXPECT_EQ(test0, 16);  // round(0.2 * 80)
  EXPECT_EQ(test1, 4);   // round(0.2 * 20)
  EXPECT_EQ(s.val.size(), 10u);  // round(0.125 * 64) + round(0.125 * 16)
  EXPECT_EQ(make_split(100, c, 3, labels, {}).test, s.test);  // seeded
  EXPECT_NE(make_split(100, c, 4, labels, {}).test, s.test);
}

TEST(Split, ColumnModeIsCrossBatch) {
  std::vector<std::string> batch;
  for (int i = 0; i < 30; ++i) batch.push_back(i < 10 ? "A" : i < 20 ? "B" : "C");
  SplitConfig c;
  c.mode = "column";
  c.column = "batch";
  c.test_values = {"C"};
  const Split s = make_split(30, c, 0, {}, batch);
  expect_partition(s, 30);
  for (int64_t i : s.test) EXPECT_EQ(batch[static_cast<size_t>(i)], "C");
  EXPECT_EQ(s.test.size(), 10u);
  EXPECT_EQ(s.val.size(), 2u);  // round(0.1 * 20) carved from A + B
  c.test_values = {"D"};
  const std::string msg = test::error_of<std::invalid_argument>([&] { make_split(30, c, 0, {}, batch); });
  EXPECT_NE(msg.find("no cell has batch = 'D' (values: A, B, C)"), std::string::npos) << msg;
}

}  // namespace
}  // namespace bmfm::data

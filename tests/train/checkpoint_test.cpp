// Checkpoint folders: round trip, atomic replacement, corruption errors, and
// readability without bmfm (numpy reads tensors.bin from the JSON index).
#include "bmfm/train/checkpoint.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "test_util.h"

namespace bmfm::train {
namespace {
namespace fs = std::filesystem;

CheckpointContents sample() {
  CheckpointContents c;
  c.meta = {{"step", 7}, {"note", "x"}};
  c.tensors.emplace_back("model/w", at::arange(6, at::kFloat).view({2, 3}));
  c.tensors.emplace_back("model/ids", at::tensor({5, -2}, at::kLong));
  c.tensors.emplace_back("rng/cpu", at::arange(10, at::kByte));
  c.files["config.yaml"] = "a: 1\n";
  return c;
}

TEST(Checkpoint, RoundTripAndReplace) {
  const std::string dir = test::temp_dir("ckpt") + "/last";
  write_checkpoint(dir, sample());
  auto c = read_checkpoint(dir);
  EXPECT_EQ(c.meta["step"], 7);
  EXPECT_TRUE(at::equal(find_tensor(c, "model/w", dir), at::arange(6, at::kFloat).view({2, 3})));
  EXPECT_TRUE(at::equal(find_tensor(c, "model/ids", dir), at::tensor({5, -2}, at::kLong)));
  EXPECT_EQ(c.files["config.yaml"], "a: 1\n");
  // Writing again replaces the folder whole; no temp or old folders stay behind.
  auto s = sample();
  s.meta["step"] = 8;
  write_checkpoint(dir, s);
  EXPECT_EQ(read_checkpoint(dir).meta["step"], 8);
  int entries = 0;
  for (const auto& e : fs::directory_iterator(fs::path(dir).parent_path())) entries += 1, (void)e;
  EXPECT_EQ(entries, 1);
  EXPECT_NE(test::error_of<std::runtime_error>([&] { find_tensor(c, "model/nope", dir); }).find("no tensor 'model/nope'"),
            std::string::npos);
}

TEST(Checkpoint, CorruptionIsAClearError) {
  const std::string root = test::temp_dir("ckpt_bad");
  EXPECT_NE(test::error_of<std::runtime_error>([&] { read_checkpoint(root + "/missing"); }).find("no such folder"),
            std::string::npos);
  fs::create_directories(root + "/empty");
  EXPECT_NE(test::error_of<std::runtime_error>([&] { read_checkpoint(root + "/empty"); }).find("no index.json"),
            std::string::npos);
  const std::string dir = root + "/c";
  write_checkpoint(dir, sample());
  fs::resize_file(dir + "/tensors.bin", fs::file_size(dir + "/tensors.bin") - 3);
  const std::string msg = test::error_of<std::runtime_error>([&] { read_checkpoint(dir); });
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  EXPECT_NE(msg.find(dir), std::string::npos) << msg;
  std::ofstream(dir + "/index.json") << "{not json";
  EXPECT_NE(test::error_of<std::runtime_error>([&] { read_checkpoint(dir); }).find("not valid JSON"), std::string::npos);
}

TEST(Checkpoint, NumpyReadsTensorsFromTheIndex) {
  const std::string py = test::python3_with("numpy");
  if (py.empty()) GTEST_SKIP() << "no python3 with numpy";
  const std::string dir = test::temp_dir("ckpt_np") + "/c";
  write_checkpoint(dir, sample());
  const std::string script =
      "import json,numpy as np,sys\n"
      "d=sys.argv[1]; ix=json.load(open(d+'/index.json'))\n"
      "t={e['name']: np.fromfile(d+'/'+ix['tensors_file'], dtype=e['dtype'], count=int(np.prod(e['shape'])),"
      " offset=e['offset']).reshape(e['shape']) for e in ix['tensors']}\n"
      "assert t['model/w'].tolist()==[[0,1,2],[3,4,5]], t['model/w']\n"
      "assert t['model/ids'].tolist()==[5,-2]\n"
      "print('ok')\n";
  std::ofstream(dir + "/../read.py") << script;
  EXPECT_EQ(std::system((py + " " + dir + "/../read.py " + dir + " > /dev/null").c_str()), 0);
}

}  // namespace
}  // namespace bmfm::train

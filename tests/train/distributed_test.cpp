// Where a process sits in a data-parallel job, from the variables torchrun /
// bmfm launch or SLURM set (expected values written by hand from their docs).
#include "bmfm/train/distributed.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace bmfm::train {
namespace {

DistEnv from(const std::map<std::string, std::string>& vars) {
  return dist_env_from([&](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

TEST(DistEnv, NoVariablesIsOneProcess) {
  const DistEnv e = from({});
  EXPECT_EQ(e.rank, 0);
  EXPECT_EQ(e.world_size, 1);
  EXPECT_FALSE(e.distributed());
  EXPECT_EQ(e.source, "none");
}

TEST(DistEnv, Torchrun) {
  const DistEnv e = from({{"RANK", "5"}, {"WORLD_SIZE", "8"}, {"LOCAL_RANK", "1"}, {"LOCAL_WORLD_SIZE", "4"},
                          {"MASTER_ADDR", "node01"}, {"MASTER_PORT", "29601"}});
  EXPECT_EQ(e.source, "torchrun");
  EXPECT_EQ(e.rank, 5);
  EXPECT_EQ(e.world_size, 8);
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_EQ(e.local_world_size, 4);
  EXPECT_EQ(e.master_addr, "node01");
  EXPECT_EQ(e.master_port, 29601);
}

TEST(DistEnv, Slurm) {
  // srun -N 2 --ntasks-per-node 4: task 6 runs on the second node as local task 2.
  const DistEnv e = from({{"SLURM_PROCID", "6"}, {"SLURM_NTASKS", "8"}, {"SLURM_LOCALID", "2"},
                          {"SLURM_NTASKS_PER_NODE", "4(x2)"}, {"SLURM_JOB_NODELIST", "gpu[007-008]"}});
  EXPECT_EQ(e.source, "slurm");
  EXPECT_EQ(e.rank, 6);
  EXPECT_EQ(e.world_size, 8);
  EXPECT_EQ(e.local_rank, 2);
  EXPECT_EQ(e.local_world_size, 4);
  EXPECT_EQ(e.master_addr, "gpu007");
  EXPECT_EQ(e.master_port, 29500);
  // RANK (torchrun inside an allocation) wins over SLURM's variables.
  EXPECT_EQ(from({{"SLURM_PROCID", "6"}, {"SLURM_NTASKS", "8"}, {"RANK", "0"}, {"WORLD_SIZE", "1"}}).source, "torchrun");
}

TEST(DistEnv, FirstSlurmHost) {
  EXPECT_EQ(first_slurm_host("node[03-05,09],gpu1"), "node03");
  EXPECT_EQ(first_slurm_host("a1,b2"), "a1");
  EXPECT_EQ(first_slurm_host("single"), "single");
  EXPECT_EQ(first_slurm_host("n[1,4]"), "n1");
  EXPECT_THROW(first_slurm_host(""), std::invalid_argument);
  EXPECT_THROW(first_slurm_host("n[03"), std::invalid_argument);
}

TEST(DistEnv, BadValuesNameTheVariable) {
  auto message = [](const std::map<std::string, std::string>& vars) {
    try {
      from(vars);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message({{"RANK", "x"}, {"WORLD_SIZE", "2"}}).find("RANK=x"), std::string::npos);
  EXPECT_NE(message({{"RANK", "2"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}}).find("rank 2 is not in [0, world size 2)"),
            std::string::npos);
  EXPECT_NE(message({{"RANK", "0"}, {"WORLD_SIZE", "2"}}).find("MASTER_ADDR"), std::string::npos);
  EXPECT_NE(message({{"RANK", "0"}, {"WORLD_SIZE", "1"}, {"MASTER_PORT", "70000"}}).find("MASTER_PORT=70000"),
            std::string::npos);
}

TEST(Backend, AutoIsNcclOnCudaAndGlooOnCpu) {
  EXPECT_EQ(resolve_backend("auto", true, true), "nccl");
  EXPECT_EQ(resolve_backend("auto", false, true), "gloo");
  EXPECT_EQ(resolve_backend("auto", true, false), "gloo");  // a build without NCCL stages through the host
  EXPECT_EQ(resolve_backend("gloo", true, true), "gloo");    // asked for: Gloo on CUDA tensors (staged)
  EXPECT_EQ(resolve_backend("nccl", true, true), "nccl");
}

TEST(Backend, NcclWhereItCannotRunIsAnError) {
  auto message = [](const std::string& b, bool cuda, bool built) {
    try {
      resolve_backend(b, cuda, built);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("nccl", false, true).find("needs CUDA devices"), std::string::npos);
  EXPECT_NE(message("nccl", true, false).find("has no NCCL"), std::string::npos);
  EXPECT_NE(message("mpi", false, true).find("auto, gloo or nccl"), std::string::npos);
}

TEST(Backend, OneGpuPerLocalRank) {
  DistEnv e = from({{"RANK", "5"}, {"WORLD_SIZE", "8"}, {"LOCAL_RANK", "1"}, {"LOCAL_WORLD_SIZE", "4"},
                    {"MASTER_ADDR", "h"}});
  EXPECT_EQ(rank_cuda_index(e, 4), 1);
  EXPECT_EQ(rank_cuda_index(e, 2), 1);
  e.local_rank = 3;
  try {
    rank_cuda_index(e, 2);
    FAIL() << "local rank 3 on a 2-GPU machine was accepted";
  } catch (const std::invalid_argument& err) {
    EXPECT_NE(std::string(err.what()).find("local rank 3 of 4 needs CUDA device 3, but this machine has 2"),
              std::string::npos) << err.what();
  }
}

}  // namespace
}  // namespace bmfm::train

// Helpers shared by the eval tests (header-only: only *_test.cpp files are built):
// the real-embedding fixture written by make_expected.py, and seeded Gaussian blobs.
#pragma once

#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bmfm/data/random.h"
#include "bmfm/eval/embedding.h"
#include "eval_expected.h"

namespace bmfm::test {

inline std::string eval_fixture(const std::string& name) {
  return std::string(BMFM_TEST_SOURCE_DIR) + "/tests/eval/fixtures/" + name;
}

// A raw little-endian array of T (this machine is little-endian).
template <typename T>
std::vector<T> read_raw(const std::string& name, size_t expected_count = 0) {
  const std::string path = eval_fixture(name);
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) throw std::runtime_error("cannot open fixture " + path + " (regenerate with tests/eval/make_expected.py)");
  const auto bytes = static_cast<size_t>(f.tellg());
  std::vector<T> v(bytes / sizeof(T));
  f.seekg(0);
  f.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(T)));
  if (expected_count && v.size() != expected_count)
    throw std::runtime_error("fixture " + path + " holds " + std::to_string(v.size()) + " values, expected " +
                             std::to_string(expected_count));
  return v;
}

// PCA-50 of symphony_pbmc_3batch_1500 with cell_type / batch codes and a KMeans clustering.
struct RealEmbedding {
  std::vector<float> X;
  std::vector<int32_t> cell_type, batch, kmeans;
  eval::EmbeddingView view() const { return {X.data(), eval_expected::kRealN, eval_expected::kRealD}; }
};

inline const RealEmbedding& real_embedding() {
  static const RealEmbedding r = [] {
    using namespace eval_expected;
    RealEmbedding e;
    e.X = read_raw<float>("symphony_pca50.f32", static_cast<size_t>(kRealN * kRealD));
    const auto codes = read_raw<int32_t>("symphony_codes.i32", static_cast<size_t>(3 * kRealN));
    e.cell_type.assign(codes.begin(), codes.begin() + kRealN);
    e.batch.assign(codes.begin() + kRealN, codes.begin() + 2 * kRealN);
    e.kmeans.assign(codes.begin() + 2 * kRealN, codes.end());
    return e;
  }();
  return r;
}

inline eval::EmbeddingView synthetic_view() {
  using namespace eval_expected;
  return {kSynX.data(), kSynN, kSynD};
}

// n_obs cells in n_dims dims around n_labels centres (N(0, spread^2) per
// coordinate) with unit-variance noise and a per-batch offset of batch_shift
// along every axis; labels and batches assigned round-robin-ish at random.
struct Blobs {
  std::vector<float> X;
  std::vector<int32_t> labels, batches;
  int64_t n_obs = 0, n_dims = 0;
  eval::EmbeddingView view() const { return {X.data(), n_obs, n_dims}; }
};

inline Blobs make_blobs(int64_t n_obs, int64_t n_dims, int n_labels, int n_batches, double spread,
                        double batch_shift, uint64_t seed) {
  data::Rng rng(seed);
  std::vector<double> centres(static_cast<size_t>(n_labels * n_dims));
  for (auto& c : centres) c = rng.normal(0.0, spread);
  Blobs b;
  b.n_obs = n_obs;
  b.n_dims = n_dims;
  b.X.resize(static_cast<size_t>(n_obs * n_dims));
  b.labels.resize(static_cast<size_t>(n_obs));
  b.batches.resize(static_cast<size_t>(n_obs));
  for (int64_t i = 0; i < n_obs; ++i) {
    const int32_t l = static_cast<int32_t>(rng.uniform_int(n_labels));
    const int32_t bt = static_cast<int32_t>(rng.uniform_int(n_batches));
    b.labels[static_cast<size_t>(i)] = l;
    b.batches[static_cast<size_t>(i)] = bt;
    for (int64_t k = 0; k < n_dims; ++k)
      b.X[static_cast<size_t>(i * n_dims + k)] =
          static_cast<float>(centres[static_cast<size_t>(l * n_dims + k)] + rng.normal() + batch_shift * bt);
  }
  return b;
}

}  // namespace bmfm::test

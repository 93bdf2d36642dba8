#include "bmfm/eval/embedding.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace bmfm::eval {

void check_embedding(const EmbeddingView& emb, const char* what) {
  if (emb.X == nullptr || emb.n_obs <= 0 || emb.n_dims <= 0)
    throw std::invalid_argument(std::string(what) + ": empty embedding (n_obs=" + std::to_string(emb.n_obs) +
                                ", n_dims=" + std::to_string(emb.n_dims) + ")");
  const int64_t total = emb.n_obs * emb.n_dims;
  for (int64_t t = 0; t < total; ++t) {
    if (!std::isfinite(emb.X[t]))
      throw std::invalid_argument(std::string(what) + ": embedding value at cell " + std::to_string(t / emb.n_dims) +
                                  ", dim " + std::to_string(t % emb.n_dims) + " is not finite (" +
                                  std::to_string(emb.X[t]) + ")");
  }
}

std::vector<float> l2_normalized(const EmbeddingView& emb) {
  std::vector<float> out(static_cast<size_t>(emb.n_obs * emb.n_dims));
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < emb.n_obs; ++i) {
    const float* x = emb.row(i);
    double ss = 0;
    for (int64_t k = 0; k < emb.n_dims; ++k) ss += static_cast<double>(x[k]) * x[k];
    const double inv = ss > 0 ? 1.0 / std::sqrt(ss) : 0.0;
    float* y = out.data() + i * emb.n_dims;
    for (int64_t k = 0; k < emb.n_dims; ++k) y[k] = static_cast<float>(x[k] * inv);
  }
  return out;
}

void check_codes(const std::vector<int32_t>& codes, int64_t n_obs, const char* what) {
  if (static_cast<int64_t>(codes.size()) != n_obs)
    throw std::invalid_argument(std::string(what) + ": " + std::to_string(codes.size()) + " codes for " +
                                std::to_string(n_obs) + " cells; pass one code per embedding row");
}

}  // namespace bmfm::eval

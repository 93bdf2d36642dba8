// Cell embeddings as the metric engine sees them: a borrowed, row-major float32
// (n_obs, n_dims) matrix (an h5ad obsm array, a model's output, a PCA), plus
// per-cell integer codes for labels and batches. Codes may be any int32 values
// (a categorical's codes, not necessarily contiguous); cells with a missing
// label should be dropped by the caller before scoring.
#pragma once

#include <cstdint>
#include <vector>

namespace bmfm::eval {

struct EmbeddingView {
  const float* X = nullptr;  // (n_obs, n_dims), row-major
  int64_t n_obs = 0;
  int64_t n_dims = 0;

  const float* row(int64_t i) const { return X + i * n_dims; }
};

// Throws std::invalid_argument naming `what` when X is null, a dimension is
// not positive, or a value is not finite.
void check_embedding(const EmbeddingView& emb, const char* what);

// Each row divided by its Euclidean norm (scGPT scores its embeddings this
// way); all-zero rows stay zero. Returns the new (n_obs, n_dims) data.
std::vector<float> l2_normalized(const EmbeddingView& emb);

// Throws std::invalid_argument naming `what` when codes.size() != n_obs.
void check_codes(const std::vector<int32_t>& codes, int64_t n_obs, const char* what);

}  // namespace bmfm::eval

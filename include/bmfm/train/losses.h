// Loss functions of the pretraining objectives. Each returns a scalar fp32
// tensor averaged over the elements it applies to, and 0 (still connected to
// the graph) when none apply in this batch, so a term never turns into NaN.
#pragma once

#include <ATen/ATen.h>

namespace bmfm::train {

// Cross entropy over rows of logits (N, K) against class indices (N).
at::Tensor cross_entropy(const at::Tensor& logits, const at::Tensor& targets, double label_smoothing = 0.0);

// Focal loss (Lin et al. 2017): mean of -(1 - p_t)^gamma log p_t over rows.
at::Tensor focal_loss(const at::Tensor& logits, const at::Tensor& targets, double gamma);

// Token-value loss (Zausinger et al. 2024, "Regress, don't guess"): the
// softmax-expected bin index sum_k p_k k against the true bin index, squared error.
at::Tensor token_value_loss(const at::Tensor& logits, const at::Tensor& target_bins);

// Squared error of pred vs target where `mask` (same shape, bool) holds and
// the target is non-zero: zeros are the is-zero head's job.
at::Tensor nonzero_mse(const at::Tensor& pred, const at::Tensor& target, const at::Tensor& mask);

// Binary cross entropy with logits of "is zero" (target == 0) where `mask` holds.
at::Tensor is_zero_bce(const at::Tensor& zero_logit, const at::Tensor& target, const at::Tensor& mask);

// Multi-label BCE with logits over (N, K): rows whose targets are -100 (the
// column was missing for that cell) are left out; mean over the kept entries.
at::Tensor multilabel_bce(const at::Tensor& logits, const at::Tensor& targets);

// Squared error where `mask` (bool, same shape) holds; mean over those.
at::Tensor masked_mse(const at::Tensor& pred, const at::Tensor& target, const at::Tensor& mask);

// InfoNCE / NT-Xent (SimCLR, Chen et al. 2020) over two views: z is (2N, D)
// with rows i and i + N two views of one cell. Rows are L2-normalised, the
// similarity is the cosine over `temperature`; each row's positive is its
// other view and the other 2N - 2 rows are its negatives; mean over the 2N rows.
at::Tensor info_nce(const at::Tensor& z, double temperature);

}  // namespace bmfm::train

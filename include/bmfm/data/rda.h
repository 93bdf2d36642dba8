// Read-depth-aware (RDA) downsampling, step (6) of docs/transforms.md
// (scFoundation: Hao et al., Nature Methods 2024; bmfm-targets' rda_downsample).
//
// On the raw counts r_i of the positions the cell keeps (after ordering,
// truncation, dropout and zero padding), with R = sum r_i:
//   Downsample: if R >= threshold, with probability `probability` draw
//     b ~ Beta(beta_a, beta_b) and thin each count: x_i ~ Binomial(r_i, b);
//     otherwise x_i = r_i. S = sum x_i.
//   Equal:      never thin (x = r, S = R): the same layout for evaluation.
//   Align:      inference for a model trained with RDA: x = r, S = R, and the
//               target depth T is `align_depth` instead of R, so the model
//               embeds the cell as if sequenced that deeply.
// Input values  log1p(x_i / S * target_sum)   (the model input)
// Target values log1p(r_i / R * target_sum)   (what masked positions predict)
// Depth tokens  [S] = log1p(S), [T] = log1p(T) with T = R (Align: align_depth),
//               continuous values in front of both the inputs and the targets
//               (TransformOutput::depth_s / depth_t; the tokenizer places them).
// Guards: thinning that leaves S = 0 falls back to no thinning for that cell
// (x = r, counted as not downsampled), as the reference does; a cell with
// R = 0 gets all-zero values and [S] = [T] = log1p(0) = 0 (the reference adds
// 1 to R instead, which makes [T] = log1p(1); we keep depth = 0 honest).
#pragma once

#include <cstddef>
#include <cstdint>

#include "bmfm/data/random.h"

namespace bmfm::data {

enum class RdaMode { None, Downsample, Equal, Align };

struct RdaParams {
  RdaMode mode = RdaMode::Downsample;
  double threshold = 1000;   // thin only cells with R >= threshold
  double probability = 0.5;  // chance a cell above the threshold is thinned
  double beta_a = 2, beta_b = 2;
  double target_sum = 1e4;
  double align_depth = 0;  // Align: T (must be > 0)
};

struct RdaOutcome {
  double input_depth = 0;   // S
  double target_depth = 0;  // T (R, or align_depth)
  double raw_depth = 0;     // R
  bool downsampled = false;
  double b = 1;  // the Beta draw when downsampled, else 1
};

// raw[0..n): the kept raw counts; Downsample needs non-negative integers
// (std::invalid_argument naming the position and value otherwise). Writes
// input[0..n) and target[0..n) (may not alias raw). One Bernoulli draw per
// cell above the threshold, then one Beta and n Binomial draws when thinned.
RdaOutcome rda_transform(const float* raw, size_t n, const RdaParams& params, Rng& rng, float* input, float* target);

}  // namespace bmfm::data

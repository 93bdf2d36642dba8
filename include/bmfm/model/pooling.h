// One cell vector from the last layer's hidden states, the same way wherever
// a cell is read: the WCED decoder, label heads, `bmfm embed`, probes.
#pragma once

#include <string>

#include <ATen/ATen.h>

#include "bmfm/model/batch_tensors.h"

namespace bmfm::model {

// hidden (B, L, H) -> (B, H). how: cls (position 0) | mean (over the gene
// positions, BatchTensors::gene_mask; [CLS], [S] [T], [SEP] and padding are
// left out). Throws std::invalid_argument for another name.
at::Tensor pool_cells(const at::Tensor& hidden, const BatchTensors& batch, const std::string& how);

}  // namespace bmfm::model

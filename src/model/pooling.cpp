#include "bmfm/model/pooling.h"

#include <stdexcept>

namespace bmfm::model {

at::Tensor pool_cells(const at::Tensor& hidden, const BatchTensors& b, const std::string& how) {
  if (how == "cls") return hidden.select(1, 0);
  if (how != "mean") throw std::invalid_argument("pooling must be cls or mean, not '" + how + "'");
  if (!b.gene_mask.defined()) throw std::logic_error("pool_cells: mean pooling needs BatchTensors::gene_mask");
  const at::Tensor m = b.gene_mask.to(hidden.scalar_type()).unsqueeze(-1);
  // A cell with no gene position (all truncated away) pools to 0, not NaN.
  return (hidden * m).sum(1) / m.sum(1).clamp_min(1);
}

}  // namespace bmfm::model

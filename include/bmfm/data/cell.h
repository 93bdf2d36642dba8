// One cell as it flows from a file (or a corpus shard) into the per-cell
// transforms: vocabulary gene ids with their raw values, plus obs label codes.
#pragma once

#include <cstdint>
#include <vector>

namespace bmfm::data {

struct CellRecord {
  int64_t cell_index = -1;        // row in the source (file or corpus), for provenance and determinism
  std::vector<int32_t> genes;     // vocabulary ids of the expressed (stored) genes
  std::vector<float> values;      // raw values, same length as genes
  std::vector<int32_t> labels;    // obs label codes, one per configured label column (-100 = missing)
};

}  // namespace bmfm::data

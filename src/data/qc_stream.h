// Private to the QC sources: the chunked row loop they share.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "bmfm/data/qc.h"

namespace bmfm::data::detail {

// Threads that compute on a chunk while for_each_chunk's reader thread
// fetches the next one: `requested` (0 = all available cores) minus the
// reader, at least 1. Reading (HDF5 decompression, serialised inside HDF5)
// is the bottleneck, so the reader gets a core of its own.
int compute_threads(int64_t requested);

// Calls fn(chunk, row_begin) for consecutive chunks of at most chunk_rows rows
// (the whole matrix at once when the source cannot stream rows). With `keep`,
// each chunk is narrowed to the span between its first and last kept row and
// chunks without kept rows are not read at all. The next chunk is read on a
// background thread while fn works on the current one.
void for_each_chunk(const MatrixSource& src, int64_t chunk_rows, const std::vector<uint8_t>* keep,
                    const std::function<void(const io::CsrMatrix&, int64_t)>& fn);

}  // namespace bmfm::data::detail

// Private to the io area: locating and reading AnnData matrices (dense, CSR,
// CSC; the >= 0.7 encoding-type attributes and the legacy h5sparse ones).
#pragma once

#include <string>

#include "bmfm/io/anndata.h"
#include "hdf5_util.h"

namespace bmfm::io::detail {

struct MatrixLocation {
  std::string key;   // as asked for: X, layers/<name>, raw/X
  std::string path;  // in the file: X, layers/<name>, raw/X or the legacy raw.X
  MatrixInfo info;
};

// Resolves `key` and reads its encoding, shape, dtype, nnz and compression
// without touching the values. FormatError when absent or malformed.
MatrixLocation locate_matrix(const h5::File& f, const std::string& key);
bool has_matrix(const h5::File& f, const std::string& key);

// Rows [row_begin, row_end) as CSR (float32 values, file order within a row).
// CSR reads only indptr[row_begin..row_end] and the matching data/indices;
// dense reads row blocks; CSC streams the whole matrix in blocks.
CsrMatrix read_matrix_rows(const h5::File& f, const MatrixLocation& m, int64_t row_begin, int64_t row_end);

// A 2-D numeric dataset (or a 1-D one as one column, or an array field of a
// legacy compound table) as a row-major float32 matrix.
DenseMatrix read_dense(const h5::Dataset& ds);

}  // namespace bmfm::io::detail

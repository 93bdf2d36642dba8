// 10x Genomics CellRanger (v3+) feature-barcode matrix `.h5` reader.
#pragma once

#include <string>

#include "bmfm/io/anndata.h"

namespace bmfm::io {

// True when the file is HDF5 with a top-level `matrix` group (CellRanger v3 layout).
bool is_tenx_h5(const std::string& path);

// Reads `matrix/{data,indices,indptr,shape,barcodes}` and `matrix/features/*`.
// CellRanger stores genes x cells in CSC; the result is cells x genes CSR with
// obs index = barcodes (index name "barcodes"), var index = feature names
// (index name "gene_symbols") and var columns gene_ids, feature_types, genome
// (genome when present). CellRanger v2 files (one group per genome) are not
// supported. Throws FormatError naming the file.
AnnData read_tenx_h5(const std::string& path);

}  // namespace bmfm::io

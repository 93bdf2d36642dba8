// Writing cell embeddings where scanpy / numpy users pick them up:
//   add_obsm:  a copy of an h5ad with one more obsm entry, every other byte of
//              the input (X, layers, obs, var, uns, other obsm) carried over as is
//   write_npy: a float32 C-order .npy (NumPy format 1.0)
//   write_embedding_csv: "cell_id,v1,...,vD" rows, no header (as bmfm-targets writes)
// All three write to a temp file and rename, so an existing output is never half-written.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "bmfm/io/anndata.h"

namespace bmfm::io {

// Copies `input` to `output` and stores `m` (n_obs x D) as obsm/<key>
// (replacing an entry of that name). FormatError for the pre-0.7 compound
// obsm layout, which cannot take a 2-D entry.
void add_obsm(const std::string& input, const std::string& output, const std::string& key, const DenseMatrix& m);

// The same, for several obsm entries and categorical or float (Kind::Numeric) obs columns (appended to
// obs's column order; a column of that name is replaced). obs must be in the
// AnnData >= 0.8 layout (a dataframe group); FormatError otherwise.
void add_to_h5ad_copy(const std::string& input, const std::string& output, const std::vector<Column>& obs_categoricals,
                      const std::map<std::string, DenseMatrix>& obsm);

void write_npy(const std::string& path, const DenseMatrix& m);

void write_embedding_csv(const std::string& path, const std::vector<std::string>& cell_ids, const DenseMatrix& m);

}  // namespace bmfm::io

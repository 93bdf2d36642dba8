// h5ad (AnnData on HDF5) reading and writing through the HDF5 C API.
//
// Reading follows the AnnData on-disk spec: X as dense / CSR / CSC of any
// numeric dtype, layers/<name>, raw/X + raw/var, obs/var dataframes in the
// >= 0.8 encoding (categorical, string-array, numeric, nullable-integer,
// nullable-boolean), the 0.7 `__categories` form and the pre-0.7 compound
// dtype layout. Row ranges of CSR matrices are read through indptr slices so
// files larger than memory can be streamed.
//
// Every failure (missing file, not HDF5, truncated, inconsistent indptr,
// out-of-range index, unavailable compression filter) throws io::FormatError
// whose message names the file and the object at fault.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bmfm/io/anndata.h"
#include "bmfm/io/cell_reader.h"
#include "bmfm/io/error.h"

namespace bmfm::io {

// One open file. Methods are const and may be called from several threads
// (Debian's HDF5 is built thread-safe, so calls serialise inside HDF5).
class H5adReader : public CellReader {
 public:
  // Opens read-only and checks that X exists and that obs / var lengths match
  // its shape; throws FormatError.
  explicit H5adReader(const std::string& path);
  ~H5adReader() override;
  H5adReader(H5adReader&&) noexcept;
  H5adReader& operator=(H5adReader&&) noexcept;
  H5adReader(const H5adReader&) = delete;
  H5adReader& operator=(const H5adReader&) = delete;

  const std::string& path() const override;
  std::string format() const override { return "h5ad"; }
  int64_t n_obs() const override;
  int64_t n_vars() const override;

  // `key` is "X", "layers/<name>" or "raw/X".
  MatrixInfo matrix_info(const std::string& key = "X") const override;
  bool has_matrix(const std::string& key) const override;
  // Rows [row_begin, row_end) of a matrix as CSR (dense rows are sparsified,
  // CSC is transposed; CSC row slices stream the whole matrix). Values of any
  // numeric dtype become float32; stored NaNs are kept. A range outside the
  // matrix throws std::out_of_range; bad content throws FormatError.
  CsrMatrix read_matrix(const std::string& key = "X", int64_t row_begin = 0, int64_t row_end = -1) const override;

  // An absent obs / var table reads as anndata's default index "0", "1", ...
  DataFrame read_obs() const override;
  DataFrame read_var() const override;
  bool has_raw() const override;
  DataFrame read_raw_var() const override;

  std::vector<std::string> layer_names() const override;
  std::vector<std::string> obsm_keys() const override;
  // Entries of uns / obsp / varm / varp: bmfm does not read them, so commands
  // that rewrite a file warn that they are not carried over.
  std::vector<std::string> unread_entries() const override;
  // A dense numeric obsm entry (1-D reads as one column) as float32;
  // sparse or dataframe entries throw FormatError.
  DenseMatrix read_obsm(const std::string& key) const override;

  // Everything: X, obs, var, layers, the dense obsm entries (others stay on
  // disk), raw.
  AnnData read_all() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Writes an AnnData-readable h5ad (encoding 0.8: X as CSR float32,
// categoricals as categoricals, obsm as dense float32, layers as CSR, raw).
// The whole object is checked first (shapes, indptr, codes, unique category
// names, dtypes). Written to `path + ".tmp"` and renamed, so an existing file
// at `path` is never left half-written. Throws FormatError naming the path.
// Column dtypes pick the encoding: Integer "Int64"/"UInt8"/... or any mask ->
// nullable-integer; Boolean "boolean" or a mask -> nullable-boolean;
// Numeric "float32" -> float32, else float64.
void write_h5ad(const std::string& path, const AnnData& adata);

struct H5adWriteOptions {
  enum class Compression { None, Gzip, Lzf };
  Compression compression = Compression::Gzip;
  int gzip_level = 4;  // 1 (fast) .. 9 (small)
};
void write_h5ad(const std::string& path, const AnnData& adata, const H5adWriteOptions& options);

// Gene identifiers from var: the index when `column` is empty, else that column
// (e.g. "gene_symbol", "feature_name"; a categorical column gives its labels).
// Throws FormatError listing var's columns.
std::vector<std::string> gene_ids(const DataFrame& var, const std::string& column = "");

}  // namespace bmfm::io

// TileDB-SOMA experiments (the CELLxGENE Census format) as a CellReader.
//
// An experiment folder holds `obs` (a SOMADataFrame) and `ms/<measurement>`
// with `var` and `X/<layer>` (SOMASparseNDArrays indexed by soma_dim_0 = obs
// soma_joinid, soma_dim_1 = var soma_joinid). Rows are obs in soma_joinid
// order. "X" is the primary layer: `raw` (Census), else `counts`, else `data`,
// else the first; every other layer is "layers/<name>". X is read in row bands
// aligned to its soma_dim_0 tile extent and sorted within each band, so a
// selection larger than memory streams.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bmfm/io/cell_reader.h"
#include "bmfm/io/tiledb.h"

namespace bmfm::io {

class SomaExperiment : public CellReader {
 public:
  explicit SomaExperiment(const std::string& folder, const std::string& measurement = "");
  ~SomaExperiment() override;

  const std::string& path() const override;
  std::string format() const override { return "soma"; }
  int64_t n_obs() const override;
  int64_t n_vars() const override;
  MatrixInfo matrix_info(const std::string& key = "X") const override;
  bool has_matrix(const std::string& key) const override;
  CsrMatrix read_matrix(const std::string& key = "X", int64_t row_begin = 0, int64_t row_end = -1) const override;
  DataFrame read_obs() const override;
  DataFrame read_obs_columns(const std::vector<std::string>& columns) const override;
  DataFrame read_var() const override;
  bool has_raw() const override { return false; }
  DataFrame read_raw_var() const override;
  std::vector<std::string> layer_names() const override;
  std::vector<std::string> obsm_keys() const override;
  std::vector<std::string> unread_entries() const override;
  DenseMatrix read_obsm(const std::string& key) const override;
  AnnData read_all() const override;

  const std::string& measurement() const;
  const std::string& primary_layer() const;
  // Bytes of compressed X tiles read so far (benchmarks).
  uint64_t x_bytes_read() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A SOMADataFrame as an io::DataFrame in soma_joinid order: the index is the
// first of `index_columns` present (else the joinids), enumerations become
// categoricals, nullable values become masks / NaN, soma_joinid is dropped.
// `joinids` (if given) receives the sorted soma_joinid values; `columns` (if
// given) limits the columns read to those (the index is always read).
DataFrame read_soma_dataframe(const tiledb::Array& array, const std::vector<std::string>& index_columns,
                              std::vector<int64_t>* joinids = nullptr, const std::vector<std::string>* columns = nullptr);

}  // namespace bmfm::io

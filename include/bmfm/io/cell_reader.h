// One interface over the cell-by-gene sources bmfm reads: h5ad files and
// TileDB-SOMA experiments (CELLxGENE Census copies). `bmfm inspect`, `qc` and
// `prepare` take either through open_cells(); an obs filter narrows any source
// to the cells it selects, and row ranges then count selected cells only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bmfm/io/anndata.h"
#include "bmfm/io/error.h"

namespace bmfm::io {

class CellReader {
 public:
  virtual ~CellReader() = default;

  virtual const std::string& path() const = 0;
  virtual std::string format() const = 0;  // "h5ad" or "soma"
  virtual int64_t n_obs() const = 0;
  virtual int64_t n_vars() const = 0;

  // `key` is "X", "layers/<name>" or "raw/X".
  virtual MatrixInfo matrix_info(const std::string& key = "X") const = 0;
  virtual bool has_matrix(const std::string& key) const = 0;
  // Rows [row_begin, row_end) as CSR, values as float32. A range outside the
  // matrix throws std::out_of_range; bad content throws FormatError.
  virtual CsrMatrix read_matrix(const std::string& key = "X", int64_t row_begin = 0, int64_t row_end = -1) const = 0;

  virtual DataFrame read_obs() const = 0;
  // obs with only `columns` and the index (a name equal to the index's is
  // skipped): what filters, samplers and label columns need. SOMA reads only
  // these columns of a (Census-sized) obs; the default reads obs and drops
  // the others. A column obs lacks is a FormatError listing the ones it has.
  virtual DataFrame read_obs_columns(const std::vector<std::string>& columns) const;
  virtual DataFrame read_var() const = 0;
  virtual bool has_raw() const = 0;
  virtual DataFrame read_raw_var() const = 0;

  virtual std::vector<std::string> layer_names() const = 0;
  virtual std::vector<std::string> obsm_keys() const = 0;
  // Entries bmfm does not read (uns, obsp, varm, ...): commands that rewrite
  // a file warn that they are not carried over.
  virtual std::vector<std::string> unread_entries() const = 0;
  virtual DenseMatrix read_obsm(const std::string& key) const = 0;

  // Everything: X, obs, var, layers, dense obsm entries, raw.
  virtual AnnData read_all() const = 0;
};

struct OpenOptions {
  // SOMA: the measurement to read (ms/<name>); "" = the only one, else "RNA".
  std::string measurement;
  // Census-style value filter on obs, e.g. "tissue_general == 'blood' and
  // is_primary_data == True" (see obs_filter.h); "" = every cell.
  std::string obs_filter;
};

// True for a folder that is a TileDB-SOMA experiment (a group whose metadata
// says soma_object_type = SOMAExperiment).
bool is_soma_experiment(const std::string& path);

// Opens an h5ad file or a SOMA experiment folder; with options.obs_filter set,
// the reader shows only the selected cells. Throws FormatError naming the path.
std::unique_ptr<CellReader> open_cells(const std::string& path, const OpenOptions& options = {});

// A reader that shows the rows `rows` (ascending positions) of `base`.
std::unique_ptr<CellReader> select_rows(std::unique_ptr<CellReader> base, std::vector<int64_t> rows,
                                        std::string description);

}  // namespace bmfm::io

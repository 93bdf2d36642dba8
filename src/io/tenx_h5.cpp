// 10x CellRanger v3 feature-barcode matrix (.h5).
//
// matrix/{data, indices, indptr, shape} hold genes x cells in CSC: column j
// (a cell) is entries indptr[j] .. indptr[j+1] with gene row indices. Those
// same arrays read as rows are the cells x genes CSR matrix, so no transpose
// is needed.
#include "bmfm/io/tenx_h5.h"

#include <fmt/format.h>

#include <filesystem>

#include "bmfm/io/error.h"
#include "hdf5_util.h"

namespace bmfm::io {

namespace {

h5::Dataset require_1d(const h5::File& f, const std::string& p) {
  if (f.kind(p) != h5::ObjectKind::Dataset) f.fail(p, "missing (not a CellRanger v3 feature-barcode matrix?)");
  h5::Dataset ds = f.dataset(p);
  if (ds.rank() != 1) ds.fail(fmt::format("expected a 1-D array, found {}-D", ds.rank()));
  return ds;
}

Column string_column(const std::string& name, std::vector<std::string> values) {
  Column c;
  c.name = name;
  c.kind = Column::Kind::String;
  c.dtype = "str";
  c.strings = std::move(values);
  return c;
}

}  // namespace

bool is_tenx_h5(const std::string& path) {
  h5::ensure_ready();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  htri_t is_h5 = H5Fis_hdf5(path.c_str());
  if (is_h5 <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return false;
  }
  try {
    h5::File f = h5::File::open_read(path);
    return f.kind("matrix") == h5::ObjectKind::Group && !f.exists("X");
  } catch (const FormatError&) {
    return false;  // unreadable: let the h5ad reader report why
  }
}

AnnData read_tenx_h5(const std::string& path) {
  h5::File f = h5::File::open_read(path);
  if (f.kind("matrix") != h5::ObjectKind::Group) {
    if (f.exists("X")) f.fail("matrix", "no 'matrix' group: this looks like an .h5ad file, not a 10x .h5");
    f.fail("matrix",
           "no 'matrix' group: not a CellRanger v3+ feature-barcode matrix (CellRanger v2 files, with one group per "
           "genome, are not supported; convert with scanpy.read_10x_h5 and write an .h5ad)");
  }
  std::vector<int64_t> shape = h5::read_numeric<int64_t>(require_1d(f, "matrix/shape"));
  if (shape.size() != 2 || shape[0] < 0 || shape[1] < 0 || shape[0] > INT32_MAX)
    f.fail("matrix/shape", "expected two non-negative numbers (n_features, n_barcodes)");
  const int64_t n_genes = shape[0], n_cells = shape[1];

  h5::Dataset data = require_1d(f, "matrix/data"), indices = require_1d(f, "matrix/indices"),
              indptr = require_1d(f, "matrix/indptr");
  if (indices.length() != data.length())
    indices.fail(fmt::format("has {} entries but data has {}", indices.length(), data.length()));
  if (indptr.length() != n_cells + 1)
    indptr.fail(fmt::format("has {} entries, expected n_barcodes + 1 = {}", indptr.length(), n_cells + 1));

  AnnData ad;
  CsrMatrix& X = ad.X;
  X.n_rows = n_cells;
  X.n_cols = n_genes;
  X.indptr = h5::read_numeric<int64_t>(indptr);
  if (X.indptr.front() != 0) indptr.fail(fmt::format("indptr[0] = {}, expected 0", X.indptr.front()));
  for (size_t j = 0; j + 1 < X.indptr.size(); ++j)
    if (X.indptr[j + 1] < X.indptr[j])
      indptr.fail(fmt::format("indptr is not monotone at barcode {}: {} > {}", j, X.indptr[j], X.indptr[j + 1]));
  if (X.indptr.back() != data.length())
    indptr.fail(fmt::format("indptr ends at {} but there are {} stored values", X.indptr.back(), data.length()));
  X.data = h5::read_numeric<float>(data);
  std::vector<int64_t> genes = h5::read_numeric<int64_t>(indices);
  X.indices.resize(genes.size());
  for (size_t k = 0; k < genes.size(); ++k) {
    if (genes[k] < 0 || genes[k] >= n_genes)
      indices.fail(fmt::format("feature index {} at position {} is outside [0, {})", genes[k], k, n_genes));
    X.indices[k] = static_cast<int32_t>(genes[k]);
  }

  auto strings = [&](const std::string& p, int64_t n) {
    std::vector<std::string> v = h5::read_strings(require_1d(f, p));
    if (static_cast<int64_t>(v.size()) != n) f.fail(p, fmt::format("has {} entries, expected {}", v.size(), n));
    return v;
  };
  ad.obs.index_name = "barcodes";
  ad.obs.index = strings("matrix/barcodes", n_cells);
  ad.var.index_name = "gene_symbols";
  ad.var.index = strings("matrix/features/name", n_genes);
  ad.var.columns.push_back(string_column("gene_ids", strings("matrix/features/id", n_genes)));
  ad.var.columns.push_back(string_column("feature_types", strings("matrix/features/feature_type", n_genes)));
  if (f.exists("matrix/features/genome"))
    ad.var.columns.push_back(string_column("genome", strings("matrix/features/genome", n_genes)));
  return ad;
}

}  // namespace bmfm::io

// Private to the io area: reading obs / var / raw/var tables in the three
// layouts AnnData has used (>= 0.8 encoded groups, the 0.7 `__categories`
// form, and pre-0.7 compound datasets with categories under uns/).
#pragma once

#include <string>

#include "bmfm/io/anndata.h"
#include "hdf5_util.h"

namespace bmfm::io::detail {

// The table at `path` (e.g. "obs", "raw/var", "raw.var"). FormatError names
// the file, the column and the problem.
DataFrame read_dataframe(const h5::File& f, const std::string& path);

// Its row count (index length) without reading any values.
int64_t dataframe_rows(const h5::File& f, const std::string& path);

}  // namespace bmfm::io::detail

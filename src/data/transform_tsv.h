// Internal: a minimal reader for the small tab-separated tables the
// transforms take (gene locations, gene medians). Header row required; fields
// wrapped in double quotes have them removed; '\r' line ends are tolerated.
#pragma once

#include <string>
#include <vector>

namespace bmfm::data::detail {

struct TsvColumns {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> columns;  // one per requested name, in request order
};

// True when `path`'s header has every column in `names`.
bool tsv_has_columns(const std::string& path, const std::vector<std::string>& names);
// Reads the named columns; throws std::runtime_error naming the file, the
// missing column and the columns it has.
TsvColumns read_tsv_columns(const std::string& path, const std::vector<std::string>& names);

}  // namespace bmfm::data::detail

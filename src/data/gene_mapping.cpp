#include "bmfm/data/gene_mapping.h"

#include <algorithm>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

#include "bmfm/io/h5ad.h"

namespace bmfm::data {

namespace {

// "ENSG00000141510.16" -> "ENSG00000141510"; anything not shaped "ENS<...>.<digits>" is returned as is.
std::string_view strip_version(std::string_view id) {
  if (id.size() < 5 || id.compare(0, 3, "ENS") != 0) return id;
  const size_t dot = id.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == id.size() || dot < 4) return id;
  for (size_t i = dot + 1; i < id.size(); ++i)
    if (id[i] < '0' || id[i] > '9') return id;
  return id.substr(0, dot);
}

}  // namespace

GeneMapping GeneMapping::build(const std::vector<std::string>& var_genes, const Vocab& vocab,
                               const GeneMappingOptions& options, const std::string& source) {
  GeneMapping m;
  m.vocab_size_ = vocab.size();
  m.vocab_hash_ = vocab.hash();
  m.source_ = source;
  m.var_to_vocab_.assign(var_genes.size(), -1);

  // With version stripping, look genes up by their stripped id; two vocabulary
  // genes that strip to the same id would make the mapping ambiguous.
  std::unordered_map<std::string_view, int32_t> stripped;
  if (options.strip_ensembl_version) {
    stripped.reserve(static_cast<size_t>(vocab.n_genes()));
    for (int32_t id = vocab.n_special(); id < vocab.size(); ++id) {
      const std::string_view key = strip_version(vocab.token(id));
      auto [it, inserted] = stripped.emplace(key, id);
      if (!inserted)
        throw std::invalid_argument(fmt::format(
            "gene mapping ({}): vocabulary genes '{}' and '{}' are the same Ensembl id once versions are stripped; "
            "set strip_ensembl_version: false or fix the vocabulary",
            source, vocab.token(it->second), vocab.token(id)));
    }
  }

  std::vector<uint8_t> taken(static_cast<size_t>(vocab.size()), 0);
  for (size_t v = 0; v < var_genes.size(); ++v) {
    const std::string& name = var_genes[v];
    int32_t id = -1;
    if (!name.empty()) {
      if (options.strip_ensembl_version) {
        auto it = stripped.find(strip_version(name));
        if (it != stripped.end()) id = it->second;
      } else {
        id = vocab.id(name);
        if (vocab.is_special(id)) id = -1;  // a var column named "[PAD]" is not a gene
      }
    }
    m.var_to_vocab_[v] = id;
    if (id < 0) {
      if (m.unmapped_examples_.size() < 10) m.unmapped_examples_.push_back(name.empty() ? "<empty>" : name);
      continue;
    }
    ++m.n_mapped_;
    if (taken[static_cast<size_t>(id)]) {
      ++m.n_duplicates_;
    } else {
      taken[static_cast<size_t>(id)] = 1;
      m.mapped_ids_.push_back(id);
    }
  }
  std::sort(m.mapped_ids_.begin(), m.mapped_ids_.end());
  return m;
}

GeneMapping GeneMapping::from_var(const io::DataFrame& var, const Vocab& vocab, const GeneMappingOptions& options,
                                  const std::string& source) {
  const std::string where =
      options.column.empty() ? "var index of " + source : "var column '" + options.column + "' of " + source;
  return build(io::gene_ids(var, options.column), vocab, options, where);
}

std::string GeneMapping::summary() const {
  std::string s = fmt::format("{}: {} genes, {} mapped to the vocabulary, {} unmapped", source_, n_vars(), n_mapped(),
                              n_unmapped());
  if (!unmapped_examples_.empty()) s += fmt::format(" (e.g. {})", fmt::join(unmapped_examples_, ", "));
  if (n_duplicates_ > 0) s += fmt::format(", {} duplicates summed into an earlier column's gene", n_duplicates_);
  return s;
}

namespace {

void require_columns(const io::CsrMatrix& X, const GeneMapping& mapping, const char* what) {
  if (X.n_cols != mapping.n_vars())
    throw std::invalid_argument(fmt::format("{}: matrix has {} columns but the gene mapping ({}) has {} genes", what,
                                            X.n_cols, mapping.source(), mapping.n_vars()));
}

int64_t resolve_end(const io::CellReader& reader, int64_t row_begin, int64_t row_end, int64_t chunk_rows,
                    const char* what) {
  const int64_t n = reader.n_obs();
  const int64_t end = row_end < 0 ? n : row_end;
  if (row_begin < 0 || row_begin > end || end > n)
    throw std::out_of_range(
        fmt::format("{}: row range [{}, {}) is outside the {} rows of {}", what, row_begin, row_end, n, reader.path()));
  if (chunk_rows <= 0) throw std::invalid_argument(fmt::format("{}: chunk_rows must be positive", what));
  return end;
}

}  // namespace

UnmappedCounts count_unmapped(const io::CsrMatrix& X, const GeneMapping& mapping) {
  require_columns(X, mapping, "count_unmapped");
  UnmappedCounts c;
  c.n_cells = X.n_rows;
  const auto& map = mapping.var_to_vocab();
  for (size_t k = 0; k < X.data.size(); ++k) {
    const double v = X.data[k];
    c.total += v;
    if (map[static_cast<size_t>(X.indices[k])] < 0) c.unmapped += v;
  }
  return c;
}

UnmappedCounts count_unmapped(const io::CellReader& reader, const GeneMapping& mapping, const std::string& key,
                              int64_t row_begin, int64_t row_end, int64_t chunk_rows) {
  const int64_t end = resolve_end(reader, row_begin, row_end, chunk_rows, "count_unmapped");
  UnmappedCounts total;
  for (int64_t r = row_begin; r < end; r += chunk_rows) {
    const auto X = reader.read_matrix(key, r, std::min(end, r + chunk_rows));
    total.add(count_unmapped(X, mapping));
  }
  return total;
}

std::vector<double> mapped_totals(const io::CellReader& reader, const GeneMapping& mapping, const std::string& key,
                                  int64_t row_begin, int64_t row_end, int64_t chunk_rows) {
  const int64_t end = resolve_end(reader, row_begin, row_end, chunk_rows, "mapped_totals");
  std::vector<double> totals;
  totals.reserve(static_cast<size_t>(end - row_begin));
  const auto& map = mapping.var_to_vocab();
  for (int64_t r = row_begin; r < end; r += chunk_rows) {
    const auto X = reader.read_matrix(key, r, std::min(end, r + chunk_rows));
    require_columns(X, mapping, "mapped_totals");
    for (int64_t i = 0; i < X.n_rows; ++i) {
      double t = 0;
      for (int64_t k = X.indptr[static_cast<size_t>(i)]; k < X.indptr[static_cast<size_t>(i) + 1]; ++k)
        if (map[static_cast<size_t>(X.indices[static_cast<size_t>(k)])] >= 0) t += X.data[static_cast<size_t>(k)];
      totals.push_back(t);
    }
  }
  return totals;
}

CellRecordBuilder::CellRecordBuilder(const GeneMapping& mapping) : mapping_(&mapping) {
  if (mapping.n_duplicates() > 0) slot_.assign(static_cast<size_t>(mapping.vocab_size()), -1);
}

void CellRecordBuilder::build(const io::CsrMatrix& X, int64_t row, int64_t cell_index, CellRecord& out) {
  require_columns(X, *mapping_, "CellRecordBuilder");
  if (row < 0 || row >= X.n_rows)
    throw std::out_of_range(fmt::format("CellRecordBuilder: row {} outside a matrix of {} rows", row, X.n_rows));
  out.cell_index = cell_index;
  out.genes.clear();
  out.values.clear();
  const auto& map = mapping_->var_to_vocab();
  const auto begin = static_cast<size_t>(X.indptr[static_cast<size_t>(row)]);
  const auto end = static_cast<size_t>(X.indptr[static_cast<size_t>(row) + 1]);
  if (slot_.empty()) {  // no duplicate targets: one pass, no lookups
    for (size_t k = begin; k < end; ++k) {
      const int32_t g = map[static_cast<size_t>(X.indices[k])];
      const float v = X.data[k];
      if (g < 0 || v == 0.0f) continue;
      out.genes.push_back(g);
      out.values.push_back(v);
    }
    return;
  }
  for (size_t k = begin; k < end; ++k) {
    const int32_t g = map[static_cast<size_t>(X.indices[k])];
    const float v = X.data[k];
    if (g < 0 || v == 0.0f) continue;
    int32_t& s = slot_[static_cast<size_t>(g)];
    if (s >= 0) {
      out.values[static_cast<size_t>(s)] += v;
    } else {
      s = static_cast<int32_t>(out.genes.size());
      out.genes.push_back(g);
      out.values.push_back(v);
    }
  }
  for (int32_t g : out.genes) slot_[static_cast<size_t>(g)] = -1;
}

}  // namespace bmfm::data

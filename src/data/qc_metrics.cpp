// QC metrics: the matrix sources, the chunked row loop and the one streaming
// pass that computes scanpy's per-cell metrics and per-gene n_cells.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <future>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "bmfm/config/error.h"
#include "bmfm/data/qc.h"
#include "bmfm/io/error.h"
#include "qc_stream.h"

namespace bmfm::data {

namespace detail {

int compute_threads(int64_t requested) {
  int n = static_cast<int>(requested);
  if (n <= 0) n = std::max(1, std::min(static_cast<int>(std::thread::hardware_concurrency()), omp_get_num_procs()));
  return std::max(1, n - 1);
}

void for_each_chunk(const MatrixSource& src, int64_t chunk_rows, const std::vector<uint8_t>* keep,
                    const std::function<void(const io::CsrMatrix&, int64_t)>& fn) {
  const int64_t step = src.row_streamable ? std::max<int64_t>(1, chunk_rows) : std::max<int64_t>(1, src.n_rows);
  // The spans to read, narrowed to the kept rows.
  std::vector<std::pair<int64_t, int64_t>> spans;
  for (int64_t b = 0; b < src.n_rows; b += step) {
    int64_t e = std::min(src.n_rows, b + step);
    if (keep) {
      int64_t first = b, last = e;
      while (first < e && !(*keep)[static_cast<size_t>(first)]) ++first;
      while (last > first && !(*keep)[static_cast<size_t>(last - 1)]) --last;
      if (first == last) continue;
      spans.emplace_back(first, last);
    } else {
      spans.emplace_back(b, e);
    }
  }
  if (spans.empty()) return;
  auto read = [&src](std::pair<int64_t, int64_t> s) { return src.read(s.first, s.second); };
  std::future<io::CsrMatrix> next = std::async(std::launch::async, read, spans[0]);
  for (size_t i = 0; i < spans.size(); ++i) {
    io::CsrMatrix chunk = next.get();
    if (i + 1 < spans.size()) next = std::async(std::launch::async, read, spans[i + 1]);
    try {
      fn(chunk, spans[i].first);
    } catch (...) {
      if (next.valid()) next.wait();  // never leave a read running on a source that is going away
      throw;
    }
  }
}

}  // namespace detail

MatrixSource matrix_source(const io::CellReader& reader, const std::string& key) {
  auto layers_text = [&] {
    std::string s;
    for (const auto& l : reader.layer_names()) s += (s.empty() ? "layers/" : ", layers/") + l;
    return s.empty() ? std::string("(the file has no layers)") : "the file has " + s;
  };
  if (key == "raw/X")
    throw ConfigError(fmt::format("qc.matrix = raw/X: QC filters X's genes, and raw/X has its own var (raw/var); "
                                  "use X or layers/<name> ({})",
                                  layers_text()));
  if (key != "X" && key.rfind("layers/", 0) != 0)
    throw ConfigError(fmt::format("qc.matrix = '{}': expected X or layers/<name> ({})", key, layers_text()));
  if (!reader.has_matrix(key))
    throw ConfigError(fmt::format("qc.matrix = '{}': {} has no such matrix; {}", key, reader.path(), layers_text()));
  const io::MatrixInfo info = reader.matrix_info(key);
  MatrixSource s;
  s.what = key + " of " + reader.path();
  s.n_rows = info.n_rows;
  s.n_cols = info.n_cols;
  s.row_streamable = info.encoding != io::MatrixInfo::Encoding::Csc;
  if (!s.row_streamable)
    spdlog::warn("{} is stored as CSC, whose rows cannot be read in chunks: QC reads it whole", s.what);
  s.alternatives = "X";
  for (const auto& l : reader.layer_names()) s.alternatives += ", layers/" + l;
  const io::CellReader* r = &reader;
  s.read = [r, key](int64_t b, int64_t e) { return r->read_matrix(key, b, e); };
  return s;
}

MatrixSource matrix_source(const io::CsrMatrix& m, std::string what) {
  MatrixSource s;
  s.what = std::move(what);
  s.n_rows = m.n_rows;
  s.n_cols = m.n_cols;
  const io::CsrMatrix* p = &m;
  s.read = [p](int64_t b, int64_t e) {
    if (b < 0 || e > p->n_rows || b > e) throw std::out_of_range(fmt::format("rows [{}, {}) of {}", b, e, p->n_rows));
    io::CsrMatrix out;
    out.n_rows = e - b;
    out.n_cols = p->n_cols;
    const int64_t k0 = p->indptr[static_cast<size_t>(b)], k1 = p->indptr[static_cast<size_t>(e)];
    out.indptr.assign(p->indptr.begin() + b, p->indptr.begin() + e + 1);
    for (auto& k : out.indptr) k -= k0;
    out.indices.assign(p->indices.begin() + k0, p->indices.begin() + k1);
    out.data.assign(p->data.begin() + k0, p->data.begin() + k1);
    return out;
  };
  return s;
}

std::vector<uint8_t> gene_flags(const std::vector<std::string>& names, const std::vector<std::string>& mt_prefixes,
                                const std::vector<std::string>& ribo_prefixes) {
  auto starts = [](const std::string& name, const std::vector<std::string>& prefixes) {
    for (const auto& p : prefixes)
      if (!p.empty() && name.compare(0, p.size(), p) == 0) return true;
    return false;
  };
  std::vector<uint8_t> flags(names.size(), 0);
  for (size_t g = 0; g < names.size(); ++g) {
    if (starts(names[g], mt_prefixes)) flags[g] |= kGeneMt;
    if (starts(names[g], ribo_prefixes)) flags[g] |= kGeneRibo;
  }
  return flags;
}

double CellMetrics::mt_fraction(int64_t i) const {
  const double t = total_counts[static_cast<size_t>(i)];
  return t > 0 ? total_counts_mt[static_cast<size_t>(i)] / t : 0.0;
}

double CellMetrics::ribo_fraction(int64_t i) const {
  const double t = total_counts[static_cast<size_t>(i)];
  return t > 0 ? total_counts_ribo[static_cast<size_t>(i)] / t : 0.0;
}

double CellMetrics::value(const std::string& metric, int64_t i) const {
  const auto u = static_cast<size_t>(i);
  if (metric == "total_counts") return total_counts[u];
  if (metric == "n_genes_by_counts") return n_genes_by_counts[u];
  if (metric == "pct_counts_mt") return 100.0 * mt_fraction(i);
  if (metric == "pct_counts_ribo") return 100.0 * ribo_fraction(i);
  if (metric == "log1p_total_counts") return std::log1p(total_counts[u]);
  if (metric == "log1p_n_genes_by_counts") return std::log1p(static_cast<double>(n_genes_by_counts[u]));
  if (metric == "total_counts_mt") return total_counts_mt[u];
  if (metric == "total_counts_ribo") return total_counts_ribo[u];
  throw std::invalid_argument("unknown QC metric '" + metric + "'");
}

std::vector<double> CellMetrics::values(const std::string& metric, const std::vector<int64_t>& rows) const {
  std::function<double(int64_t)> get;
  if (metric == "total_counts") get = [this](int64_t i) { return total_counts[static_cast<size_t>(i)]; };
  else if (metric == "n_genes_by_counts") get = [this](int64_t i) { return double(n_genes_by_counts[static_cast<size_t>(i)]); };
  else if (metric == "pct_counts_mt") get = [this](int64_t i) { return 100.0 * mt_fraction(i); };
  else if (metric == "pct_counts_ribo") get = [this](int64_t i) { return 100.0 * ribo_fraction(i); };
  else if (metric == "log1p_total_counts") get = [this](int64_t i) { return std::log1p(total_counts[static_cast<size_t>(i)]); };
  else if (metric == "log1p_n_genes_by_counts")
    get = [this](int64_t i) { return std::log1p(static_cast<double>(n_genes_by_counts[static_cast<size_t>(i)])); };
  else if (metric == "total_counts_mt") get = [this](int64_t i) { return total_counts_mt[static_cast<size_t>(i)]; };
  else if (metric == "total_counts_ribo") get = [this](int64_t i) { return total_counts_ribo[static_cast<size_t>(i)]; };
  else throw std::invalid_argument("unknown QC metric '" + metric + "'");
  std::vector<double> out;
  if (rows.empty()) {
    out.resize(static_cast<size_t>(n_cells()));
    for (int64_t i = 0; i < n_cells(); ++i) out[static_cast<size_t>(i)] = get(i);
  } else {
    out.reserve(rows.size());
    for (int64_t i : rows) out.push_back(get(i));
  }
  return out;
}

namespace {

bool is_count(float v) { return v >= 0 && std::isfinite(v) && v == std::floor(v); }

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// "cell row R, gene column C holds V (why)" for the first non-count value of chunk row r.
std::string first_non_count(const io::CsrMatrix& chunk, int64_t r, int64_t row0) {
  for (int64_t k = chunk.indptr[static_cast<size_t>(r)]; k < chunk.indptr[static_cast<size_t>(r) + 1]; ++k) {
    const float v = chunk.data[static_cast<size_t>(k)];
    if (is_count(v)) continue;
    const char* why = std::isnan(v) ? "NaN" : !std::isfinite(v) ? "infinite" : v < 0 ? "negative" : "not an integer";
    return fmt::format("cell row {}, gene column {} holds {} ({})", row0 + r, chunk.indices[static_cast<size_t>(k)], v,
                       why);
  }
  return "a value that is not a count";
}

}  // namespace

CellMetrics compute_cell_metrics(const MatrixSource& src, const std::vector<uint8_t>& flags, const StreamOptions& opt) {
  if (static_cast<int64_t>(flags.size()) != src.n_cols)
    throw std::invalid_argument(
        fmt::format("compute_cell_metrics: {} gene flags for {} columns of {}", flags.size(), src.n_cols, src.what));
  CellMetrics m;
  const auto n = static_cast<size_t>(src.n_rows), G = static_cast<size_t>(src.n_cols);
  m.total_counts.assign(n, 0);
  m.n_genes_by_counts.assign(n, 0);
  m.total_counts_mt.assign(n, 0);
  m.total_counts_ribo.assign(n, 0);
  for (uint8_t f : flags) {
    m.n_mt_genes += (f & kGeneMt) ? 1 : 0;
    m.n_ribo_genes += (f & kGeneRibo) ? 1 : 0;
  }
  const int nt = detail::compute_threads(opt.threads);
  std::vector<std::vector<int64_t>> n_cells_local(static_cast<size_t>(nt), std::vector<int64_t>(G, 0));

  detail::for_each_chunk(src, opt.chunk_rows, nullptr, [&](const io::CsrMatrix& chunk, int64_t row0) {
    int64_t first_bad = -1;  // chunk row of the first non-count value
#pragma omp parallel num_threads(nt)
    {
      auto& n_cells = n_cells_local[static_cast<size_t>(omp_get_thread_num())];
      int64_t my_bad = -1;
#pragma omp for schedule(static)
      for (int64_t r = 0; r < chunk.n_rows; ++r) {
        double total = 0, mt = 0, ribo = 0;
        int32_t genes = 0;
        for (int64_t k = chunk.indptr[static_cast<size_t>(r)]; k < chunk.indptr[static_cast<size_t>(r) + 1]; ++k) {
          const float v = chunk.data[static_cast<size_t>(k)];
          const auto g = static_cast<size_t>(chunk.indices[static_cast<size_t>(k)]);
          if (!is_count(v) && my_bad < 0) my_bad = r;
          total += v;
          if (v > 0) {
            ++genes;
            ++n_cells[g];
          }
          const uint8_t f = flags[g];
          if (f & kGeneMt) mt += v;
          if (f & kGeneRibo) ribo += v;
        }
        const auto i = static_cast<size_t>(row0 + r);
        m.total_counts[i] = total;
        m.n_genes_by_counts[i] = genes;
        m.total_counts_mt[i] = mt;
        m.total_counts_ribo[i] = ribo;
      }
      if (my_bad >= 0) {
#pragma omp critical
        if (first_bad < 0 || my_bad < first_bad) first_bad = my_bad;
      }
    }
    if (first_bad >= 0 && m.not_counts.empty()) {
      m.not_counts = first_non_count(chunk, first_bad, row0);
      if (!opt.require_counts_for.empty())
        throw io::FormatError(fmt::format(
            "{} does not hold raw counts ({}), and QC rule(s) {} need raw counts: point qc.matrix at the counts{} or "
            "turn those rules off",
            src.what, m.not_counts, join(opt.require_counts_for),
            src.alternatives.empty() ? "" : " (this file has: " + src.alternatives + ")"));
    }
  });
  m.gene_n_cells.assign(G, 0);
  for (const auto& local : n_cells_local)
    for (size_t g = 0; g < G; ++g) m.gene_n_cells[g] += local[g];
  return m;
}

double percentile_linear(std::vector<double> values, double q) {
  if (values.empty()) throw std::invalid_argument("percentile of an empty set");
  if (!(q >= 0 && q <= 100)) throw std::invalid_argument(fmt::format("percentile q = {} outside [0, 100]", q));
  // numpy's default ("linear", method 7 of Hyndman & Fan): h = (n - 1) q / 100,
  // interpolate between the order statistics floor(h) and floor(h) + 1.
  // The order of operations and the two-sided lerp follow numpy (>= 1.22) so
  // that bounds agree to the last bit.
  const double h = static_cast<double>(values.size() - 1) * (q / 100.0);
  const auto lo = static_cast<size_t>(std::floor(h));
  std::nth_element(values.begin(), values.begin() + static_cast<long>(lo), values.end());
  const double v_lo = values[lo];
  if (lo + 1 >= values.size()) return v_lo;
  const double v_hi = *std::min_element(values.begin() + static_cast<long>(lo) + 1, values.end());
  const double t = h - static_cast<double>(lo), diff = v_hi - v_lo;
  return t >= 0.5 ? v_hi - diff * (1 - t) : v_lo + diff * t;
}

}  // namespace bmfm::data

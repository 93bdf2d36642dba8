#include "bmfm/eval/knn.h"

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>

#include "distance.h"

namespace bmfm::eval {

namespace {

// Spare candidates per cell beyond the k-1 needed: the approximate (dgemm)
// distances are re-ranked by exact ones, and a true neighbour could sit just
// past the k-1 cut only if its dgemm rounding error (~1e-16 |x|^2) exceeded
// the gap to several other cells.
constexpr int kSpare = 4;

struct Candidate {
  double d2;
  int64_t j;
};

inline bool closer(const Candidate& a, const Candidate& b) { return a.d2 < b.d2 || (a.d2 == b.d2 && a.j < b.j); }

// Keeps `list` (size count <= capacity) sorted by `closer`, dropping the farthest when full.
inline void offer(Candidate* list, int& count, int capacity, Candidate c) {
  if (count == capacity) {
    if (!closer(c, list[count - 1])) return;
    --count;
  }
  int pos = count++;
  while (pos > 0 && closer(c, list[pos - 1])) {
    list[pos] = list[pos - 1];
    --pos;
  }
  list[pos] = c;
}

// Writes row i of the graph: the cell itself, then the k-1 closest candidates by exact distance.
void finish_row(const detail::DenseRows& rows, int64_t i, Candidate* cand, int n_cand, KnnGraph& g) {
  for (int c = 0; c < n_cand; ++c) cand[c].d2 = detail::squared_distance(rows.row(i), rows.row(cand[c].j), rows.d);
  std::sort(cand, cand + n_cand, closer);
  const int k = g.n_neighbors;
  int32_t* idx = g.indices.data() + i * k;
  float* dist = g.distances.data() + i * k;
  idx[0] = static_cast<int32_t>(i);
  dist[0] = 0.0f;
  for (int c = 0; c < k - 1; ++c) {
    idx[c + 1] = static_cast<int32_t>(cand[c].j);
    dist[c + 1] = static_cast<float>(std::sqrt(cand[c].d2));
  }
}

void exact_search(const detail::DenseRows& rows, KnnGraph& g) {
  const int64_t n = rows.n;
  const int n_cand = static_cast<int>(std::min<int64_t>(n - 1, g.n_neighbors - 1 + kSpare));
  const detail::Tiling t = detail::tiling(n, n);
  const int64_t n_blocks = (n + t.row_block - 1) / t.row_block;
#pragma omp parallel
  {
    std::vector<double> tile(static_cast<size_t>(t.row_block * t.col_block));
    std::vector<Candidate> cand(static_cast<size_t>(t.row_block * n_cand));
    std::vector<int> count(static_cast<size_t>(t.row_block));
#pragma omp for schedule(dynamic, 1)
    for (int64_t b = 0; b < n_blocks; ++b) {
      const int64_t r0 = b * t.row_block, r1 = std::min(n, r0 + t.row_block);
      std::fill(count.begin(), count.end(), 0);
      for (int64_t c0 = 0; c0 < n; c0 += t.col_block) {
        const int64_t c1 = std::min(n, c0 + t.col_block), w = c1 - c0;
        detail::squared_distance_tile(rows, r0, r1, rows, c0, c1, tile.data());
        for (int64_t i = r0; i < r1; ++i) {
          Candidate* list = cand.data() + (i - r0) * n_cand;
          int& cnt = count[static_cast<size_t>(i - r0)];
          const double* d2 = tile.data() + (i - r0) * w;
          for (int64_t j = c0; j < c1; ++j)
            if (j != i) offer(list, cnt, n_cand, {d2[j - c0], j});
        }
      }
      for (int64_t i = r0; i < r1; ++i) finish_row(rows, i, cand.data() + (i - r0) * n_cand, n_cand, g);
    }
  }
}

void hnsw_search(const EmbeddingView& emb, const detail::DenseRows& rows, const KnnOptions& opts, KnnGraph& g) {
  const int64_t n = rows.n;
  const int n_cand = static_cast<int>(std::min<int64_t>(n - 1, g.n_neighbors - 1 + kSpare));
  hnswlib::L2Space space(static_cast<size_t>(emb.n_dims));
  hnswlib::HierarchicalNSW<float> index(&space, static_cast<size_t>(n), static_cast<size_t>(opts.hnsw_m),
                                        static_cast<size_t>(opts.hnsw_ef_construction),
                                        static_cast<size_t>(opts.seed));
  // One thread: hnswlib's graph depends on insertion order, so a parallel build is not reproducible.
  for (int64_t i = 0; i < n; ++i) index.addPoint(emb.row(i), static_cast<size_t>(i));
  index.setEf(static_cast<size_t>(std::max(opts.hnsw_ef, n_cand + 1 + 8)));
#pragma omp parallel
  {
    std::vector<Candidate> cand(static_cast<size_t>(n_cand));
#pragma omp for schedule(dynamic, 64)
    for (int64_t i = 0; i < n; ++i) {
      auto found = index.searchKnn(emb.row(i), static_cast<size_t>(n_cand + 1));
      int cnt = 0;
      for (; !found.empty(); found.pop()) {
        const int64_t j = static_cast<int64_t>(found.top().second);
        if (j != i && cnt < n_cand) cand[static_cast<size_t>(cnt++)] = {0.0, j};
      }
      if (cnt < n_cand) {
        // The search came back short (tiny or degenerate graph): fall back to a scan of this row.
        cnt = 0;
        for (int64_t j = 0; j < n; ++j)
          if (j != i)
            offer(cand.data(), cnt, n_cand, {detail::squared_distance(rows.row(i), rows.row(j), rows.d), j});
      }
      finish_row(rows, i, cand.data(), n_cand, g);
    }
  }
}

}  // namespace

KnnMethod parse_knn_method(const std::string& name) {
  if (name == "auto") return KnnMethod::kAuto;
  if (name == "exact") return KnnMethod::kExact;
  if (name == "hnsw") return KnnMethod::kHnsw;
  throw std::invalid_argument("unknown kNN method '" + name + "'; expected one of: auto, exact, hnsw");
}

const char* to_string(KnnMethod method) {
  switch (method) {
    case KnnMethod::kAuto: return "auto";
    case KnnMethod::kExact: return "exact";
    case KnnMethod::kHnsw: return "hnsw";
  }
  return "?";
}

KnnGraph knn_graph(const EmbeddingView& emb, const KnnOptions& opts) {
  check_embedding(emb, "knn_graph");
  if (opts.n_neighbors < 2 || opts.n_neighbors > emb.n_obs)
    throw std::invalid_argument("knn_graph: n_neighbors=" + std::to_string(opts.n_neighbors) +
                                " must be in [2, n_obs=" + std::to_string(emb.n_obs) + "] (it counts the cell itself)");
  if (opts.hnsw_m < 2 || opts.hnsw_ef_construction < 1 || opts.hnsw_ef < 1)
    throw std::invalid_argument("knn_graph: hnsw_m (" + std::to_string(opts.hnsw_m) + ") must be >= 2 and ef (" +
                                std::to_string(opts.hnsw_ef) + "), ef_construction (" +
                                std::to_string(opts.hnsw_ef_construction) + ") >= 1");
  if (emb.n_obs > INT32_MAX) throw std::invalid_argument("knn_graph: more than 2^31-1 cells");

  KnnGraph g;
  g.n_obs = emb.n_obs;
  g.n_neighbors = opts.n_neighbors;
  g.exact = opts.method == KnnMethod::kExact || (opts.method == KnnMethod::kAuto && emb.n_obs < opts.exact_below);
  g.indices.resize(static_cast<size_t>(g.n_obs * g.n_neighbors));
  g.distances.resize(g.indices.size());
  const detail::DenseRows rows = detail::dense_rows(emb);
  if (g.exact)
    exact_search(rows, g);
  else
    hnsw_search(emb, rows, opts, g);
  return g;
}

}  // namespace bmfm::eval

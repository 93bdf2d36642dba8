#include "bmfm/eval/silhouette.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>

#include "distance.h"

namespace bmfm::eval {

namespace {

// Cluster index 0..K-1 of each cell (codes in increasing order) and cluster sizes.
int32_t encode(const std::vector<int32_t>& codes, std::vector<int32_t>& index, std::vector<int64_t>& sizes) {
  std::vector<int32_t> uniq(codes);
  std::sort(uniq.begin(), uniq.end());
  uniq.erase(std::unique(uniq.begin(), uniq.end()), uniq.end());
  index.resize(codes.size());
  sizes.assign(uniq.size(), 0);
  for (size_t i = 0; i < codes.size(); ++i) {
    index[i] = static_cast<int32_t>(std::lower_bound(uniq.begin(), uniq.end(), codes[i]) - uniq.begin());
    ++sizes[static_cast<size_t>(index[i])];
  }
  return static_cast<int32_t>(uniq.size());
}

// sklearn's _silhouette_reduce over all row blocks: per cell, the summed
// distance to every cluster (self excluded), then a, b and s.
std::vector<double> silhouette_rows(const detail::DenseRows& rows, const std::vector<int32_t>& cluster,
                                    const std::vector<int64_t>& sizes) {
  const int64_t n = rows.n;
  const int64_t n_clusters = static_cast<int64_t>(sizes.size());
  const detail::Tiling t = detail::tiling(n, n);
  const int64_t n_blocks = (n + t.row_block - 1) / t.row_block;
  std::vector<double> s(static_cast<size_t>(n));
#pragma omp parallel
  {
    std::vector<double> tile(static_cast<size_t>(t.row_block * t.col_block));
    std::vector<double> sums(static_cast<size_t>(t.row_block * n_clusters));
#pragma omp for schedule(dynamic, 1)
    for (int64_t b = 0; b < n_blocks; ++b) {
      const int64_t r0 = b * t.row_block, r1 = std::min(n, r0 + t.row_block);
      std::fill(sums.begin(), sums.end(), 0.0);
      for (int64_t c0 = 0; c0 < n; c0 += t.col_block) {
        const int64_t c1 = std::min(n, c0 + t.col_block), w = c1 - c0;
        detail::squared_distance_tile(rows, r0, r1, rows, c0, c1, tile.data());
        for (int64_t i = r0; i < r1; ++i) {
          double* d = tile.data() + (i - r0) * w;
          if (i >= c0 && i < c1) d[i - c0] = 0.0;  // the diagonal is exactly 0, as sklearn sets it
          double* acc = sums.data() + (i - r0) * n_clusters;
          const int32_t* cj = cluster.data() + c0;
          for (int64_t j = 0; j < w; ++j) acc[cj[j]] += std::sqrt(d[j]);
        }
      }
      for (int64_t i = r0; i < r1; ++i) {
        const double* acc = sums.data() + (i - r0) * n_clusters;
        const int32_t own = cluster[static_cast<size_t>(i)];
        const int64_t n_own = sizes[static_cast<size_t>(own)];
        double inter = std::numeric_limits<double>::infinity();
        for (int64_t c = 0; c < n_clusters; ++c)
          if (c != own) inter = std::min(inter, acc[c] / static_cast<double>(sizes[static_cast<size_t>(c)]));
        double value = 0.0;  // singleton clusters and 0/0 give 0 (sklearn's nan_to_num)
        if (n_own > 1) {
          const double intra = acc[own] / static_cast<double>(n_own - 1);
          const double denom = std::max(intra, inter);
          if (denom > 0) value = (inter - intra) / denom;
        }
        s[static_cast<size_t>(i)] = value;
      }
    }
  }
  return s;
}

void check_cluster_count(int64_t n_clusters, int64_t n_obs, const char* what) {
  if (n_clusters < 2 || n_clusters > n_obs - 1)
    throw std::invalid_argument(std::string(what) + ": the silhouette needs 2 <= number of labels <= n_obs - 1; got " +
                                std::to_string(n_clusters) + " labels for " + std::to_string(n_obs) + " cells");
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

}  // namespace

std::vector<double> silhouette_samples(const EmbeddingView& emb, const std::vector<int32_t>& labels) {
  check_embedding(emb, "silhouette_samples");
  check_codes(labels, emb.n_obs, "silhouette_samples");
  std::vector<int32_t> cluster;
  std::vector<int64_t> sizes;
  check_cluster_count(encode(labels, cluster, sizes), emb.n_obs, "silhouette_samples");
  return silhouette_rows(detail::dense_rows(emb), cluster, sizes);
}

double silhouette_score(const EmbeddingView& emb, const std::vector<int32_t>& labels) {
  return mean(silhouette_samples(emb, labels));
}

double asw_label(const EmbeddingView& emb, const std::vector<int32_t>& labels) {
  return (silhouette_score(emb, labels) + 1.0) / 2.0;
}

AswBatch asw_batch(const EmbeddingView& emb, const std::vector<int32_t>& labels, const std::vector<int32_t>& batches) {
  check_embedding(emb, "asw_batch");
  check_codes(labels, emb.n_obs, "asw_batch (labels)");
  check_codes(batches, emb.n_obs, "asw_batch (batches)");
  std::map<int32_t, std::vector<int64_t>> cells_of;
  for (int64_t i = 0; i < emb.n_obs; ++i) cells_of[labels[static_cast<size_t>(i)]].push_back(i);

  AswBatch out;
  for (const auto& [label, cells] : cells_of) {
    std::vector<int32_t> batch_codes(cells.size());
    for (size_t i = 0; i < cells.size(); ++i) batch_codes[i] = batches[static_cast<size_t>(cells[i])];
    std::vector<int32_t> cluster;
    std::vector<int64_t> sizes;
    const int64_t n_batches = encode(batch_codes, cluster, sizes);
    if (n_batches == 1 || n_batches == static_cast<int64_t>(cells.size())) {
      out.skipped.push_back(label);
      continue;
    }
    const std::vector<double> s = silhouette_rows(detail::dense_rows(emb, cells), cluster, sizes);
    double acc = 0;
    for (double v : s) acc += 1.0 - std::fabs(v);
    out.labels.push_back(label);
    out.per_label.push_back(acc / static_cast<double>(s.size()));
  }
  out.score = out.per_label.empty() ? std::numeric_limits<double>::quiet_NaN() : mean(out.per_label);
  return out;
}

}  // namespace bmfm::eval

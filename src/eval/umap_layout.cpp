#include "bmfm/eval/umap_layout.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "bmfm/data/random.h"

namespace bmfm::eval {

std::pair<double, double> fit_ab(double min_dist, double spread) {
  // Levenberg-Marquardt on the 300-point grid umap uses (linspace(0, 3 spread, 300)).
  const int n = 300;
  std::vector<double> x(n), y(n);
  for (int i = 0; i < n; ++i) {
    x[i] = 3.0 * spread * i / (n - 1);
    y[i] = x[i] < min_dist ? 1.0 : std::exp(-(x[i] - min_dist) / spread);
  }
  double a = 1.0, b = 1.0, lambda = 1e-3;
  auto sse = [&](double aa, double bb) {
    double s = 0;
    for (int i = 0; i < n; ++i) {
      double f = 1.0 / (1.0 + aa * std::pow(x[i], 2 * bb));
      s += (f - y[i]) * (f - y[i]);
    }
    return s;
  };
  double cur = sse(a, b);
  for (int it = 0; it < 500; ++it) {
    // J^T J and J^T r for f = 1 / (1 + a x^(2b)).
    double jaa = 0, jab = 0, jbb = 0, ga = 0, gb = 0;
    for (int i = 0; i < n; ++i) {
      if (x[i] == 0) continue;  // f = 1 there for every (a, b): no gradient
      double p = std::pow(x[i], 2 * b);
      double f = 1.0 / (1.0 + a * p);
      double dfa = -p * f * f;
      double dfb = -a * p * 2.0 * std::log(x[i]) * f * f;
      double r = f - y[i];
      jaa += dfa * dfa;
      jab += dfa * dfb;
      jbb += dfb * dfb;
      ga += dfa * r;
      gb += dfb * r;
    }
    double A = jaa * (1 + lambda), B = jab, D = jbb * (1 + lambda);
    double det = A * D - B * B;
    if (det == 0) break;
    double da = -(D * ga - B * gb) / det;
    double db = -(A * gb - B * ga) / det;
    double na = a + da, nb = b + db;
    double next = (na > 0 && nb > 0) ? sse(na, nb) : INFINITY;
    if (next < cur) {
      bool converged = cur - next < 1e-15;
      a = na;
      b = nb;
      cur = next;
      lambda *= 0.3;
      if (converged) break;
    } else {
      lambda *= 10;
      if (lambda > 1e12) break;
    }
  }
  return {a, b};
}

namespace {

// Leading non-trivial eigenvectors of N = D^-1/2 W D^-1/2 by block power
// iteration on (I + N) / 2 (same eigenvectors, eigenvalues in [0, 1], so the
// largest ones dominate). The trivial eigenvector D^1/2 1 is projected out.
std::vector<float> spectral_init(const SparseGraph& g, int dims, uint64_t seed) {
  const int64_t n = g.n_obs;
  std::vector<double> inv_sqrt_deg(static_cast<size_t>(n)), trivial(static_cast<size_t>(n));
  double norm = 0;
  for (int64_t i = 0; i < n; ++i) {
    double d = 0;
    for (int64_t k = g.indptr[i]; k < g.indptr[i + 1]; ++k) d += g.data[static_cast<size_t>(k)];
    inv_sqrt_deg[static_cast<size_t>(i)] = d > 0 ? 1.0 / std::sqrt(d) : 0.0;
    trivial[static_cast<size_t>(i)] = std::sqrt(d);
    norm += d;
  }
  norm = std::sqrt(norm);
  for (auto& t : trivial) t = norm > 0 ? t / norm : 0;

  data::Rng rng(seed, 0x5eed);
  std::vector<std::vector<double>> v(static_cast<size_t>(dims), std::vector<double>(static_cast<size_t>(n)));
  for (auto& col : v)
    for (auto& x : col) x = rng.normal();
  auto orthonormalise = [&]() {
    for (int c = 0; c < dims; ++c) {
      auto& vc = v[static_cast<size_t>(c)];
      auto project_out = [&](const std::vector<double>& u) {
        double dot = 0;
        for (int64_t i = 0; i < n; ++i) dot += vc[static_cast<size_t>(i)] * u[static_cast<size_t>(i)];
        for (int64_t i = 0; i < n; ++i) vc[static_cast<size_t>(i)] -= dot * u[static_cast<size_t>(i)];
      };
      project_out(trivial);
      for (int p = 0; p < c; ++p) project_out(v[static_cast<size_t>(p)]);
      double nn = 0;
      for (double x : vc) nn += x * x;
      nn = std::sqrt(nn);
      if (nn > 0)
        for (auto& x : vc) x /= nn;
    }
  };
  orthonormalise();
  std::vector<double> tmp(static_cast<size_t>(n));
  for (int it = 0; it < 300; ++it) {
    for (auto& vc : v) {
      for (int64_t i = 0; i < n; ++i) {
        double s = 0;
        for (int64_t k = g.indptr[i]; k < g.indptr[i + 1]; ++k) {
          int32_t j = g.indices[static_cast<size_t>(k)];
          s += g.data[static_cast<size_t>(k)] * inv_sqrt_deg[static_cast<size_t>(j)] * vc[static_cast<size_t>(j)];
        }
        tmp[static_cast<size_t>(i)] = 0.5 * (vc[static_cast<size_t>(i)] + inv_sqrt_deg[static_cast<size_t>(i)] * s);
      }
      vc.swap(tmp);
    }
    orthonormalise();
  }
  // umap: scale so the largest |coordinate| is 10, add tiny noise, then map
  // each dimension to [0, 10].
  double max_abs = 0;
  for (auto& vc : v)
    for (double x : vc) max_abs = std::max(max_abs, std::abs(x));
  std::vector<float> out(static_cast<size_t>(n * dims));
  for (int64_t i = 0; i < n; ++i)
    for (int c = 0; c < dims; ++c)
      out[static_cast<size_t>(i * dims + c)] =
          static_cast<float>(v[static_cast<size_t>(c)][static_cast<size_t>(i)] * (max_abs > 0 ? 10.0 / max_abs : 1.0) +
                             1e-4 * rng.normal());
  for (int c = 0; c < dims; ++c) {
    float lo = INFINITY, hi = -INFINITY;
    for (int64_t i = 0; i < n; ++i) {
      lo = std::min(lo, out[static_cast<size_t>(i * dims + c)]);
      hi = std::max(hi, out[static_cast<size_t>(i * dims + c)]);
    }
    float span = hi > lo ? hi - lo : 1.0f;
    for (int64_t i = 0; i < n; ++i) out[static_cast<size_t>(i * dims + c)] = 10.0f * (out[static_cast<size_t>(i * dims + c)] - lo) / span;
  }
  return out;
}

inline double clip4(double v) { return v > 4.0 ? 4.0 : (v < -4.0 ? -4.0 : v); }

}  // namespace

std::vector<float> umap_layout(const SparseGraph& g, const UmapOptions& opts) {
  const int dims = 2;
  const int64_t n = g.n_obs;
  if (n < 3) throw std::invalid_argument("umap_layout: need at least 3 cells, got " + std::to_string(n));
  if (static_cast<int64_t>(g.indptr.size()) != n + 1)
    throw std::invalid_argument("umap_layout: graph indptr has the wrong length");
  const int n_epochs = opts.n_epochs > 0 ? opts.n_epochs : (n <= 10000 ? 500 : 200);
  auto [a, b] = fit_ab(opts.min_dist, opts.spread);

  // Edges (both directions, as umap's COO of the symmetric graph) above max / n_epochs.
  double max_w = 0;
  for (double w : g.data) max_w = std::max(max_w, w);
  std::vector<int32_t> head, tail;
  std::vector<double> epochs_per_sample;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t k = g.indptr[i]; k < g.indptr[i + 1]; ++k) {
      double w = g.data[static_cast<size_t>(k)];
      if (w < max_w / n_epochs) continue;
      head.push_back(static_cast<int32_t>(i));
      tail.push_back(g.indices[static_cast<size_t>(k)]);
      double n_samples = n_epochs * w / max_w;
      epochs_per_sample.push_back(n_epochs / n_samples);
    }
  }
  std::vector<float> emb = spectral_init(g, dims, opts.seed);
  const size_t n_edges = head.size();
  std::vector<double> epoch_of_next_sample = epochs_per_sample;
  std::vector<double> epochs_per_negative(n_edges), epoch_of_next_negative(n_edges);
  for (size_t e = 0; e < n_edges; ++e) {
    epochs_per_negative[e] = epochs_per_sample[e] / opts.negative_sample_rate;
    epoch_of_next_negative[e] = epochs_per_negative[e];
  }

  data::Rng rng(opts.seed, 0x0a11);
  for (int epoch = 0; epoch < n_epochs; ++epoch) {
    const double alpha = opts.learning_rate * (1.0 - static_cast<double>(epoch) / n_epochs);
    for (size_t e = 0; e < n_edges; ++e) {
      if (epoch_of_next_sample[e] > epoch) continue;
      float* cur = &emb[static_cast<size_t>(head[e]) * dims];
      float* oth = &emb[static_cast<size_t>(tail[e]) * dims];
      double d2 = 0;
      for (int d = 0; d < dims; ++d) d2 += (cur[d] - oth[d]) * (cur[d] - oth[d]);
      double coeff = d2 > 0 ? (-2.0 * a * b * std::pow(d2, b - 1.0)) / (a * std::pow(d2, b) + 1.0) : 0.0;
      for (int d = 0; d < dims; ++d) {
        double grad = clip4(coeff * (cur[d] - oth[d]));
        cur[d] += static_cast<float>(grad * alpha);
        oth[d] -= static_cast<float>(grad * alpha);
      }
      epoch_of_next_sample[e] += epochs_per_sample[e];
      const int n_neg = static_cast<int>((epoch - epoch_of_next_negative[e]) / epochs_per_negative[e]);
      for (int p = 0; p < n_neg; ++p) {
        const int64_t k = rng.uniform_int(n);
        if (k == head[e]) continue;
        const float* neg = &emb[static_cast<size_t>(k) * dims];
        double nd2 = 0;
        for (int d = 0; d < dims; ++d) nd2 += (cur[d] - neg[d]) * (cur[d] - neg[d]);
        double rep = nd2 > 0 ? 2.0 * opts.repulsion_strength * b / ((0.001 + nd2) * (a * std::pow(nd2, b) + 1.0)) : 0.0;
        for (int d = 0; d < dims; ++d) {
          double grad = rep > 0 ? clip4(rep * (cur[d] - neg[d])) : 4.0;
          cur[d] += static_cast<float>(grad * alpha);
        }
      }
      epoch_of_next_negative[e] += n_neg * epochs_per_negative[e];
    }
  }
  return emb;
}

}  // namespace bmfm::eval

#include "bmfm/eval/leiden.h"

#include <igraph.h>

#include <algorithm>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <string>

#include "bmfm/eval/cluster_metrics.h"

namespace bmfm::eval {

namespace {

// igraph 0.10 (Debian) is built without thread-local state: its error stack
// and default RNG are process globals, so bmfm makes one igraph call at a time.
std::mutex& igraph_mutex() {
  static std::mutex m;
  return m;
}

void check(igraph_error_t rc, const char* what) {
  if (rc != IGRAPH_SUCCESS) throw std::runtime_error(std::string("igraph ") + what + " failed: " + igraph_strerror(rc));
}

// For the duration of a call: errors come back as codes (igraph's default
// handler aborts the process) and the default RNG is a fresh seeded one.
class IgraphSession {
 public:
  explicit IgraphSession(uint64_t seed) : lock_(igraph_mutex()) {
    previous_handler_ = igraph_set_error_handler(igraph_error_handler_ignore);
    previous_rng_ = igraph_rng_default();
    if (igraph_rng_init(&rng_, &igraph_rngtype_mt19937) != IGRAPH_SUCCESS) {
      igraph_set_error_handler(previous_handler_);
      throw std::runtime_error("igraph: could not initialise its random number generator");
    }
    igraph_rng_seed(&rng_, static_cast<igraph_uint_t>(seed));
    igraph_rng_set_default(&rng_);
  }
  ~IgraphSession() {
    igraph_rng_set_default(previous_rng_);
    igraph_rng_destroy(&rng_);
    igraph_set_error_handler(previous_handler_);
  }
  IgraphSession(const IgraphSession&) = delete;
  IgraphSession& operator=(const IgraphSession&) = delete;

 private:
  std::lock_guard<std::mutex> lock_;
  igraph_error_handler_t* previous_handler_ = nullptr;
  igraph_rng_t* previous_rng_ = nullptr;
  igraph_rng_t rng_;
};

// RAII owners of igraph objects.
struct Graph {
  igraph_t g;
  bool live = false;
  ~Graph() {
    if (live) igraph_destroy(&g);
  }
};
struct Vec {
  igraph_vector_t v;
  explicit Vec(igraph_integer_t n) { check(igraph_vector_init(&v, n), "vector_init"); }
  ~Vec() { igraph_vector_destroy(&v); }
};
struct IntVec {
  igraph_vector_int_t v;
  explicit IntVec(igraph_integer_t n) { check(igraph_vector_int_init(&v, n), "vector_int_init"); }
  ~IntVec() { igraph_vector_int_destroy(&v); }
};

// Cluster ids renumbered by decreasing size, ties by first appearance (as
// leidenalg numbers its communities), so equal partitions compare equal.
int32_t canonical(const igraph_vector_int_t& m, std::vector<int32_t>& out) {
  const int64_t n = igraph_vector_int_size(&m);
  std::vector<int64_t> first, size;
  std::vector<int64_t> dense(static_cast<size_t>(n));
  std::vector<int64_t> seen;  // igraph id -> dense id + 1
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = VECTOR(m)[i];
    if (c >= static_cast<int64_t>(seen.size())) seen.resize(static_cast<size_t>(c + 1), 0);
    if (seen[static_cast<size_t>(c)] == 0) {
      seen[static_cast<size_t>(c)] = static_cast<int64_t>(first.size()) + 1;
      first.push_back(i);
      size.push_back(0);
    }
    dense[static_cast<size_t>(i)] = seen[static_cast<size_t>(c)] - 1;
    ++size[static_cast<size_t>(dense[static_cast<size_t>(i)])];
  }
  std::vector<int32_t> order(first.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return size[a] > size[b]; });
  std::vector<int32_t> rank(order.size());
  for (size_t r = 0; r < order.size(); ++r) rank[static_cast<size_t>(order[r])] = static_cast<int32_t>(r);
  out.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out[static_cast<size_t>(i)] = rank[static_cast<size_t>(dense[static_cast<size_t>(i)])];
  return static_cast<int32_t>(order.size());
}

}  // namespace

Clustering leiden(const SparseGraph& graph, const LeidenOptions& opts) {
  const int64_t n = graph.n_obs;
  if (static_cast<int64_t>(graph.indptr.size()) != n + 1)
    throw std::invalid_argument("leiden: graph indptr has " + std::to_string(graph.indptr.size()) +
                                " entries for n_obs=" + std::to_string(n));
  if (!(opts.resolution > 0) || !(opts.beta > 0))
    throw std::invalid_argument("leiden: resolution (" + std::to_string(opts.resolution) + ") and beta (" +
                                std::to_string(opts.beta) + ") must be positive");

  // Each undirected edge once (upper triangle), and node weights = strengths.
  std::vector<igraph_integer_t> ends;
  std::vector<double> weights, strength(static_cast<size_t>(n), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t e = graph.indptr[static_cast<size_t>(i)]; e < graph.indptr[static_cast<size_t>(i + 1)]; ++e) {
      const int64_t j = graph.indices[static_cast<size_t>(e)];
      const double w = graph.data[static_cast<size_t>(e)];
      strength[static_cast<size_t>(i)] += w;
      if (j > i) {
        ends.push_back(i);
        ends.push_back(j);
        weights.push_back(w);
      }
    }
  const double two_m = std::accumulate(strength.begin(), strength.end(), 0.0);

  Clustering out;
  if (n == 0) return out;
  IgraphSession session(opts.seed);
  IntVec edge_vec(static_cast<igraph_integer_t>(ends.size()));
  std::copy(ends.begin(), ends.end(), VECTOR(edge_vec.v));
  Vec weight_vec(static_cast<igraph_integer_t>(weights.size()));
  std::copy(weights.begin(), weights.end(), VECTOR(weight_vec.v));
  Vec node_weight_vec(static_cast<igraph_integer_t>(n));
  std::copy(strength.begin(), strength.end(), VECTOR(node_weight_vec.v));
  Graph g;
  check(igraph_create(&g.g, &edge_vec.v, static_cast<igraph_integer_t>(n), IGRAPH_UNDIRECTED), "create");
  g.live = true;

  // gamma' = gamma / 2m turns igraph's objective into modularity (see leiden.h).
  const double resolution = two_m > 0 ? opts.resolution / two_m : opts.resolution;
  IntVec membership(static_cast<igraph_integer_t>(n));
  igraph_integer_t n_clusters = 0;
  igraph_real_t quality = 0;
  auto run = [&](bool start, igraph_integer_t passes) {
    check(igraph_community_leiden(&g.g, &weight_vec.v, &node_weight_vec.v, resolution, opts.beta, start, passes,
                                  &membership.v, &n_clusters, &quality),
          "community_leiden");
  };
  std::vector<int32_t> current, previous;
  if (opts.n_iterations >= 0) {
    run(false, opts.n_iterations);
    out.n_iterations = opts.n_iterations;
    out.n_clusters = canonical(membership.v, current);
  } else {
    // One pass at a time until a pass leaves the partition as it was (igraph
    // 0.10's own n_iterations < 0 stops too early, see leiden.h).
    run(false, 1);
    out.n_iterations = 1;
    out.n_clusters = canonical(membership.v, current);
    while (out.n_iterations < opts.max_iterations) {
      previous.swap(current);
      run(true, 1);
      ++out.n_iterations;
      out.n_clusters = canonical(membership.v, current);
      if (current == previous) break;
    }
  }
  out.membership = std::move(current);
  out.quality = quality;
  return out;
}

std::vector<double> default_resolutions() {
  std::vector<double> r;
  for (int i = 1; i <= 20; ++i) r.push_back(i / 10.0);
  return r;
}

ResolutionSweep leiden_optimal_resolution(const SparseGraph& graph, const std::vector<int32_t>& labels,
                                          const std::vector<double>& resolutions, const LeidenOptions& base) {
  if (resolutions.empty()) throw std::invalid_argument("leiden_optimal_resolution: no resolutions given");
  if (static_cast<int64_t>(labels.size()) != graph.n_obs)
    throw std::invalid_argument("leiden_optimal_resolution: " + std::to_string(labels.size()) +
                                " labels for a graph of " + std::to_string(graph.n_obs) + " cells");
  ResolutionSweep sweep;
  sweep.resolutions = resolutions;
  for (size_t r = 0; r < resolutions.size(); ++r) {
    LeidenOptions o = base;
    o.resolution = resolutions[r];
    Clustering c = leiden(graph, o);
    const double score = nmi(labels, c.membership);
    sweep.scores.push_back(score);
    sweep.n_clusters.push_back(c.n_clusters);
    // scib: score_max starts at 0 and only a strictly larger score replaces it.
    if (score > sweep.best_score) {
      sweep.best_score = score;
      sweep.best_index = static_cast<int>(r);
      sweep.best = std::move(c);
    } else if (r == 0) {
      sweep.best = std::move(c);  // kept only if no resolution scores above 0
    }
  }
  return sweep;
}

}  // namespace bmfm::eval

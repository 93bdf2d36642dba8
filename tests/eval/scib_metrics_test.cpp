// The aggregate benchmark: composition of the unit metrics (each checked
// against independent values in its own test), the AvgBio / AvgBatch /
// overall formulas, L2 normalisation, JSON, and (opt-in) timing.
#include "bmfm/eval/scib_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "bmfm/eval/cluster_metrics.h"
#include "bmfm/io/h5ad.h"
#include "bmfm/eval/silhouette.h"
#include "eval_test_util.h"
#include "scib_reference.h"
#include "test_util.h"

using namespace bmfm::eval;
namespace ex = bmfm::test::eval_expected;

TEST(ScibMetrics, RealFixtureComesFromSharedData) {
  // The fixture's codes are the h5ad's obs codes, and its columns are principal
  // component scores: centred and mutually orthogonal.
  BMFM_REQUIRE_DATA("symphony_pbmc_3batch_1500.h5ad");
  const auto& r = bmfm::test::real_embedding();
  const auto obs = bmfm::io::H5adReader(bmfm::test::data_path("symphony_pbmc_3batch_1500.h5ad")).read_obs();
  EXPECT_EQ(obs.at("cell_type").codes, r.cell_type);
  EXPECT_EQ(obs.at("batch").codes, r.batch);
  const int64_t n = ex::kRealN, d = ex::kRealD;
  for (int64_t a = 0; a < d; ++a) {
    double mean = 0, norm_a = 0;
    for (int64_t i = 0; i < n; ++i) mean += r.X[static_cast<size_t>(i * d + a)];
    EXPECT_NEAR(mean / n, 0.0, 1e-4) << "component " << a;
    for (int64_t i = 0; i < n; ++i) norm_a += double(r.X[static_cast<size_t>(i * d + a)]) * r.X[static_cast<size_t>(i * d + a)];
    for (int64_t b = a + 1; b < d; b += 7) {
      double dot = 0, norm_b = 0;
      for (int64_t i = 0; i < n; ++i) {
        dot += double(r.X[static_cast<size_t>(i * d + a)]) * r.X[static_cast<size_t>(i * d + b)];
        norm_b += double(r.X[static_cast<size_t>(i * d + b)]) * r.X[static_cast<size_t>(i * d + b)];
      }
      EXPECT_LT(std::fabs(dot) / std::sqrt(norm_a * norm_b), 1e-5) << "components " << a << ", " << b;
    }
  }
}

TEST(ScibMetrics, RealEmbeddingAgreesWithReferences) {
  const auto& r = bmfm::test::real_embedding();
  const ScibMetrics m = scib_metrics(r.view(), r.cell_type, r.batch);
  EXPECT_TRUE(m.knn_exact);
  EXPECT_EQ(m.n_labels, 9);
  EXPECT_EQ(m.n_batches, 3);
  EXPECT_NEAR(m.asw_label, ex::kRealAswLabel, 1e-6);
  EXPECT_NEAR(m.asw_batch, ex::kRealAswBatch, 1e-6);
  EXPECT_NEAR(m.graph_conn, ex::kRealGraphConn, 1e-6);
  EXPECT_NEAR(m.nmi, nmi(r.cell_type, m.clusters), 1e-12);
  EXPECT_NEAR(m.ari, ari(r.cell_type, m.clusters), 1e-12);
  EXPECT_NEAR(m.avg_bio, (m.nmi + m.ari + m.asw_label) / 3, 1e-15);
  EXPECT_NEAR(m.avg_batch, (m.asw_batch + m.graph_conn) / 2, 1e-15);
  EXPECT_NEAR(m.overall, 0.6 * m.avg_bio + 0.4 * m.avg_batch, 1e-15);
  ASSERT_EQ(m.nmi_per_resolution.size(), 20u);
  EXPECT_DOUBLE_EQ(m.nmi, *std::max_element(m.nmi_per_resolution.begin(), m.nmi_per_resolution.end()));
  if (ex::kRealLeidenalgNmi >= 0) {
    EXPECT_NEAR(m.nmi, ex::kRealLeidenalgNmi, 0.05);
  }
  EXPECT_GT(m.times.total_s, 0.0);
}

// The same embedding scored by the upstream packages themselves (scanpy 1.11 + scib 1.1.7,
// tests/tools/make_scib_reference.py). ASW and graph connectivity are exact definitions:
// 1e-6. Leiden differs by implementation (bmfm: igraph; scib: leidenalg via scanpy), so
// NMI / ARI of the best clustering agree only loosely.
TEST(ScibMetrics, RealEmbeddingAgreesWithScib) {
  namespace ref = bmfm::test::scib_reference;
  const auto& r = bmfm::test::real_embedding();
  const ScibMetrics m = scib_metrics(r.view(), r.cell_type, r.batch);
  EXPECT_NEAR(m.asw_label, ref::kAswLabel, 1e-6);
  EXPECT_NEAR(m.asw_batch, ref::kAswBatch, 1e-6);
  EXPECT_NEAR(m.graph_conn, ref::kGraphConn, 1e-6);
  EXPECT_NEAR(m.nmi, ref::kNmiDesignGrid, 0.05);
  EXPECT_NEAR(m.ari, ref::kAriDesignGrid, 0.1);
  std::cout << "bmfm vs scib 1.1.7: ASW_label " << m.asw_label << " / " << ref::kAswLabel << ", ASW_batch " << m.asw_batch
            << " / " << ref::kAswBatch << ", graph_conn " << m.graph_conn << " / " << ref::kGraphConn << ", NMI " << m.nmi
            << " / " << ref::kNmiDesignGrid << ", ARI " << m.ari << " / " << ref::kAriDesignGrid << " (best resolution "
            << m.best_resolution << ", " << m.n_clusters << " clusters)\n";
  // The numpy re-implementation the other tests use agrees with scanpy's connectivities.
  EXPECT_LT(ref::kConnMaxAbsDiffVsNumpy, 1e-5);
}

TEST(ScibMetrics, L2NormalizeScoresTheNormalizedEmbedding) {
  const auto b = bmfm::test::make_blobs(400, 6, 4, 2, 3.0, 0.5, 9);
  ScibOptions o;
  o.l2_normalize = true;
  const ScibMetrics m = scib_metrics(b.view(), b.labels, b.batches, o);
  const std::vector<float> Xn = l2_normalized(b.view());
  const EmbeddingView vn{Xn.data(), b.n_obs, b.n_dims};
  EXPECT_DOUBLE_EQ(m.asw_label, asw_label(vn, b.labels));
  EXPECT_DOUBLE_EQ(m.asw_batch, asw_batch(vn, b.labels, b.batches).score);
  for (int64_t i = 0; i < b.n_obs; ++i) {
    double ss = 0;
    for (int64_t k = 0; k < b.n_dims; ++k) ss += double(Xn[static_cast<size_t>(i * b.n_dims + k)]) * Xn[static_cast<size_t>(i * b.n_dims + k)];
    ASSERT_NEAR(ss, 1.0, 1e-6);
  }
}

TEST(ScibMetrics, JsonHasEveryScore) {
  const auto b = bmfm::test::make_blobs(300, 5, 3, 2, 4.0, 0.2, 4);
  const ScibMetrics m = scib_metrics(b.view(), b.labels, b.batches);
  const nlohmann::json j = m;
  for (const char* key : {"NMI", "ARI", "ASW_label", "ASW_batch", "graph_conn", "AvgBio", "AvgBatch", "overall",
                          "best_resolution", "n_clusters", "knn", "times"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_DOUBLE_EQ(j["overall"].get<double>(), m.overall);
  EXPECT_TRUE(j["times"].contains("leiden_s"));
}

TEST(ScibMetrics, RejectsSingleLabelAndLengthMismatch) {
  const auto b = bmfm::test::make_blobs(100, 5, 3, 2, 4.0, 0.2, 4);
  EXPECT_THROW(scib_metrics(b.view(), std::vector<int32_t>(100, 0), b.batches), std::invalid_argument);
  EXPECT_THROW(scib_metrics(b.view(), b.labels, std::vector<int32_t>(99, 0)), std::invalid_argument);
}

// Opt-in: BMFM_EVAL_PERF=<n_obs> (e.g. 10000) times the full suite on n_obs x 50 blobs.
TEST(ScibMetrics, Timing) {
  const char* env = std::getenv("BMFM_EVAL_PERF");
  if (!env || !*env) GTEST_SKIP() << "set BMFM_EVAL_PERF=<n_obs> to time the suite";
  const int64_t n = std::atoll(env);
  const auto b = bmfm::test::make_blobs(n, 50, 12, 3, 1.0, 0.3, 17);
  ScibOptions o;
  if (const char* m = std::getenv("BMFM_EVAL_PERF_KNN")) o.knn.method = parse_knn_method(m);
  const ScibMetrics m = scib_metrics(b.view(), b.labels, b.batches, o);
  std::cout << nlohmann::json(m).dump(2) << "\n";
}

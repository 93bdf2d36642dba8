// QC metrics and rules against values computed independently by
// tests/data/qc_expected.py: Debian's /usr/bin/python3 reading the same h5ad
// files with h5py and re-implementing scanpy's documented semantics in numpy /
// pandas (calculate_qc_metrics sums, filter_cells / filter_genes thresholds,
// numpy.percentile for the IQR bounds, highly_variable_genes(flavor="seurat")
// with normalize_total in float32 -> log1p -> expm1, pandas.cut bins and
// groupby mean / std(ddof=1)). The numbers below are pasted from its output.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>

#include <nlohmann/json.hpp>

#include "bmfm/config/compose.h"
#include "bmfm/config/error.h"
#include "bmfm/data/qc.h"
#include "bmfm/io/error.h"
#include "bmfm/io/h5ad.h"
#include "test_util.h"

using namespace bmfm::data;
using bmfm::io::H5adReader;

namespace {

const char* kScp = "bmfm_scp1884.h5ad";
const char* kCellbench = "cellbench_lung_celllines_5batch.h5ad";
const char* kSymphony = "symphony_pbmc_3batch_1500.h5ad";
const char* kMouse = "scanpy_10x_mousebrain10k_1000genes.h5ad";
const char* kGenes = "genes/hgnc_genes.tsv";

QcConfig base_config() {
  QcConfig c;
  c.chunk_rows = 300;  // several chunks per file, so chunk boundaries are exercised
  return c;
}

const RuleOutcome& rule(const QcResult& r, const std::string& name) {
  for (const auto& o : r.rules)
    if (o.name == name) return o;
  throw std::runtime_error("no rule " + name);
}

void expect_rule(const QcResult& r, const std::string& name, int64_t removed, int64_t remaining) {
  const RuleOutcome& o = rule(r, name);
  EXPECT_EQ(o.removed, removed) << name;
  EXPECT_EQ(o.remaining, remaining) << name;
}

void expect_bounds(const IqrBounds& b, double q1, double q3, double lower, double upper, int64_t outside) {
  EXPECT_NEAR(b.q1, q1, 1e-12) << b.metric;
  EXPECT_NEAR(b.q3, q3, 1e-12) << b.metric;
  EXPECT_NEAR(b.lower, lower, 1e-12) << b.metric;
  EXPECT_NEAR(b.upper, upper, 1e-12) << b.metric;
  EXPECT_EQ(b.outside, outside) << b.metric;
}

bmfm::config::Config compose_qc(const std::vector<std::string>& overrides, const std::string& file = "") {
  bmfm::config::ComposeRequest req;
  req.base = YAML::Node(YAML::NodeType::Map);
  req.base["qc"] = qc_schema().defaults();
  req.base["sample"] = sample_schema().defaults();
  req.config_file = file;
  req.overrides = overrides;
  return bmfm::config::compose(req);
}

std::string qc_config_error(const std::vector<std::string>& overrides) {
  try {
    qc_schema().read(compose_qc(overrides), "qc");
  } catch (const bmfm::ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a ConfigError";
  return "";
}

}  // namespace

TEST(QcConfig, DefaultsAndChecks) {
  QcConfig c = qc_schema().read(compose_qc({"qc.max_mt_fraction=0.15", "qc.iqr.enabled=true"}), "qc");
  EXPECT_EQ(c.matrix, "X");
  EXPECT_EQ(*c.max_mt_fraction, 0.15);
  EXPECT_TRUE(c.iqr.enabled);
  EXPECT_FALSE(c.min_counts.has_value());
  EXPECT_EQ(count_based_rules(c), (std::vector<std::string>{"max_mt_fraction", "iqr"}));
  EXPECT_NE(qc_config_error({"qc.max_mt_fraction=15"}).find("0.15"), std::string::npos);
  EXPECT_NE(qc_config_error({"qc.min_counts=500", "qc.max_counts=100"}).find("qc.max_counts"), std::string::npos);
  EXPECT_NE(qc_config_error({"qc.iqr.metrics=[log1p_total]"}).find("log1p_total_counts"), std::string::npos);
  EXPECT_NE(qc_config_error({"qc.protein_coding.enabled=true"}).find("gene_table"), std::string::npos);
  EXPECT_NE(qc_config_error({"qc.dispersion.n_bins=0"}).find("n_bins"), std::string::npos);
  EXPECT_NE(qc_config_error({"++qc.min_gene=3"}).find("min_genes"), std::string::npos);  // did you mean
}

TEST(QcConfig, SampleChecks) {
  auto err = [](const std::vector<std::string>& o) {
    try {
      sample_schema().read(compose_qc(o), "sample");
    } catch (const bmfm::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(err({"sample.method=equal", "sample.fraction=0.1", "sample.columns=[cell_type]"}), "");
  EXPECT_NE(err({"sample.method=equal", "sample.fraction=0.1"}).find("sample.columns"), std::string::npos);
  EXPECT_NE(err({"sample.method=uniform"}).find("fraction"), std::string::npos);
  EXPECT_NE(err({"sample.method=random"}).find("uniform"), std::string::npos);
  EXPECT_NE(err({"sample.method=balanced", "sample.columns=[x]"}).find("n_per_class"), std::string::npos);
}

TEST(QcConfig, PresetsCompose) {
  const std::string configs = std::string(BMFM_TEST_SOURCE_DIR) + "/configs";
  for (const char* preset : {"none", "standard", "paper", "hvg"}) {
    auto cfg = compose_qc({std::string("qc=") + preset}, configs + "/qc.yaml");
    QcConfig c;
    ASSERT_NO_THROW(c = qc_schema().read(cfg, "qc")) << preset;
    ASSERT_NO_THROW(sample_schema().read(cfg, "sample")) << preset;
    if (std::string(preset) == "hvg") {
      EXPECT_EQ(*c.dispersion.min_disp, 0.5);
      EXPECT_EQ(*c.min_genes, 200);  // inherited from standard
    }
    if (std::string(preset) == "paper") {
      EXPECT_TRUE(c.iqr.enabled);
      EXPECT_TRUE(c.protein_coding.enabled);
    }
    if (std::string(preset) == "none") {
      EXPECT_TRUE(count_based_rules(c).empty());
    }
  }
}

TEST(QcMetrics, PercentileMatchesNumpyLinear) {
  // numpy.percentile([1, 2, 3, 4], 25) == 1.75; [1..10] at 75 == 7.75; odd spacing.
  EXPECT_DOUBLE_EQ(percentile_linear({4, 1, 3, 2}, 25), 1.75);
  EXPECT_DOUBLE_EQ(percentile_linear({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 75), 7.75);
  EXPECT_DOUBLE_EQ(percentile_linear({0, 10, 100}, 25), 5.0);
  EXPECT_DOUBLE_EQ(percentile_linear({0, 10, 100}, 100), 100.0);
  EXPECT_DOUBLE_EQ(percentile_linear({7}, 25), 7.0);
  EXPECT_THROW(percentile_linear({}, 25), std::invalid_argument);
}

TEST(QcMetrics, GeneFlagsByPrefix) {
  const auto f = gene_flags({"MT-CO1", "mt-Nd1", "RPS6", "Rpl13", "RPL13AP5", "MTOR", "rps6", "ACTB"}, {"MT-", "mt-"},
                            {"RPS", "RPL", "Rps", "Rpl"});
  EXPECT_EQ(f, (std::vector<uint8_t>{kGeneMt, kGeneMt, kGeneRibo, kGeneRibo, kGeneRibo, 0, 0, 0}));
}

TEST(QcMetrics, HandComputedInMemory) {
  // 3 cells x 4 genes (MT-A, RPL1, G3, G4); cell 2 is empty.
  bmfm::io::CsrMatrix m;
  m.n_rows = 3;
  m.n_cols = 4;
  m.indptr = {0, 3, 5, 5};
  m.indices = {0, 1, 3, 1, 2};
  m.data = {2, 3, 5, 1, 0};  // an explicit zero counts as not detected
  const auto src = matrix_source(m, "toy");
  const auto flags = gene_flags({"MT-A", "RPL1", "G3", "G4"}, {"MT-"}, {"RPL"});
  StreamOptions o;
  o.chunk_rows = 2;
  const CellMetrics c = compute_cell_metrics(src, flags, o);
  EXPECT_EQ(c.total_counts, (std::vector<double>{10, 1, 0}));
  EXPECT_EQ(c.n_genes_by_counts, (std::vector<int32_t>{3, 1, 0}));
  EXPECT_DOUBLE_EQ(c.value("pct_counts_mt", 0), 20.0);
  EXPECT_DOUBLE_EQ(c.value("pct_counts_ribo", 0), 30.0);
  EXPECT_DOUBLE_EQ(c.value("pct_counts_ribo", 1), 100.0);
  EXPECT_DOUBLE_EQ(c.value("pct_counts_mt", 2), 0.0);  // empty cell: 0, not NaN
  EXPECT_DOUBLE_EQ(c.value("log1p_total_counts", 0), std::log1p(10.0));
  EXPECT_EQ(c.gene_n_cells, (std::vector<int64_t>{1, 2, 0, 1}));
  EXPECT_TRUE(c.not_counts.empty());
  EXPECT_THROW(c.value("pct_mito", 0), std::invalid_argument);
  EXPECT_EQ(c.values("pct_counts_ribo"), (std::vector<double>{30, 100, 0}));
  EXPECT_EQ(c.values("n_genes_by_counts", {2, 0}), (std::vector<double>{0, 3}));
  EXPECT_THROW(c.values("pct_mito"), std::invalid_argument);
}

TEST(QcMetrics, Scp1884MatchesNumpy) {
  BMFM_REQUIRE_DATA(kScp);
  H5adReader reader(bmfm::test::data_path(kScp));
  const QcConfig cfg = base_config();
  const QcResult r = qc_cells(matrix_source(reader, "X"), reader.read_var(), cfg);
  const CellMetrics& m = r.metrics;
  EXPECT_EQ(m.n_mt_genes, 13);
  EXPECT_EQ(m.n_ribo_genes, 101);
  struct Cell {
    int64_t row;
    double total;
    int32_t genes;
    double mt, ribo, pct_mt, pct_ribo;
  };
  for (const Cell& c : {Cell{0, 2846, 854, 143, 965, 5.0245959241040055, 33.907238229093466},
                        Cell{1, 3723, 931, 81, 1160, 2.17566478646253, 31.157668546870802},
                        Cell{517, 2309, 978, 188, 353, 8.142052836725856, 15.288003464703335},
                        Cell{1019, 219, 163, 21, 42, 9.58904109589041, 19.17808219178082}}) {
    const auto i = static_cast<size_t>(c.row);
    EXPECT_EQ(m.total_counts[i], c.total) << c.row;
    EXPECT_EQ(m.n_genes_by_counts[i], c.genes) << c.row;
    EXPECT_EQ(m.total_counts_mt[i], c.mt) << c.row;
    EXPECT_EQ(m.total_counts_ribo[i], c.ribo) << c.row;
    EXPECT_NEAR(m.value("pct_counts_mt", c.row), c.pct_mt, 1e-12) << c.row;
    EXPECT_NEAR(m.value("pct_counts_ribo", c.row), c.pct_ribo, 1e-12) << c.row;
  }
  EXPECT_EQ(m.gene_n_cells[0], 182);     // 7SK_ENSG00000260682
  EXPECT_EQ(m.gene_n_cells[9497], 977);  // MT-CO1
  EXPECT_EQ(m.gene_n_cells[10000], 8);   // NGFR
  EXPECT_TRUE(r.rules.empty());
  EXPECT_EQ(r.n_obs_after(), 1020);
}

TEST(QcMetrics, IndependentOfChunksAndThreads) {
  BMFM_REQUIRE_DATA(kScp);
  H5adReader reader(bmfm::test::data_path(kScp));
  const auto src = matrix_source(reader, "X");
  const auto flags = gene_flags(reader.read_var().index, {"MT-"}, {"RPS", "RPL"});
  StreamOptions a, b;
  a.chunk_rows = 1020;
  a.threads = 1;
  b.chunk_rows = 37;
  b.threads = 3;
  const CellMetrics x = compute_cell_metrics(src, flags, a), y = compute_cell_metrics(src, flags, b);
  EXPECT_EQ(x.total_counts, y.total_counts);
  EXPECT_EQ(x.n_genes_by_counts, y.n_genes_by_counts);
  EXPECT_EQ(x.total_counts_mt, y.total_counts_mt);
  EXPECT_EQ(x.gene_n_cells, y.gene_n_cells);
}

TEST(QcRules, Scp1884AllRules) {
  BMFM_REQUIRE_DATA(kScp);
  BMFM_REQUIRE_DATA(kGenes);
  H5adReader reader(bmfm::test::data_path(kScp));
  QcConfig cfg = base_config();
  cfg.min_counts = 500;
  cfg.max_counts = 30000;
  cfg.min_genes = 300;
  cfg.max_genes = 4000;
  cfg.max_mt_fraction = 0.15;
  cfg.iqr.enabled = true;
  cfg.iqr.k = 1.5;
  cfg.min_cells = 5;
  cfg.protein_coding.enabled = true;
  cfg.protein_coding.gene_table = bmfm::test::data_path(kGenes);
  cfg.dispersion.min_disp = 0.5;
  const QcResult r = run_qc(matrix_source(reader, "X"), reader.read_var(), cfg);
  ASSERT_EQ(r.rules.size(), 9u);
  expect_rule(r, "min_counts", 15, 1005);
  expect_rule(r, "max_counts", 2, 1003);
  expect_rule(r, "min_genes", 0, 1003);
  expect_rule(r, "max_genes", 0, 1003);
  expect_rule(r, "max_mt_fraction", 171, 832);
  ASSERT_EQ(r.iqr.size(), 3u);
  expect_bounds(r.iqr[0], 7.485210866844598, 8.356906545168115, 6.177667349359322, 9.66445006265339, 4);
  expect_bounds(r.iqr[1], 6.5202526676541215, 7.250457640501694, 5.424945208382763, 8.345765099773054, 0);
  expect_bounds(r.iqr[2], 5.228034526476667, 10.065184355116257, -2.0276902164827186, 17.320909098075642, 0);
  expect_rule(r, "iqr", 4, 828);
  expect_rule(r, "min_cells", 4842, 13866);
  expect_rule(r, "protein_coding", 1671, 12195);
  expect_rule(r, "dispersion", 9371, 2824);
  ASSERT_TRUE(r.dispersion);
  const auto& norm = r.dispersion->dispersions_norm;
  EXPECT_NEAR(norm[1], 0.8374620964763236, 1e-5);      // A1BG
  EXPECT_NEAR(norm[4849], -0.9071555967235594, 1e-5);  // EEF1D
  EXPECT_NEAR(norm[9310], -0.810248459292857, 1e-5);   // MORN2
  EXPECT_NEAR(norm[14801], -0.5377131403832294, 1e-5);  // SF3B2
  EXPECT_EQ(r.n_obs_after(), 828);
  EXPECT_EQ(r.n_vars_after(), 2824);
  // The order is fixed and documented.
  std::vector<std::string> names;
  for (const auto& o : r.rules) names.push_back(o.name);
  EXPECT_EQ(names, (std::vector<std::string>{"min_counts", "max_counts", "min_genes", "max_genes", "max_mt_fraction",
                                             "iqr", "min_cells", "protein_coding", "dispersion"}));
}

TEST(QcRules, Scp1884StandardPlusDispersion) {
  BMFM_REQUIRE_DATA(kScp);
  H5adReader reader(bmfm::test::data_path(kScp));
  QcConfig cfg = base_config();
  cfg.min_genes = 200;
  cfg.max_mt_fraction = 0.15;
  cfg.min_cells = 3;
  cfg.dispersion.min_disp = 0.5;
  const QcResult r = run_qc(matrix_source(reader, "X"), reader.read_var(), cfg);
  expect_rule(r, "min_genes", 15, 1005);
  expect_rule(r, "max_mt_fraction", 171, 834);
  expect_rule(r, "min_cells", 3577, 15131);
  expect_rule(r, "dispersion", 11560, 3571);
  const auto& norm = r.dispersion->dispersions_norm;
  EXPECT_NEAR(norm[0], 2.426522668609351, 1e-5);
  EXPECT_NEAR(norm[4767], -0.6940913291901266, 1e-5);
  EXPECT_NEAR(norm[9230], -0.05797698820456283, 1e-5);
  EXPECT_NEAR(norm[14403], -0.9107322139950695, 1e-5);
}

TEST(QcRules, CellbenchEnsemblIndexSymbolColumn) {
  BMFM_REQUIRE_DATA(kCellbench);
  BMFM_REQUIRE_DATA(kGenes);
  H5adReader reader(bmfm::test::data_path(kCellbench));
  const auto var = reader.read_var();
  QcConfig cfg = base_config();
  cfg.gene_symbol_column = "gene_symbol";
  cfg.min_genes = 1000;
  cfg.max_mt_fraction = 0.1;
  cfg.iqr.enabled = true;
  cfg.iqr.k = 3.0;
  cfg.iqr.metrics = {"log1p_total_counts", "pct_counts_ribo"};
  cfg.min_cells = 10;
  cfg.protein_coding.enabled = true;
  cfg.protein_coding.gene_table = bmfm::test::data_path(kGenes);
  cfg.protein_coding.match = "ensembl";  // the var index holds Ensembl ids
  cfg.dispersion.min_disp = 0.0;
  cfg.dispersion.n_bins = 10;
  const QcResult r = run_qc(matrix_source(reader, "X"), var, cfg);
  const CellMetrics& m = r.metrics;
  EXPECT_EQ(m.n_mt_genes, 21);
  EXPECT_EQ(m.n_ribo_genes, 354);
  EXPECT_EQ(m.total_counts[0], 15694);
  EXPECT_EQ(m.n_genes_by_counts[0], 4366);
  EXPECT_NEAR(m.value("pct_counts_mt", 0), 11.50758251561106, 1e-12);
  EXPECT_NEAR(m.value("pct_counts_ribo", 0), 13.95437746909647, 1e-12);
  EXPECT_EQ(m.total_counts[700], 31584);
  EXPECT_EQ(m.n_genes_by_counts[700], 5788);
  EXPECT_NEAR(m.value("pct_counts_mt", 700), 13.718971631205674, 1e-12);
  EXPECT_EQ(m.total_counts[1407], 56064);
  EXPECT_EQ(m.n_genes_by_counts[1407], 8195);
  EXPECT_NEAR(m.value("pct_counts_ribo", 1407), 11.501141552511415, 1e-12);
  EXPECT_EQ(m.gene_n_cells[0], 866);
  EXPECT_EQ(m.gene_n_cells[9549], 1407);
  expect_rule(r, "min_genes", 1, 1407);
  expect_rule(r, "max_mt_fraction", 536, 871);
  ASSERT_EQ(r.iqr.size(), 2u);
  expect_bounds(r.iqr[0], 9.647852974813649, 10.407424407861157, 7.369138675671124, 12.686138707003682, 0);
  expect_bounds(r.iqr[1], 10.640674148255373, 14.12168629208983, 0.19763771675200204, 24.5647227235932, 0);
  expect_rule(r, "iqr", 0, 871);
  expect_rule(r, "min_cells", 0, 11533);
  expect_rule(r, "protein_coding", 1492, 10041);
  expect_rule(r, "dispersion", 6108, 3933);
  const auto& norm = r.dispersion->dispersions_norm;
  EXPECT_NEAR(norm[0], -0.082646832607033, 1e-5);
  EXPECT_NEAR(norm[2516], 1.3086842983685325, 1e-5);
  EXPECT_NEAR(norm[5040], -1.1298282145922638, 1e-5);
  EXPECT_NEAR(norm[7564], 0.5527375347267186, 1e-5);
}

TEST(QcRules, ProteinCodingBySymbolColumnOrAuto) {
  BMFM_REQUIRE_DATA(kCellbench);
  BMFM_REQUIRE_DATA(kGenes);
  H5adReader reader(bmfm::test::data_path(kCellbench));
  const auto var = reader.read_var();
  const GeneTable table = GeneTable::load(bmfm::test::data_path(kGenes));
  QcConfig cfg = base_config();
  cfg.protein_coding.enabled = true;
  cfg.protein_coding.gene_table = "unused: the table is passed in";
  // qc_expected.py: 10041 of 11533 by symbol (var/gene_symbol) and by the Ensembl index (auto).
  for (auto [column, match] : {std::pair<std::string, std::string>{"gene_symbol", "symbol"}, {"", "auto"}}) {
    cfg.protein_coding.gene_id_column = column;
    cfg.protein_coding.match = match;
    const QcResult r = run_qc(matrix_source(reader, "X"), var, cfg, &table);
    expect_rule(r, "protein_coding", 1492, 10041);
  }
  // Ids that match nothing are an error, not an empty result.
  cfg.protein_coding.gene_id_column = "";
  cfg.protein_coding.match = "symbol";
  try {
    run_qc(matrix_source(reader, "X"), var, cfg, &table);
    FAIL() << "expected an error";
  } catch (const bmfm::io::FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("gene_id_column"), std::string::npos) << e.what();
  }
}

TEST(QcRules, SymphonyCountsLayer) {
  BMFM_REQUIRE_DATA(kSymphony);
  H5adReader reader(bmfm::test::data_path(kSymphony));
  QcConfig cfg = base_config();
  cfg.matrix = "layers/counts";
  cfg.min_counts = 1000;
  cfg.max_mt_fraction = 0.05;
  cfg.iqr.enabled = true;
  cfg.iqr.metrics = {"log1p_n_genes_by_counts"};
  cfg.min_cells = 20;
  const QcResult r = run_qc(matrix_source(reader, cfg.matrix), reader.read_var(), cfg);
  const CellMetrics& m = r.metrics;
  EXPECT_EQ(m.n_mt_genes, 2);
  EXPECT_EQ(m.n_ribo_genes, 18);
  EXPECT_EQ(m.total_counts[0], 1895);
  EXPECT_EQ(m.n_genes_by_counts[0], 267);
  EXPECT_NEAR(m.value("pct_counts_mt", 0), 2.2691292875989446, 1e-12);
  EXPECT_EQ(m.total_counts[750], 371);
  EXPECT_NEAR(m.value("pct_counts_ribo", 750), 14.285714285714286, 1e-12);
  EXPECT_EQ(m.total_counts[1499], 687);
  EXPECT_NEAR(m.value("pct_counts_mt", 1499), 1.7467248908296944, 1e-12);
  EXPECT_EQ(m.gene_n_cells[0], 778);  // LYZ
  expect_rule(r, "min_counts", 665, 835);
  expect_rule(r, "max_mt_fraction", 3, 832);
  ASSERT_EQ(r.iqr.size(), 1u);
  expect_bounds(r.iqr[0], 5.318119993844216, 5.537334267018537, 4.989298584082736, 5.866155676780018, 8);
  expect_rule(r, "iqr", 8, 824);
  expect_rule(r, "min_cells", 946, 818);
}

TEST(QcRules, LognormMatrixWithCountRulesIsAnError) {
  BMFM_REQUIRE_DATA(kSymphony);
  H5adReader reader(bmfm::test::data_path(kSymphony));
  QcConfig cfg = base_config();
  cfg.min_counts = 1000;
  cfg.max_mt_fraction = 0.05;
  try {
    qc_cells(matrix_source(reader, "X"), reader.read_var(), cfg);
    FAIL() << "expected an error";
  } catch (const bmfm::io::FormatError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("min_counts, max_mt_fraction need raw counts"), std::string::npos) << msg;
    EXPECT_NE(msg.find("X of "), std::string::npos) << msg;
    EXPECT_NE(msg.find("cell row 0, gene column 1 holds 2.15"), std::string::npos) << msg;
    EXPECT_NE(msg.find("not an integer"), std::string::npos) << msg;
    EXPECT_NE(msg.find("this file has: X, layers/counts"), std::string::npos) << msg;
  }
  // Rules that do not need counts run, and the metrics say they are not counts.
  QcConfig ok = base_config();
  ok.min_cells = 20;
  const QcResult r = run_qc(matrix_source(reader, "X"), reader.read_var(), ok);
  EXPECT_FALSE(r.metrics.not_counts.empty());
  // log1p keeps zeros zero, so n_cells (and the rule) equal those of the counts layer.
  const QcResult c = run_qc(matrix_source(reader, "layers/counts"), reader.read_var(), ok);
  EXPECT_TRUE(c.metrics.not_counts.empty());
  EXPECT_EQ(rule(r, "min_cells").removed, rule(c, "min_cells").removed);
  EXPECT_EQ(r.gene_n_cells_kept, c.gene_n_cells_kept);
}

TEST(QcRules, MatrixKeyErrorsListLayers) {
  BMFM_REQUIRE_DATA(kSymphony);
  H5adReader reader(bmfm::test::data_path(kSymphony));
  for (const char* key : {"layers/count", "raw/X", "counts"}) {
    try {
      matrix_source(reader, key);
      FAIL() << key;
    } catch (const bmfm::ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("layers/counts"), std::string::npos) << e.what();
    }
  }
}

TEST(QcRules, MouseBrainEmptyCellAndNoMtGenes) {
  BMFM_REQUIRE_DATA(kMouse);
  H5adReader reader(bmfm::test::data_path(kMouse));
  QcConfig cfg = base_config();
  cfg.min_counts = 1;
  const QcResult r = qc_cells(matrix_source(reader, "X"), reader.read_var(), cfg);
  EXPECT_EQ(r.metrics.n_mt_genes, 0);  // qc_expected.py: no MT- / mt- gene in this 1000-gene subset
  EXPECT_EQ(r.metrics.n_ribo_genes, 3);
  EXPECT_EQ(r.metrics.total_counts[1520], 0);
  EXPECT_EQ(r.metrics.value("pct_counts_ribo", 1520), 0);
  expect_rule(r, "min_counts", 1, 9999);  // only cell 1520 is empty
  EXPECT_EQ(r.keep_cells[1520], 0);
}

TEST(QcRules, SamplingBetweenCellAndGeneRules) {
  BMFM_REQUIRE_DATA(kCellbench);
  H5adReader reader(bmfm::test::data_path(kCellbench));
  const auto var = reader.read_var();
  const auto obs = reader.read_obs();
  QcConfig cfg = base_config();
  cfg.gene_symbol_column = "gene_symbol";
  cfg.max_mt_fraction = 0.1;  // 871 cells left
  cfg.min_cells = 10;
  const auto src = matrix_source(reader, "X");
  QcResult r = qc_cells(src, var, cfg);
  SampleConfig s;
  s.method = "equal";
  s.fraction = 0.5;
  s.columns = {"cell_line"};
  sample_cells(r, s, obs, 42);
  qc_genes(src, var, cfg, r);
  expect_rule(r, "sample", 871 - 436, 436);  // round(0.5 * 871) = 435.5 -> 436
  ASSERT_TRUE(r.sample);
  EXPECT_EQ(r.sample->n_before, 871);
  EXPECT_EQ(r.sample->n_after, 436);
  // Gene rules count cells over the sampled cells only.
  int64_t n = 0;
  for (int64_t g = 0; g < 11533; ++g) n += r.gene_n_cells_kept[static_cast<size_t>(g)] >= 10;
  EXPECT_EQ(rule(r, "min_cells").remaining, n);
  for (int64_t g = 0; g < 11533; ++g)
    EXPECT_LE(r.gene_n_cells_kept[static_cast<size_t>(g)], r.metrics.gene_n_cells[static_cast<size_t>(g)]);
  // Replacement sampling would duplicate cells in one h5ad: refused.
  s.method = "balanced";
  s.n_per_class = 10;
  s.replace = true;
  EXPECT_THROW(sample_cells(r, s, obs, 1), bmfm::ConfigError);
}

TEST(QcOutput, SubsetKeepsMatricesObsVarConsistent) {
  BMFM_REQUIRE_DATA(kSymphony);
  H5adReader reader(bmfm::test::data_path(kSymphony));
  QcConfig cfg = base_config();
  cfg.matrix = "layers/counts";
  cfg.min_counts = 1000;
  cfg.min_cells = 20;
  const QcResult r = run_qc(matrix_source(reader, cfg.matrix), reader.read_var(), cfg);
  const auto ad = qc_subset(reader, r, cfg);
  ASSERT_EQ(ad.n_obs(), 835);
  ASSERT_EQ(ad.n_vars(), r.n_vars_after());
  ASSERT_EQ(ad.layers.count("counts"), 1u);
  const auto& counts = ad.layers.at("counts");
  EXPECT_EQ(counts.n_rows, 835);
  EXPECT_EQ(counts.n_cols, ad.n_vars());
  ad.X.validate("X");
  counts.validate("counts");
  // Spot-check: every stored value of the subset equals the source value.
  const auto rows = r.kept_cells(), cols = r.kept_genes();
  const auto full_x = reader.read_matrix("X"), full_c = reader.read_matrix("layers/counts");
  auto dense_row = [](const bmfm::io::CsrMatrix& m, int64_t row) {
    std::vector<float> v(static_cast<size_t>(m.n_cols), 0);
    for (int64_t k = m.indptr[row]; k < m.indptr[row + 1]; ++k) v[static_cast<size_t>(m.indices[k])] = m.data[k];
    return v;
  };
  for (int64_t i : {int64_t{0}, int64_t{400}, int64_t{834}}) {
    const auto sub_x = dense_row(ad.X, i), sub_c = dense_row(counts, i);
    const auto src_x = dense_row(full_x, rows[i]), src_c = dense_row(full_c, rows[i]);
    for (size_t j = 0; j < cols.size(); ++j) {
      EXPECT_EQ(sub_x[j], src_x[static_cast<size_t>(cols[j])]);
      EXPECT_EQ(sub_c[j], src_c[static_cast<size_t>(cols[j])]);
    }
  }
  // obs: the cells' rows with the metric columns; var: the genes with n_cells_by_counts.
  EXPECT_EQ(ad.obs.index[0], reader.read_obs().index[static_cast<size_t>(rows[0])]);
  EXPECT_EQ(ad.obs.at("total_counts").numeric[0], r.metrics.total_counts[static_cast<size_t>(rows[0])]);
  EXPECT_EQ(ad.obs.at("n_genes_by_counts").integer.size(), 835u);
  EXPECT_NE(ad.obs.find("pct_counts_mt"), nullptr);
  EXPECT_NE(ad.obs.find("pct_counts_ribo"), nullptr);
  EXPECT_NE(ad.obs.find("cell_type"), nullptr);
  EXPECT_EQ(ad.var.index[0], reader.read_var().index[static_cast<size_t>(cols[0])]);
  for (int64_t n : ad.var.at("n_cells_by_counts").integer) EXPECT_GE(n, 20);
  // Categories no kept cell uses are dropped; codes stay valid.
  const auto& ct = ad.obs.at("cell_type");
  for (int32_t code : ct.codes) EXPECT_LT(code, static_cast<int32_t>(ct.categories.size()));
  // It round-trips through the writer.
  const std::string path = bmfm::test::temp_dir("qc_out") + "/out.h5ad";
  bmfm::io::write_h5ad(path, ad);
  H5adReader back(path);
  EXPECT_EQ(back.n_obs(), 835);
  EXPECT_EQ(back.n_vars(), ad.n_vars());
  EXPECT_EQ(back.read_matrix("layers/counts").nnz(), counts.nnz());
}

TEST(QcOutput, TakeRowsAndColumns) {
  bmfm::io::CsrMatrix m;
  m.n_rows = 3;
  m.n_cols = 3;
  m.indptr = {0, 2, 3, 5};
  m.indices = {0, 2, 1, 0, 2};
  m.data = {1, 2, 3, 4, 5};
  const auto t = take(m, {0, 2}, {2});
  EXPECT_EQ(t.n_rows, 2);
  EXPECT_EQ(t.n_cols, 1);
  EXPECT_EQ(t.indptr, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(t.data, (std::vector<float>{2, 5}));
  EXPECT_THROW(take(m, {2, 0}, {0}), std::invalid_argument);
}

TEST(QcReport, JsonAndMarkdown) {
  BMFM_REQUIRE_DATA(kScp);
  H5adReader reader(bmfm::test::data_path(kScp));
  QcConfig cfg = base_config();
  cfg.min_genes = 200;
  cfg.max_mt_fraction = 0.15;
  cfg.iqr.enabled = true;
  cfg.min_cells = 3;
  const QcResult r = run_qc(matrix_source(reader, "X"), reader.read_var(), cfg);
  const QcReportContext ctx{"in.h5ad", "out.h5ad", "X", 1.5};
  const auto j = nlohmann::json::parse(qc_report_json(r, cfg, ctx));
  EXPECT_EQ(j["cells"]["before"], 1020);
  EXPECT_EQ(j["cells"]["after"], r.n_obs_after());
  EXPECT_EQ(j["genes"]["after"], r.n_vars_after());
  ASSERT_EQ(j["rules"].size(), 4u);
  EXPECT_EQ(j["rules"][0]["name"], "min_genes");
  EXPECT_EQ(j["rules"][0]["removed"], 15);
  EXPECT_EQ(j["rules"][1]["removed"], 171);
  EXPECT_EQ(j["iqr"].size(), 3u);
  EXPECT_EQ(j["metrics"]["total_counts"]["before"]["min"], 219.0);
  EXPECT_EQ(j["metrics"]["total_counts"]["before"]["n"], 1020);
  const std::string md = qc_report_markdown(r, cfg, ctx);
  EXPECT_NE(md.find("| 1 | min_genes | cells | n_genes_by_counts >= 200 | 15 | 1005 |"), std::string::npos) << md;
  EXPECT_NE(md.find("### pct_counts_mt (kept cells)"), std::string::npos);
  EXPECT_NE(md.find("IQR bounds"), std::string::npos);
}

TEST(QcReport, TextHistogram) {
  const std::string h = text_histogram({1, 1, 1, 2, 3, 4}, 3, 10);
  // Bins [1, 2) [2, 3) [3, 4]: 3, 1, 2 cells; the fullest bin gets the full width.
  EXPECT_NE(h.find("3 ##########\n"), std::string::npos) << h;
  EXPECT_NE(h.find("1 ###\n"), std::string::npos) << h;
  EXPECT_NE(h.find("2 #######\n"), std::string::npos) << h;
  EXPECT_EQ(text_histogram({}, 3), "  (no cells)\n");
  EXPECT_NE(text_histogram({5, 5}, 3).find("2 #"), std::string::npos);
}

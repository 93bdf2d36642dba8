// Label columns: dictionary building (order rules), encoding with missing /
// silenced / unseen values, multi-label and regression columns, the JSON
// round trip, config errors, and one real file whose class counts were
// computed independently with h5py (tests/data/tokenizer_label_counts.py).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "bmfm/data/labels.h"
#include "bmfm/io/h5ad.h"
#include "tokenizer_test_util.h"

using namespace bmfm::data;
using bmfm::io::Column;
using bmfm::io::DataFrame;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

Column categorical(const std::string& name, std::vector<std::string> cats, std::vector<int32_t> codes) {
  Column c;
  c.name = name;
  c.kind = Column::Kind::Categorical;
  c.dtype = "category";
  c.categories = std::move(cats);
  c.codes = std::move(codes);
  return c;
}

Column strings(const std::string& name, std::vector<std::string> v) {
  Column c;
  c.name = name;
  c.kind = Column::Kind::String;
  c.dtype = "str";
  c.strings = std::move(v);
  return c;
}

Column numeric(const std::string& name, std::vector<double> v) {
  Column c;
  c.name = name;
  c.kind = Column::Kind::Numeric;
  c.dtype = "float64";
  c.numeric = std::move(v);
  return c;
}

Column booleans(const std::string& name, std::vector<uint8_t> v) {
  Column c;
  c.name = name;
  c.kind = Column::Kind::Boolean;
  c.dtype = "bool";
  c.boolean = std::move(v);
  return c;
}

DataFrame frame(std::vector<Column> cols) {
  DataFrame df;
  for (size_t i = 0; i < static_cast<size_t>(cols.front().size()); ++i) df.index.push_back("cell" + std::to_string(i));
  df.columns = std::move(cols);
  return df;
}

std::vector<LabelColumnConfig> configs() {
  return {{"ct", "classification", {"unknown"}, "|"}, {"str", "classification", {}, "|"},
          {"num", "classification", {}, "|"},          {"flag", "classification", {}, "|"},
          {"tags", "multilabel", {"unknown"}, "|"},    {"score", "regression", {}, "|"}};
}

DataFrame six_cells() {
  return frame({categorical("ct", {"b", "a", "c", "unused", "unknown"}, {0, 1, 0, -1, 4, 2}),
                strings("str", {"x", "y", "", "nan", "x", "z"}),
                numeric("num", {2, 10, 1.5, kNaN, 10, 2}),
                booleans("flag", {1, 0, 1, 1, 0, 0}),
                strings("tags", {"a|b", "b", "", "c|a", "unknown", "b||c"}),
                numeric("score", {0.5, kNaN, 2, 3, -1, 0})});
}

using Names = std::vector<std::string>;

// Column `k` of the (n_obs, C) class labels.
std::vector<int32_t> class_column(const EncodedLabels& e, size_t k) {
  std::vector<int32_t> out;
  for (int64_t i = 0; i < e.n_obs; ++i)
    out.push_back(e.class_labels[static_cast<size_t>(i * e.layout.n_class_columns) + k]);
  return out;
}

}  // namespace

TEST(Labels, DictionaryOrderRules) {
  const DataFrame obs = six_cells();
  const LabelDictionary dict = LabelDictionary::build(obs, configs(), "six_cells");
  EXPECT_EQ(dict.column("ct").classes, (Names{"b", "a", "c"}));  // category order, observed, not silenced
  EXPECT_EQ(dict.column("str").classes, (Names{"x", "y", "z"}));  // sorted text
  EXPECT_EQ(dict.column("num").classes, (Names{"1.5", "2", "10"}));  // numeric order
  EXPECT_EQ(dict.column("flag").classes, (Names{"false", "true"}));
  EXPECT_EQ(dict.column("tags").classes, (Names{"a", "b", "c"}));
  EXPECT_TRUE(dict.column("score").classes.empty());
  const LabelLayout l = dict.layout();
  EXPECT_EQ(l.n_class_columns, 4);
  EXPECT_EQ(l.multilabel_width, 3);
  EXPECT_EQ(l.n_regression, 1);
}

TEST(Labels, EncodingMissingSilencedMultiLabelRegression) {
  const DataFrame obs = six_cells();
  const auto cfgs = configs();
  const LabelDictionary dict = LabelDictionary::build(obs, cfgs, "six_cells");
  const EncodedLabels e = encode_labels(obs, dict, cfgs, "six_cells");
  ASSERT_EQ(e.n_obs, 6);
  using I = std::vector<int32_t>;
  EXPECT_EQ(class_column(e, 0), (I{0, 1, 0, -100, -100, 2}));
  EXPECT_EQ(class_column(e, 1), (I{0, 1, -100, -100, 0, 2}));
  EXPECT_EQ(class_column(e, 2), (I{1, 2, 0, -100, 2, 1}));
  EXPECT_EQ(class_column(e, 3), (I{1, 0, 1, 1, 0, 0}));
  const float x = -100;
  EXPECT_EQ(e.multilabel, (std::vector<float>{1, 1, 0, 0, 1, 0, x, x, x, 1, 0, 1, x, x, x, 0, 1, 1}));
  ASSERT_EQ(e.regression.size(), 6u);
  EXPECT_EQ(e.regression[0], 0.5f);
  EXPECT_TRUE(std::isnan(e.regression[1]));
  EXPECT_EQ(e.regression[4], -1.0f);
  EXPECT_EQ(e.report[0].n_missing, 1);
  EXPECT_EQ(e.report[0].n_silenced, 1);
  EXPECT_EQ(e.report[1].n_missing, 2);
  EXPECT_EQ(e.report[4].n_silenced, 1);
  EXPECT_EQ(e.report[5].n_missing, 1);
  for (const auto& r : e.report) EXPECT_EQ(r.n_unseen, 0);

  std::vector<int32_t> c;
  std::vector<float> m, rg;
  e.row(3, c, m, rg);
  EXPECT_EQ(c, (I{-100, -100, -100, 1}));
  EXPECT_EQ(m, (std::vector<float>{1, 0, 1}));
  EXPECT_EQ(rg, (std::vector<float>{3}));
}

TEST(Labels, SavedDictionaryMapsUnseenToIgnore) {
  const auto cfgs = configs();
  const LabelDictionary built = LabelDictionary::build(six_cells(), cfgs, "six_cells");
  const std::string path = bmfm::test::temp_dir("labels") + "/labels.json";
  built.save(path);
  const LabelDictionary dict = LabelDictionary::load(path);
  EXPECT_EQ(dict.to_json(), built.to_json());
  const std::string json = dict.to_json();
  EXPECT_LT(json.find("\"ct\""), json.find("\"str\""));  // column order kept
  EXPECT_HAS(json, "\"format\": \"bmfm-label-dictionary\"");

  // A new dataset: other category lists, unseen names.
  const DataFrame obs = frame({categorical("ct", {"c", "d", "b"}, {0, 1, 2}),
                               strings("str", {"y", "w", "w"}),
                               numeric("num", {10, 3, 1.5}),
                               booleans("flag", {0, 0, 1}),
                               strings("tags", {"a|q", "c", "q"}),
                               numeric("score", {1, 2, 3})});
  const EncodedLabels e = encode_labels(obs, dict, cfgs, "new_cells");
  using I = std::vector<int32_t>;
  EXPECT_EQ(class_column(e, 0), (I{2, -100, 0}));
  EXPECT_EQ(class_column(e, 1), (I{1, -100, -100}));
  EXPECT_EQ(class_column(e, 2), (I{2, -100, 0}));
  EXPECT_EQ(e.multilabel, (std::vector<float>{1, 0, 0, 0, 0, 1, 0, 0, 0}));
  EXPECT_EQ(e.report[0].n_unseen, 1);
  EXPECT_EQ(e.report[0].unseen_examples, (Names{"d"}));
  EXPECT_EQ(e.report[1].n_unseen, 2);
  EXPECT_EQ(e.report[1].unseen_examples, (Names{"w"}));
  EXPECT_EQ(e.report[2].unseen_examples, (Names{"3"}));
  EXPECT_EQ(e.report[4].n_unseen, 2);  // the part "q", twice
}

TEST(Labels, SeveralDatasets) {
  const std::vector<LabelColumnConfig> cfg{{"ct", "classification", {}, "|"}};
  const DataFrame a = frame({categorical("ct", {"z", "y"}, {0, 1})});
  const DataFrame b = frame({categorical("ct", {"z", "y"}, {1, 1})});
  const DataFrame c = frame({categorical("ct", {"y", "x"}, {0, 1})});
  const DataFrame s = frame({strings("ct", {"w", "z"})});
  // Same category lists: categorical order.
  EXPECT_EQ(LabelDictionary::build({&a, &b}, cfg, "a+b").column("ct").classes, (Names{"z", "y"}));
  // Different lists, or mixed kinds: sorted union.
  EXPECT_EQ(LabelDictionary::build({&a, &c}, cfg, "a+c").column("ct").classes, (Names{"x", "y", "z"}));
  EXPECT_EQ(LabelDictionary::build({&a, &s}, cfg, "a+s").column("ct").classes, (Names{"w", "y", "z"}));
}

TEST(Labels, ErrorsNameColumnAndSource) {
  const DataFrame obs = six_cells();
  EXPECT_HAS(bmfm::test::error_of<std::invalid_argument>([&] { LabelDictionary::build(obs, {{"celltype", "classification", {}, "|"}}, "pbmc.h5ad"); }),
             "label column 'celltype' is not an obs column of pbmc.h5ad (columns: ct, str");
  EXPECT_HAS(bmfm::test::error_of<std::invalid_argument>([&] { LabelDictionary::build(obs, {{"str", "regression", {}, "|"}}, "pbmc.h5ad"); }),
             "regression needs a numeric column");
  const DataFrame empty = frame({strings("e", {"", "nan"})});
  EXPECT_HAS(bmfm::test::error_of<std::invalid_argument>([&] { LabelDictionary::build(empty, {{"e", "classification", {}, "|"}}, "x"); }),
             "no non-missing");
  const LabelDictionary dict = LabelDictionary::build(obs, configs(), "six_cells");
  auto other = configs();
  other[5].kind = "classification";
  EXPECT_HAS(bmfm::test::error_of<std::invalid_argument>([&] { encode_labels(obs, dict, other, "ckpt"); }), "do not match the label dictionary");
  EXPECT_HAS(bmfm::test::error_of<std::invalid_argument>([&] { LabelDictionary::from_json("{\"format\": \"x\"}", "l.json"); }),
             "label dictionary l.json: \"format\"");
}

namespace {
struct LabelsRun {
  std::vector<LabelColumnConfig> label_columns;
};
const bmfm::config::Schema<LabelsRun>& labels_run_schema() {
  static const auto s = bmfm::config::Schema<LabelsRun>("labels run")
                            .field("label_columns", &LabelsRun::label_columns, "obs label columns");
  return s;
}
}  // namespace

TEST(Labels, ConfigListIsStrict) {
  const auto cfg = bmfm::test::config_from_yaml(R"(
label_columns:
  - {name: cell_type, silent_values: [unknown]}
  - {name: tags, kind: multilabel, separator: ";"}
)");
  const LabelsRun run = labels_run_schema().read(cfg, "");
  ASSERT_EQ(run.label_columns.size(), 2u);
  EXPECT_EQ(run.label_columns[0].silent_values, (Names{"unknown"}));
  EXPECT_EQ(run.label_columns[0].kind, "classification");
  EXPECT_EQ(run.label_columns[1].separator, ";");
  EXPECT_HAS(bmfm::test::error_of<bmfm::ConfigError>([&] {
               labels_run_schema().read(bmfm::test::config_from_yaml("label_columns: [{name: a, kind: regresion}]\n"), "");
             }),
             "label_columns[0].kind");
  EXPECT_HAS(bmfm::test::error_of<bmfm::ConfigError>([&] {
               labels_run_schema().read(bmfm::test::config_from_yaml("label_columns: [{name: a, silent: [x]}]\n"), "");
             }),
             "silent_values");
}

TEST(LabelsRealData, CellxgeneClassCounts) {
  BMFM_REQUIRE_DATA("bmfm_cellxgene_pretrain.h5ad");
  const bmfm::io::H5adReader reader(bmfm::test::data_path("bmfm_cellxgene_pretrain.h5ad"));
  const DataFrame obs = reader.read_obs();
  const std::vector<LabelColumnConfig> cfg{{"cell_type", "classification", {}, "|"},
                                           {"tissue", "classification", {}, "|"},
                                           {"donor_id", "classification", {}, "|"}};
  const LabelDictionary dict = LabelDictionary::build(obs, cfg, "bmfm_cellxgene_pretrain.h5ad");
  const EncodedLabels e = encode_labels(obs, dict, cfg, "bmfm_cellxgene_pretrain.h5ad");

  // Pasted from: /usr/bin/python3 tests/data/tokenizer_label_counts.py ../shared/data/bmfm_cellxgene_pretrain.h5ad
  // (h5py reads the categorical codes/categories; classes = categories with >= 1 cell, in stored order)
  using Counts = std::vector<std::pair<std::string, int64_t>>;
  const std::vector<Counts> expected = {
      // cell_type: 22 classes, 0 missing, n_obs 220
      {{"B cell", 10}, {"Hofbauer cell", 10}, {"T cell", 10}, {"decidual natural killer cell, human", 10}, {"dendritic cell", 10}, {"embryonic fibroblast", 10}, {"endothelial cell of lymphatic vessel", 10}, {"endothelial cell of placenta", 10}, {"endothelial cell of uterus", 10}, {"epithelial cell", 10}, {"extravillous trophoblast", 10}, {"granulocyte", 10}, {"group 3 innate lymphoid cell, human", 10}, {"macrophage", 10}, {"native cell", 10}, {"natural killer cell", 10}, {"placental villous trophoblast", 10}, {"plasma cell", 10}, {"regulatory T cell", 10}, {"stromal cell", 10}, {"syncytiotrophoblast cell", 10}, {"uterine smooth muscle cell", 10}},
      // tissue: 4 classes, 0 missing, n_obs 220
      {{"blood", 23}, {"decidua", 95}, {"decidua basalis", 27}, {"placenta", 75}},
      // donor_id: 26 classes, 0 missing, n_obs 220 (category order, not sorted: "10_fetus" follows "9_mother")
      {{"6_fetus", 1}, {"6_mother", 19}, {"7_mother", 7}, {"8_fetus", 4}, {"8_mother", 13}, {"9_fetus", 2}, {"9_mother", 26}, {"10_fetus", 3}, {"10_mother", 3}, {"11_fetus", 1}, {"12_fetus", 9}, {"12_mother", 5}, {"H2_mother", 8}, {"Hrv43_mother", 8}, {"Hrv46_fetus", 4}, {"Hrv46_mother", 18}, {"Hrv98_fetus", 3}, {"Hrv98_mother", 14}, {"Hrv99_fetus", 18}, {"Hrv99_mother", 1}, {"Hrv100_fetus", 1}, {"Hrv100_mother", 19}, {"P13_fetus", 15}, {"P13_mother", 12}, {"R0_mother", 2}, {"R1_mother", 4}},
  };
  ASSERT_EQ(e.n_obs, 220);
  for (size_t k = 0; k < 3; ++k) {
    const auto& classes = dict.columns()[k].classes;
    ASSERT_EQ(classes.size(), expected[k].size()) << cfg[k].name;
    std::vector<int64_t> counts(classes.size(), 0);
    for (int32_t code : class_column(e, k)) {
      ASSERT_GE(code, 0);
      ++counts[static_cast<size_t>(code)];
    }
    for (size_t c = 0; c < classes.size(); ++c) {
      EXPECT_EQ(classes[c], expected[k][c].first) << cfg[k].name;
      EXPECT_EQ(counts[c], expected[k][c].second) << cfg[k].name << " " << classes[c];
    }
  }

  // Silencing a class at encoding time: its 23 cells get -100, the others keep their indices.
  auto silenced = cfg;
  silenced[1].silent_values = {"blood"};
  const EncodedLabels s = encode_labels(obs, dict, silenced, "bmfm_cellxgene_pretrain.h5ad");
  EXPECT_EQ(s.report[1].n_silenced, 23);
  int64_t ignored = 0;
  for (int32_t code : class_column(s, 1)) ignored += code == -100;
  EXPECT_EQ(ignored, 23);
}

// Typed schema tables: strict reading, errors that name key + source, help.
#include "bmfm/config/schema.h"
#include "bmfm/config/scalar.h"

#include <gtest/gtest.h>

#include "config_test_util.h"

namespace bmfm::config {
namespace {

using test::compose_file;
using test::write_file;

struct OptimConfig {
  double lr = 1e-4;
  std::vector<double> betas = {0.9, 0.999};
  std::string name = "adamw";
};

struct ModelConfig {
  int64_t hidden_size = 768;
  int32_t n_layers = 12;
  bool bf16 = false;
  std::string vocab;  // required
  OptimConfig optim;
};

const Schema<OptimConfig>& optim_schema() {
  static const auto schema = Schema<OptimConfig>("optim")
                                 .field("lr", &OptimConfig::lr, "peak learning rate")
                                 .field("betas", &OptimConfig::betas, "Adam betas")
                                 .field("name", &OptimConfig::name, "optimizer")
                                 .check([](const OptimConfig& c, const Config& cfg, const std::string& prefix) {
                                   require_one_of(cfg, prefix + "name", c.name, {"adamw", "sgd"});
                                   if (!(c.lr > 0)) fail(cfg, prefix + "lr", "must be positive");
                                 });
  return schema;
}

const Schema<ModelConfig>& model_schema() {
  static const auto schema = Schema<ModelConfig>("model")
                                 .field("hidden_size", &ModelConfig::hidden_size, "width of the encoder")
                                 .field("n_layers", &ModelConfig::n_layers, "encoder blocks")
                                 .field("bf16", &ModelConfig::bf16, "bf16 autocast")
                                 .field("vocab", &ModelConfig::vocab, "vocabulary file", /*required=*/true)
                                 .section("optim", &ModelConfig::optim, optim_schema(), "optimizer settings");
  return schema;
}

class SchemaTest : public ::testing::Test {
 protected:
  void SetUp() override { dir = test::temp_dir("schema"); }
  Config load(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
    path = write_file(dir, "x.yaml", yaml);
    return compose_file(path, overrides);
  }
  std::string dir, path;
};

TEST_F(SchemaTest, ReadsFieldsAndNestedSectionsKeepingDefaultsForTheRest) {
  const auto cfg = load("model:\n  hidden_size: 64\n  bf16: true\n  vocab: v.json\n  optim:\n    betas: [0.5, 0.6]\n");
  const ModelConfig m = model_schema().read(cfg, "model");
  EXPECT_EQ(m.hidden_size, 64);
  EXPECT_EQ(m.n_layers, 12);
  EXPECT_TRUE(m.bf16);
  EXPECT_EQ(m.vocab, "v.json");
  EXPECT_EQ(m.optim.betas, (std::vector<double>{0.5, 0.6}));
  EXPECT_DOUBLE_EQ(m.optim.lr, 1e-4);
  EXPECT_EQ(m.optim.name, "adamw");
}

TEST_F(SchemaTest, RootSectionReadsTopLevelKeys) {
  const auto cfg = load("lr: 0.5\nname: sgd\n");
  const OptimConfig o = optim_schema().read(cfg, "");
  EXPECT_DOUBLE_EQ(o.lr, 0.5);
  EXPECT_EQ(o.name, "sgd");
}

TEST_F(SchemaTest, UnknownKeyNamesFileLineAndTheClosestKey) {
  const auto cfg = load("model:\n  vocab: v\n  hiden_size: 3\n");
  EXPECT_EQ(bmfm::test::error_of<bmfm::ConfigError>([&] { model_schema().read(cfg, "model"); }),
            "unknown key 'model.hiden_size' (from " + path + ":3); did you mean 'hidden_size'?");
}

TEST_F(SchemaTest, UnknownKeyWithoutAMatchListsTheValidKeys) {
  const auto cfg = load("model:\n  vocab: v\n  optim:\n    schedule: cosine\n");
  EXPECT_EQ(
      bmfm::test::error_of<bmfm::ConfigError>([&] { model_schema().read(cfg, "model"); }),
      "unknown key 'model.optim.schedule' (from " + path + ":4); valid keys in 'model.optim' (optim): lr, betas, name");
}

TEST_F(SchemaTest, UnknownKeyFromTheCommandLineSaysSo) {
  const auto cfg = load("model: {vocab: v}\n", {"+model.n_layer=2"});
  EXPECT_EQ(bmfm::test::error_of<bmfm::ConfigError>([&] { model_schema().read(cfg, "model"); }),
            "unknown key 'model.n_layer' (from <command line>); did you mean 'n_layers'?");
}

TEST_F(SchemaTest, WrongTypeNamesKeySourceAndValue) {
  const auto cfg = load("model:\n  vocab: v\n  hidden_size: abc\n");
  EXPECT_EQ(bmfm::test::error_of<bmfm::ConfigError>([&] { model_schema().read(cfg, "model"); }),
            "key 'model.hidden_size' (from " + path + ":3): expected int, got 'abc'");
}

TEST_F(SchemaTest, MappingForAScalarAndScalarForASectionAreTypeErrors) {
  const auto a = load("model:\n  vocab: v\n  n_layers: {x: 1}\n");
  EXPECT_CONTAINS(bmfm::test::error_of<bmfm::ConfigError>([&] { model_schema().read(a, "model"); }), "expected int, got a mapping");
  const auto b = load("model:\n  vocab: v\n  optim: fast\n");
  EXPECT_EQ(bmfm::test::error_of<bmfm::ConfigError>([&] { model_schema().read(b, "model"); }),
            "key 'model.optim' (from " + path + ":3): expected a mapping (section 'optim'), got 'fast'");
  const auto c = load("model: [1]\n");
  EXPECT_CONTAINS(bmfm::test::error_of<bmfm::ConfigError>([&] { model_schema().read(c, "model"); }),
                  "expected a mapping (section 'model'), got a list");
}

TEST_F(SchemaTest, MissingRequiredKeyNamesKeySectionAndHowToSetIt) {
  const auto cfg = load("model:\n  hidden_size: 8\n");
  EXPECT_EQ(bmfm::test::error_of<bmfm::ConfigError>([&] { model_schema().read(cfg, "model"); }),
            "missing required key 'model.vocab' (string: vocabulary file) in section 'model' (from " + path +
                ":1) of 'model'; set it in the config or with +model.vocab=VALUE");
}

TEST_F(SchemaTest, MissingSectionStillChecksRequiredKeys) {
  const auto cfg = load("other: 1\n");
  EXPECT_CONTAINS(bmfm::test::error_of<bmfm::ConfigError>([&] { model_schema().read(cfg, "model"); }), "missing required key 'model.vocab'");
  const OptimConfig o = optim_schema().read(cfg, "optim");  // absent: all defaults
  EXPECT_EQ(o.name, "adamw");
}

TEST_F(SchemaTest, NullSectionMeansDefaults) {
  const auto cfg = load("optim:\n");
  EXPECT_EQ(optim_schema().read(cfg, "optim").name, "adamw");
}

TEST_F(SchemaTest, ChecksRunWithTheSectionPrefix) {
  const auto cfg = load("model:\n  vocab: v\n  optim:\n    name: adamm\n");
  EXPECT_EQ(bmfm::test::error_of<bmfm::ConfigError>([&] { model_schema().read(cfg, "model"); }),
            "key 'model.optim.name' (from " + path + ":4): 'adamm' is not one of: adamw, sgd; did you mean 'adamw'?");
  const auto neg = load("lr: -1\n");
  EXPECT_EQ(bmfm::test::error_of<bmfm::ConfigError>([&] { optim_schema().read(neg, ""); }), "key 'lr' (from " + path + ":1): must be positive");
}

TEST_F(SchemaTest, HelpPrintsTypesRealDefaultsAndHelp) {
  const std::string help = model_schema().help(2);
  EXPECT_CONTAINS(help, "  hidden_size  (int, default: 768)  width of the encoder\n");
  EXPECT_CONTAINS(help, "  bf16         (bool, default: false)  bf16 autocast\n");
  EXPECT_CONTAINS(help, "  vocab        (string, required)  vocabulary file\n");
  EXPECT_CONTAINS(help, "  optim        (section)  optimizer settings\n");
  EXPECT_CONTAINS(help, "    lr     (float, default: 1.0e-4)  peak learning rate\n");
  EXPECT_CONTAINS(help, "    betas  (list of float, default: [0.9, 0.999])  Adam betas\n");
  EXPECT_CONTAINS(help, "    name   (string, default: adamw)  optimizer\n");
  EXPECT_EQ(model_schema().keys(), (std::vector<std::string>{"hidden_size", "n_layers", "bf16", "vocab", "optim"}));
}

TEST_F(SchemaTest, RegisteringAKeyTwiceIsAProgrammingError) {
  EXPECT_THROW(Schema<OptimConfig>("x").field("lr", &OptimConfig::lr, "").field("lr", &OptimConfig::lr, ""),
               std::logic_error);
  EXPECT_THROW(Schema<OptimConfig>("x").field("a.b", &OptimConfig::lr, ""), std::logic_error);
}

struct FreeForm {
  YAML::Node extra;
  std::map<std::string, double> weights;
  std::optional<std::string> checkpoint;
  std::optional<int> limit = 5;
};

TEST_F(SchemaTest, RawNodesMapsAndOptionalsHoldFreeFormContent) {
  const auto schema = Schema<FreeForm>("free")
                          .field("extra", &FreeForm::extra, "anything")
                          .field("weights", &FreeForm::weights, "loss weights")
                          .field("checkpoint", &FreeForm::checkpoint, "checkpoint or null")
                          .field("limit", &FreeForm::limit, "optional limit");
  const auto cfg = load("extra: {a: [1, 2], b: x}\nweights: {mlm: 1, wced: 0.5}\ncheckpoint: null\n");
  const FreeForm f = schema.read(cfg, "");
  EXPECT_EQ(f.extra["a"][1].as<int>(), 2);
  EXPECT_DOUBLE_EQ(f.weights.at("wced"), 0.5);
  EXPECT_FALSE(f.checkpoint.has_value());
  EXPECT_EQ(f.limit, 5);
  EXPECT_CONTAINS(schema.help(), "checkpoint  (string or null, default: null)");
  EXPECT_CONTAINS(schema.help(), "weights     (mapping of float, default: {})");
  const auto bad = load("weights: {mlm: high}\n");
  EXPECT_EQ(bmfm::test::error_of<bmfm::ConfigError>([&] { schema.read(bad, ""); }),
            "key 'weights.mlm' (from " + path + ":1): expected float, got 'high'");
}

TEST_F(SchemaTest, DefaultsAreTheStructValuesAsTypedYaml) {
  const YAML::Node d = model_schema().defaults();
  EXPECT_EQ(d["hidden_size"].Scalar(), "768");
  EXPECT_EQ(scalar_type(d["bf16"]), ScalarType::Bool);
  EXPECT_FALSE(d["vocab"].IsDefined());  // required: left out so that forgetting it stays an error
  EXPECT_EQ(d["optim"]["betas"][1].Scalar(), "0.999");
  EXPECT_EQ(scalar_type(d["optim"]["name"]), ScalarType::String);
  ModelConfig custom;
  custom.optim.name = "123";
  EXPECT_EQ(scalar_type(model_schema().defaults(custom)["optim"]["name"]), ScalarType::String);
}

TEST_F(SchemaTest, ComposingOnTopOfTheDefaultsLetsOverridesSetAnySchemaKey) {
  const std::string primary = write_file(dir, "y.yaml", "model:\n  vocab: v\n  n_layers: 2\n");
  ComposeRequest req;
  req.config_file = primary;
  req.base = YAML::Node(YAML::NodeType::Map);
  req.base["model"] = model_schema().defaults();
  req.overrides = {"model.optim.lr=0.5"};  // not in y.yaml: only the base has it
  const Config cfg = compose(req);
  const ModelConfig m = model_schema().read(cfg, "model");
  EXPECT_DOUBLE_EQ(m.optim.lr, 0.5);
  EXPECT_EQ(m.n_layers, 2);  // the primary config wins over the base
  EXPECT_EQ(cfg.source("model.hidden_size").str(), "<defaults>");
  EXPECT_EQ(cfg.source("model.n_layers").str(), primary + ":3");
  EXPECT_CONTAINS(cfg.to_yaml(), "hidden_size: 768");
  req.config_file = write_file(dir, "z.yaml", "model: {}\n");
  req.overrides = {};
  const Config no_vocab = compose(req);
  EXPECT_CONTAINS(bmfm::test::error_of<bmfm::ConfigError>([&] { model_schema().read(no_vocab, "model"); }), "missing required key 'model.vocab'");
}

TEST(DidYouMeanTest, SuggestsTheClosestCandidateOnlyWhenClose) {
  const std::vector<std::string> keys = {"n_cells", "n_genes", "dropout", "hidden_size", "seed"};
  EXPECT_EQ(did_you_mean("n_cels", keys), "n_cells");
  EXPECT_EQ(did_you_mean("dropuot", keys), "dropout");  // a swap counts once
  EXPECT_EQ(did_you_mean("hiden_size", keys), "hidden_size");
  EXPECT_EQ(did_you_mean("Seed", keys), "seed");
  EXPECT_EQ(did_you_mean("learning_rate", keys), "");
  EXPECT_EQ(did_you_mean("x", keys), "");
  EXPECT_EQ(did_you_mean("abc", {}), "");
}

}  // namespace
}  // namespace bmfm::config

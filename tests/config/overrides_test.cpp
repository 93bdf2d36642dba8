// Command-line overrides: key=value, group=option, +key, ++key, ~key.
#include <gtest/gtest.h>

#include "bmfm/config/compose.h"
#include "bmfm/config/scalar.h"
#include "config_test_util.h"

namespace bmfm::config {
namespace {

using test::compose_file;
using test::text_at;
using test::write_file;

class OverridesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = test::temp_dir("overrides");
    write_file(dir, "db/mysql.yaml", "driver: mysql\nport: 3306\n");
    write_file(dir, "db/postgresql.yaml", "driver: postgresql\nport: 5432\n");
    write_file(dir, "server/apache.yaml", "defaults:\n  - db: small\nport: 80\n");
    write_file(dir, "server/db/small.yaml", "pool: 2\n");
    write_file(dir, "server/db/large.yaml", "pool: 64\n");
    primary = write_file(dir, "app.yaml",
                         "defaults:\n"
                         "  - db: mysql\n"
                         "  - _self_\n"
                         "seed: 0\n"
                         "name: app\n"
                         "trainer:\n"
                         "  max_steps: 100\n"
                         "  devices: [0, 1]\n"
                         "  opt: {lr: 0.1, wd: 0.0}\n");
  }
  Config with(const std::vector<std::string>& overrides) { return compose_file(primary, overrides); }
  std::string dir, primary;
};

TEST_F(OverridesTest, ValuesAreParsedAsYamlAndKeepTheirTypes) {
  const auto cfg = with({"trainer.max_steps=5", "name=[1,2]", "seed=true", "trainer.devices=null", "trainer.opt.lr='3'",
                         "trainer.opt.wd=1e-2"});
  EXPECT_EQ(scalar_type(cfg.find("trainer.max_steps")), ScalarType::Int);
  EXPECT_EQ(cfg.find("name").size(), 2u);
  EXPECT_EQ(scalar_type(cfg.find("seed")), ScalarType::Bool);
  EXPECT_TRUE(cfg.find("trainer.devices").IsNull());
  EXPECT_EQ(scalar_type(cfg.find("trainer.opt.lr")), ScalarType::String);
  EXPECT_EQ(text_at(cfg, "trainer.opt.lr"), "3");
  EXPECT_EQ(scalar_type(cfg.find("trainer.opt.wd")), ScalarType::Float);
}

TEST_F(OverridesTest, EmptyValueIsTheEmptyString) {
  const auto cfg = with({"name="});
  EXPECT_EQ(scalar_type(cfg.find("name")), ScalarType::String);
  EXPECT_EQ(text_at(cfg, "name"), "");
}

TEST_F(OverridesTest, ValueThatYamlReadsAsACommentStaysText) {
  EXPECT_EQ(text_at(with({"name=#fff"}), "name"), "#fff");
  EXPECT_TRUE(with({"name=~"}).find("name").IsNull());
}

TEST_F(OverridesTest, OverridesApplyInOrderAndRecordTheCommandLine) {
  const auto cfg = with({"seed=1", "seed=2", "trainer.devices[1]=7"});
  EXPECT_EQ(text_at(cfg, "seed"), "2");
  EXPECT_EQ(text_at(cfg, "trainer.devices[1]"), "7");
  EXPECT_EQ(cfg.source("seed").str(), "<command line>");
  EXPECT_EQ(cfg.source("trainer.max_steps").str(), primary + ":7");
}

TEST_F(OverridesTest, MappingValueMergesIntoAMapping) {
  const auto cfg = with({"trainer.opt={lr: 0.5}"});
  EXPECT_EQ(text_at(cfg, "trainer.opt.lr"), "0.5");
  EXPECT_EQ(text_at(cfg, "trainer.opt.wd"), "0.0");
}

TEST_F(OverridesTest, SettingAMissingKeyFailsLikeHydraWithASuggestion) {
  const std::string msg = bmfm::test::error_of<bmfm::ConfigError>([&] { with({"trainer.max_setps=5"}); });
  EXPECT_EQ(msg, "Could not override 'trainer.max_setps': key not in config (file " + primary +
                     "). Did you mean 'trainer.max_steps'? To add it use +trainer.max_setps=5");
}

TEST_F(OverridesTest, SuggestionFixesEverySegment) {
  const std::string msg = bmfm::test::error_of<bmfm::ConfigError>([&] { with({"trainr.opt.lrr=5"}); });
  EXPECT_CONTAINS(msg, "Did you mean 'trainer.opt.lr'?");
}

TEST_F(OverridesTest, NoSuggestionWhenNothingIsClose) {
  const std::string msg = bmfm::test::error_of<bmfm::ConfigError>([&] { with({"completely_different=5"}); });
  EXPECT_CONTAINS(msg, "Could not override 'completely_different'");
  EXPECT_EQ(msg.find("Did you mean"), std::string::npos) << msg;
}

TEST_F(OverridesTest, KeyBelowAScalarIsAnError) {
  const std::string msg = bmfm::test::error_of<bmfm::ConfigError>([&] { with({"seed.value=1"}); });
  EXPECT_CONTAINS(msg, "'seed' (from " + primary + ":4) is an int ('0'), not a mapping");
}

TEST_F(OverridesTest, PlusAddsNewKeysAndParents) {
  const auto cfg = with({"+trainer.opt.momentum=0.9", "+logging.sinks.csv=true"});
  EXPECT_EQ(text_at(cfg, "trainer.opt.momentum"), "0.9");
  EXPECT_EQ(text_at(cfg, "logging.sinks.csv"), "true");
  EXPECT_EQ(cfg.source("logging.sinks").str(), "<command line>");
}

TEST_F(OverridesTest, PlusOnAnExistingKeyIsAnError) {
  const std::string msg = bmfm::test::error_of<bmfm::ConfigError>([&] { with({"+seed=3"}); });
  EXPECT_CONTAINS(msg, "Could not add '+seed=3': 'seed' is already in the config (from " + primary + ":4");
  EXPECT_CONTAINS(msg, "use seed=3");
  EXPECT_CONTAINS(msg, "++seed=3");
}

TEST_F(OverridesTest, DoublePlusSetsOrAdds) {
  const auto cfg = with({"++seed=3", "++output_dir=runs/x"});
  EXPECT_EQ(text_at(cfg, "seed"), "3");
  EXPECT_EQ(text_at(cfg, "output_dir"), "runs/x");
}

TEST_F(OverridesTest, TildeDeletesKeys) {
  const auto cfg = with({"~trainer.opt", "~seed=0"});
  EXPECT_FALSE(cfg.find("trainer.opt").IsDefined());
  EXPECT_FALSE(cfg.find("seed").IsDefined());
  EXPECT_EQ(cfg.sources().count("trainer.opt.lr"), 0u);
  EXPECT_TRUE(cfg.find("trainer.max_steps").IsDefined());
}

TEST_F(OverridesTest, DeletingAMissingKeyOrAWrongValueIsAnError) {
  EXPECT_CONTAINS(bmfm::test::error_of<bmfm::ConfigError>([&] { with({"~trainer.max_step"}); }),
                  "Could not delete 'trainer.max_step': key not in config (file " + primary +
                      "). Did you mean 'trainer.max_steps'?");
  EXPECT_CONTAINS(bmfm::test::error_of<bmfm::ConfigError>([&] { with({"~seed=1"}); }),
                  "Could not delete 'seed': its value is '0' (from " + primary + ":4), not '1'");
}

TEST_F(OverridesTest, MalformedOverridesAreErrors) {
  EXPECT_CONTAINS(bmfm::test::error_of<bmfm::ConfigError>([&] { with({"+seed"}); }), "override '+seed': expected key=value");
  EXPECT_CONTAINS(bmfm::test::error_of<bmfm::ConfigError>([&] { with({"seed=[1,"}); }), "value '[1,' is not valid YAML");
  EXPECT_CONTAINS(bmfm::test::error_of<bmfm::ConfigError>([&] { with({"a b=1"}); }), "invalid key 'a b'");
  EXPECT_CONTAINS(bmfm::test::error_of<bmfm::ConfigError>([&] { with({"trainer..x=1"}); }), "invalid key 'trainer..x'");
}

TEST_F(OverridesTest, GroupEqualsOptionReplacesTheDefaultsEntry) {
  const auto cfg = with({"db=postgresql"});
  EXPECT_EQ(text_at(cfg, "db.driver"), "postgresql");
  EXPECT_EQ(text_at(cfg, "db.port"), "5432");
}

TEST_F(OverridesTest, NestedGroupIsNamedWithSlashes) {
  write_file(dir, "nested.yaml", "defaults:\n  - server: apache\n");
  const auto cfg = compose_file(dir + "/nested.yaml", {"server/db=large"});
  EXPECT_EQ(text_at(cfg, "server.db.pool"), "64");
}

TEST_F(OverridesTest, UnknownOptionOnTheCommandLineListsTheChoices) {
  const std::string msg = bmfm::test::error_of<bmfm::ConfigError>([&] { with({"db=oracle"}); });
  EXPECT_CONTAINS(msg,
                  "Could not load option 'oracle' of config group 'db' (chosen by 'db=oracle' on the command line)");
  EXPECT_CONTAINS(msg, "Available options in group 'db': mysql, postgresql.");
}

TEST_F(OverridesTest, TildeGroupDropsTheDefaultsEntry) {
  const auto cfg = with({"~db"});
  EXPECT_FALSE(cfg.find("db").IsDefined());
  EXPECT_CONTAINS(bmfm::test::error_of<bmfm::ConfigError>([&] { with({"~db=postgresql"}); }),
                  "chooses option 'mysql' for group 'db', not 'postgresql'");
}

TEST_F(OverridesTest, PlusGroupAppendsToThePrimaryDefaultsList) {
  const std::string plain = write_file(dir, "plain.yaml", "db: {port: 1}\n");
  const auto cfg = compose_file(plain, {"+db=postgresql"});
  EXPECT_EQ(text_at(cfg, "db.driver"), "postgresql");
  EXPECT_EQ(text_at(cfg, "db.port"), "5432");  // appended after _self_, as in Hydra
  EXPECT_EQ(cfg.source("db.port").str(), dir + "/db/postgresql.yaml:2");
  const auto forced = compose_file(plain, {"++db=mysql"});
  EXPECT_EQ(text_at(forced, "db.driver"), "mysql");
}

TEST_F(OverridesTest, PlusGroupAlreadyInTheListIsAnError) {
  const std::string msg = bmfm::test::error_of<bmfm::ConfigError>([&] { with({"+db=postgresql"}); });
  EXPECT_CONTAINS(msg, "group 'db' is already in the defaults list (at " + primary + ":2, option 'mysql')");
  EXPECT_CONTAINS(msg, "use db=postgresql");
}

TEST_F(OverridesTest, GroupNotInTheDefaultsListIsAnErrorWithAHint) {
  const std::string plain = write_file(dir, "plain.yaml", "x: 1\n");
  const std::string msg = bmfm::test::error_of<bmfm::ConfigError>([&] { compose_file(plain, {"db=mysql"}); });
  EXPECT_EQ(msg, "Could not override 'db': config group 'db' is not in the defaults list of " + plain +
                     ". To add it use +db=mysql");
}

TEST_F(OverridesTest, GroupNameOverAMappingFromTheBaseIsStillAGroupError) {
  const std::string plain = write_file(dir, "plain.yaml", "x: 1\n");
  ComposeRequest req;
  req.config_file = plain;
  req.base = YAML::Load("db: {port: 1}");
  req.overrides = {"db=mysql"};
  EXPECT_CONTAINS(bmfm::test::error_of<bmfm::ConfigError>([&] { compose(req); }), "To add it use +db=mysql");
}

TEST_F(OverridesTest, NameThatIsNoGroupIsAKeyOverride) {
  const auto cfg = with({"name=other"});
  EXPECT_EQ(text_at(cfg, "name"), "other");
}

}  // namespace
}  // namespace bmfm::config

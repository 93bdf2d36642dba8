// Defaults lists, _self_, packages, the search path and source tracking.
#include "bmfm/config/compose.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "bmfm/config/scalar.h"
#include "config_test_util.h"

namespace bmfm::config {
namespace {

using test::compose_file;
using test::text_at;
using test::write_file;

// Hydra's documentation example: groups `db` and `server`, a name no bmfm
// config group will ever take, so the repository's configs/ cannot interfere.
class ComposeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = test::temp_dir("compose");
    write_file(dir, "db/mysql.yaml", "driver: mysql\nport: 3306\nuser: {name: root, roles: [admin, dba]}\n");
    write_file(dir, "db/postgresql.yaml", "driver: postgresql\nport: 5432\ntimeout: 10\n");
  }
  std::string dir;
};

TEST_F(ComposeTest, PrimaryWithoutDefaultsKeepsItsKeysAndTypes) {
  const auto cfg = compose_file(write_file(dir, "c.yaml", "a: 1\nb: '1'\nc: [x, y]\n"));
  EXPECT_EQ(scalar_type(cfg.find("a")), ScalarType::Int);
  EXPECT_EQ(scalar_type(cfg.find("b")), ScalarType::String);
  EXPECT_EQ(cfg.find("c").size(), 2u);
}

TEST_F(ComposeTest, NoPrimaryStartsFromAnEmptyConfig) {
  const auto cfg = compose(ComposeRequest{});
  EXPECT_TRUE(cfg.root().IsMap());
  EXPECT_EQ(cfg.root().size(), 0u);
}

TEST_F(ComposeTest, MissingPrimaryFileIsAnError) {
  const std::string msg = bmfm::test::error_of<bmfm::ConfigError>([&] { compose_file(dir + "/nope.yaml"); });
  EXPECT_CONTAINS(msg, "nope.yaml");
  EXPECT_CONTAINS(msg, "not found");
}

TEST_F(ComposeTest, GroupOptionIsPlacedUnderTheGroupKey) {
  const auto cfg = compose_file(write_file(dir, "c.yaml", "defaults:\n  - db: mysql\nname: app\n"));
  EXPECT_EQ(text_at(cfg, "db.driver"), "mysql");
  EXPECT_EQ(text_at(cfg, "db.user.roles[1]"), "dba");
  EXPECT_EQ(text_at(cfg, "name"), "app");
  EXPECT_FALSE(cfg.find("defaults").IsDefined());
}

TEST_F(ComposeTest, OwnKeysComeLastWhenSelfIsAbsent) {
  const auto cfg = compose_file(write_file(dir, "c.yaml", "defaults:\n  - db: mysql\ndb:\n  port: 1234\n"));
  EXPECT_EQ(text_at(cfg, "db.port"), "1234");
  EXPECT_EQ(text_at(cfg, "db.driver"), "mysql");  // merged, not replaced
}

TEST_F(ComposeTest, SelfFirstLetsTheDefaultsOverrideTheFile) {
  const auto cfg =
      compose_file(write_file(dir, "c.yaml", "defaults:\n  - _self_\n  - db: mysql\ndb:\n  port: 1234\n  extra: 1\n"));
  EXPECT_EQ(text_at(cfg, "db.port"), "3306");
  EXPECT_EQ(text_at(cfg, "db.extra"), "1");
}

TEST_F(ComposeTest, LaterEntriesOverrideEarlierOnesMappingsMergeListsReplace) {
  write_file(dir, "base.yaml", "opt: {lr: 0.1, betas: [0.9, 0.99], name: adam}\nkeep: 1\n");
  write_file(dir, "local.yaml", "opt: {lr: 0.01, betas: [0.5]}\n");
  const auto cfg = compose_file(write_file(dir, "c.yaml", "defaults:\n  - base\n  - local\n  - _self_\n"));
  EXPECT_EQ(text_at(cfg, "opt.lr"), "0.01");
  EXPECT_EQ(text_at(cfg, "opt.name"), "adam");
  ASSERT_EQ(cfg.find("opt.betas").size(), 1u);
  EXPECT_EQ(text_at(cfg, "opt.betas[0]"), "0.5");
  EXPECT_EQ(text_at(cfg, "keep"), "1");
}

TEST_F(ComposeTest, ScalarReplacesMappingAndMappingReplacesScalar) {
  write_file(dir, "first.yaml", "a: {x: 1}\nb: 5\n");
  write_file(dir, "second.yaml", "a: off\nb: {y: 2}\n");
  const auto cfg = compose_file(write_file(dir, "c.yaml", "defaults:\n  - first\n  - second\n"));
  EXPECT_EQ(text_at(cfg, "a"), "off");
  EXPECT_EQ(text_at(cfg, "b.y"), "2");
  EXPECT_EQ(cfg.source("b.y").str(), dir + "/second.yaml:2");
}

TEST_F(ComposeTest, OptionFilesHaveNestedDefaultsUnderTheirGroup) {
  write_file(dir, "server/apache.yaml", "defaults:\n  - db: postgresql\n  - _self_\nport: 80\ndb:\n  timeout: 30\n");
  write_file(dir, "server/db/postgresql.yaml", "driver: pg-nested\ntimeout: 5\n");
  const auto cfg = compose_file(write_file(dir, "c.yaml", "defaults:\n  - server: apache\n"));
  EXPECT_EQ(text_at(cfg, "server.port"), "80");
  EXPECT_EQ(text_at(cfg, "server.db.driver"), "pg-nested");  // group server/db, not the top-level db
  EXPECT_EQ(text_at(cfg, "server.db.timeout"), "30");        // apache's own keys come after its _self_
  EXPECT_FALSE(cfg.find("db").IsDefined());
}

TEST_F(ComposeTest, GlobalPackageHeaderMergesAtTheRoot) {
  write_file(dir, "size/tiny.yaml", "# @package _global_\n# a preset for laptops\nmodel: {hidden: 64}\nsteps: 10\n");
  const auto cfg = compose_file(
      write_file(dir, "c.yaml", "defaults:\n  - size: tiny\n  - _self_\nmodel: {hidden: 768, layers: 12}\n"));
  // _self_ is last in the list: the primary's own keys win over the preset.
  EXPECT_EQ(text_at(cfg, "model.hidden"), "768");
  EXPECT_EQ(text_at(cfg, "steps"), "10");
  EXPECT_FALSE(cfg.find("size").IsDefined());
  const auto preset_wins = compose_file(
      write_file(dir, "d.yaml", "defaults:\n  - _self_\n  - size: tiny\nmodel: {hidden: 768, layers: 12}\n"));
  EXPECT_EQ(text_at(preset_wins, "model.hidden"), "64");
  EXPECT_EQ(text_at(preset_wins, "model.layers"), "12");
  EXPECT_EQ(preset_wins.source("model.hidden").str(), dir + "/size/tiny.yaml:3");
}

TEST_F(ComposeTest, PackageHeaderAndAtSyntaxChooseWhereContentGoes) {
  write_file(dir, "db/replica.yaml", "# @package storage.replica\nport: 7\n");
  const auto cfg = compose_file(write_file(dir, "c.yaml", "defaults:\n  - db: replica\n  - db@backup: mysql\n"));
  EXPECT_EQ(text_at(cfg, "storage.replica.port"), "7");
  EXPECT_EQ(text_at(cfg, "backup.driver"), "mysql");
  EXPECT_FALSE(cfg.find("db").IsDefined());
}

TEST_F(ComposeTest, PlainEntryLoadsAFileFromTheSameFolder) {
  write_file(dir, "sub/common.yaml", "shared: 1\n");
  const auto cfg = compose_file(write_file(dir, "sub/c.yaml", "defaults:\n  - common\nown: 2\n"));
  EXPECT_EQ(text_at(cfg, "shared"), "1");
  EXPECT_EQ(text_at(cfg, "own"), "2");
}

TEST_F(ComposeTest, ConfigDirsAreSearchedAfterThePrimaryFolder) {
  const std::string extra = test::temp_dir("compose_extra");
  write_file(extra, "db/mysql.yaml", "driver: shadowed\n");
  write_file(extra, "db/sqlite.yaml", "driver: sqlite\n");
  const std::string primary = write_file(dir, "c.yaml", "defaults:\n  - db: mysql\n  - db@other: sqlite\n");
  const auto cfg = compose_file(primary, {}, {extra});
  EXPECT_EQ(text_at(cfg, "db.driver"), "mysql");  // the primary's own folder comes first
  EXPECT_EQ(text_at(cfg, "other.driver"), "sqlite");
  EXPECT_EQ(cfg.source("other.driver").str(), (std::filesystem::path(extra) / "db/sqlite.yaml").string() + ":1");
}

TEST_F(ComposeTest, MissingOptionListsTheAvailableOptionsAndFolders) {
  const std::string primary = write_file(dir, "c.yaml", "x: 1\ndefaults:\n  - db: mysq\n");
  const std::string msg = bmfm::test::error_of<bmfm::ConfigError>([&] { compose_file(primary); });
  EXPECT_CONTAINS(msg, "option 'mysq' of config group 'db'");
  EXPECT_CONTAINS(msg, "listed in the defaults list at " + primary + ":3");
  EXPECT_CONTAINS(msg, "Did you mean 'mysql'?");
  EXPECT_CONTAINS(msg, "Available options in group 'db': mysql, postgresql.");
  EXPECT_CONTAINS(msg, "Folders searched: " + dir);
}

TEST_F(ComposeTest, MissingGroupSaysSo) {
  const std::string msg = bmfm::test::error_of<bmfm::ConfigError>([&] { compose_file(write_file(dir, "c.yaml", "defaults:\n  - nosuch: a\n")); });
  EXPECT_CONTAINS(msg, "There is no config group 'nosuch'");
}

TEST_F(ComposeTest, OptionalAndNullEntriesLoadNothing) {
  const auto cfg = compose_file(write_file(dir, "c.yaml", "defaults:\n  - optional db: oracle\n  - server: null\n"));
  EXPECT_FALSE(cfg.find("db").IsDefined());
  EXPECT_FALSE(cfg.find("server").IsDefined());
}

TEST_F(ComposeTest, DefaultsCycleNamesTheChain) {
  write_file(dir, "a.yaml", "defaults:\n  - b\n");
  write_file(dir, "b.yaml", "defaults:\n  - a\n");
  const std::string msg = bmfm::test::error_of<bmfm::ConfigError>([&] { compose_file(dir + "/a.yaml"); });
  EXPECT_CONTAINS(msg, "cycle: " + dir + "/a.yaml -> " + dir + "/b.yaml -> " + dir + "/a.yaml");
}

TEST_F(ComposeTest, MalformedDefaultsListsAreErrorsWithFileAndLine) {
  const std::string not_list = write_file(dir, "c.yaml", "defaults: {db: mysql}\n");
  EXPECT_CONTAINS(bmfm::test::error_of<bmfm::ConfigError>([&] { compose_file(not_list); }), not_list + ":1: 'defaults' must be a list");
  const std::string two_selves = write_file(dir, "d.yaml", "defaults:\n  - _self_\n  - _self_\n");
  EXPECT_CONTAINS(bmfm::test::error_of<bmfm::ConfigError>([&] { compose_file(two_selves); }), two_selves + ":3: '_self_' appears twice");
  const std::string multi = write_file(dir, "e.yaml", "defaults:\n  - db: [mysql, postgresql]\n");
  EXPECT_CONTAINS(bmfm::test::error_of<bmfm::ConfigError>([&] { compose_file(multi); }), "more than one option");
  const std::string missing = write_file(dir, "f.yaml", "defaults:\n  - nothere\n");
  const std::string msg = bmfm::test::error_of<bmfm::ConfigError>([&] { compose_file(missing); });
  EXPECT_CONTAINS(msg, "Could not load config 'nothere' listed in the defaults list at " + missing + ":2");
}

TEST_F(ComposeTest, YamlSyntaxErrorNamesFileLineAndColumn) {
  const std::string bad = write_file(dir, "c.yaml", "a: 1\nb: [1, 2\n");
  const std::string msg = bmfm::test::error_of<bmfm::ConfigError>([&] { compose_file(bad); });
  EXPECT_CONTAINS(msg, bad + ":");
  EXPECT_CONTAINS(msg, "YAML syntax error");
}

TEST_F(ComposeTest, DuplicateKeysAreAnError) {
  const std::string dup = write_file(dir, "c.yaml", "a: 1\nb:\n  x: 1\n  x: 2\n");
  EXPECT_CONTAINS(bmfm::test::error_of<bmfm::ConfigError>([&] { compose_file(dup); }), dup + ":4: duplicate key 'x' (first set at line 3)");
}

TEST_F(ComposeTest, TopLevelMustBeAMapping) {
  const std::string list = write_file(dir, "c.yaml", "- 1\n- 2\n");
  EXPECT_CONTAINS(bmfm::test::error_of<bmfm::ConfigError>([&] { compose_file(list); }),
                  "must hold a mapping of keys to values, but it holds a list");
}

TEST_F(ComposeTest, SourcesNameFileAndOneBasedLine) {
  const std::string primary =
      write_file(dir, "c.yaml", "defaults:\n  - db: mysql\n  - _self_\ntop: 1\nnested:\n  leaf: [1, 2]\n");
  const auto cfg = compose_file(primary);
  EXPECT_EQ(cfg.source("top").str(), primary + ":4");
  EXPECT_EQ(cfg.source("nested.leaf").str(), primary + ":6");
  EXPECT_EQ(cfg.source("db.port").str(), dir + "/db/mysql.yaml:2");
  EXPECT_EQ(cfg.source("db.user.roles[1]").str(), dir + "/db/mysql.yaml:3");
  EXPECT_EQ(cfg.source("db").str(), primary + ":2");  // the package: where the entry was listed
}

TEST(DefaultConfigDirsTest, EnvironmentFoldersComeFirstThenTheSourceTree) {
  const std::string a = test::temp_dir("cfgdir_a"), b = test::temp_dir("cfgdir_b");
  const char* old = std::getenv("BMFM_CONFIG_DIR");
  const std::string saved = old ? old : "";
  setenv("BMFM_CONFIG_DIR", (a + ":" + b + ":/no/such/dir").c_str(), 1);
  const auto dirs = default_config_dirs();
  if (old)
    setenv("BMFM_CONFIG_DIR", saved.c_str(), 1);
  else
    unsetenv("BMFM_CONFIG_DIR");
  ASSERT_GE(dirs.size(), 3u);
  EXPECT_EQ(dirs[0], a);
  EXPECT_EQ(dirs[1], b);
  EXPECT_EQ(dirs.back(), std::string(BMFM_SOURCE_DIR) + "/configs");  // missing folders are dropped
}

}  // namespace
}  // namespace bmfm::config

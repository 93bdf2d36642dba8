// Config: lookups, sources and to_yaml (types survive a write and a re-read).
#include <gtest/gtest.h>

#include "bmfm/config/compose.h"
#include "bmfm/config/scalar.h"
#include "config_test_util.h"

namespace bmfm::config {
namespace {

using test::compose_file;
using test::write_file;

TEST(ConfigTest, SourceWalksUpToTheClosestKnownKey) {
  Config cfg(YAML::Load("a: {b: {c: 1}}"), {{"a", Source{"x.yaml", 1}}, {"a.b", Source{"x.yaml", 2}}});
  EXPECT_EQ(cfg.source("a.b").str(), "x.yaml:2");
  EXPECT_EQ(cfg.source("a.b.c").str(), "x.yaml:2");
  EXPECT_EQ(cfg.source("a.list[3]").str(), "x.yaml:1");
  EXPECT_EQ(cfg.source("zzz").str(), "<defaults>");
  EXPECT_EQ((Source{"<command line>", 0}).str(), "<command line>");
}

TEST(ConfigTest, FindReturnsUndefinedForMissingKeys) {
  Config cfg(YAML::Load("a: {b: [10, 20]}"), {});
  EXPECT_EQ(cfg.find("a.b[1]").Scalar(), "20");
  EXPECT_EQ(cfg.find("a.b.0").Scalar(), "10");
  EXPECT_FALSE(cfg.find("a.c").IsDefined());
  EXPECT_FALSE(cfg.find("a.b[5]").IsDefined());
  EXPECT_FALSE(cfg.find("a.b.c.d").IsDefined());
  EXPECT_TRUE(cfg.find("").IsMap());
}

TEST(ConfigTest, ToYamlQuotesStringsThatLookLikeOtherTypes) {
  const std::string dir = test::temp_dir("config_quotes");
  const auto cfg = compose_file(write_file(dir, "c.yaml",
                                           "n: 123\n"
                                           "s: '123'\n"
                                           "t: 'true'\n"
                                           "z: 'null'\n"
                                           "e: ''\n"
                                           "y: 'yes'\n"
                                           "name: logistic\n"));
  const std::string out = cfg.to_yaml();
  EXPECT_CONTAINS(out, "n: 123\n");
  EXPECT_CONTAINS(out, "s: \"123\"\n");
  EXPECT_CONTAINS(out, "t: \"true\"\n");
  EXPECT_CONTAINS(out, "z: \"null\"\n");
  EXPECT_CONTAINS(out, "e: \"\"\n");
  EXPECT_CONTAINS(out, "y: \"yes\"\n");
  EXPECT_CONTAINS(out, "name: logistic\n");
}

TEST(ConfigTest, ToYamlReadsBackToTheSameTypesAndValues) {
  const std::string dir = test::temp_dir("config_roundtrip");
  const std::string text =
      "i: 7\n"
      "f: 1e-4\n"
      "b: true\n"
      "n: null\n"
      "s: '42'\n"
      "path: runs/x\n"
      "list: [1, '2', 3.5]\n"
      "empty_list: []\n"
      "empty_map: {}\n"
      "nested:\n"
      "  deep: {k: v}\n"
      "  items:\n"
      "    - {a: 1}\n"
      "    - {a: 2}\n";
  const auto first = compose_file(write_file(dir, "a.yaml", text));
  const auto second = compose_file(write_file(dir, "b.yaml", first.to_yaml()));
  EXPECT_EQ(first.to_yaml(), second.to_yaml());
  for (const std::string key :
       {"i", "f", "b", "s", "path", "list[0]", "list[1]", "list[2]", "nested.deep.k", "nested.items[1].a"}) {
    EXPECT_EQ(scalar_type(second.find(key)), scalar_type(first.find(key))) << key;
    EXPECT_EQ(second.find(key).Scalar(), first.find(key).Scalar()) << key;
  }
  EXPECT_EQ(scalar_type(second.find("s")), ScalarType::String);
  EXPECT_TRUE(second.find("n").IsNull());
  EXPECT_TRUE(second.find("empty_list").IsSequence());
  EXPECT_TRUE(second.find("empty_map").IsMap());
  EXPECT_CONTAINS(first.to_yaml(), "list: [1, \"2\", 3.5]");
}

TEST(ConfigTest, ToYamlEscapesLiteralInterpolationSoItSurvivesARereading) {
  const std::string dir = test::temp_dir("config_escape");
  const auto first = compose_file(write_file(dir, "a.yaml", "x: 1\nliteral: 'cost \\${x}'\n"));
  EXPECT_EQ(test::text_at(first, "literal"), "cost ${x}");
  const std::string out = first.to_yaml();
  EXPECT_CONTAINS(out, "\\${x}");
  const auto second = compose_file(write_file(dir, "b.yaml", out));
  EXPECT_EQ(test::text_at(second, "literal"), "cost ${x}");
}

}  // namespace
}  // namespace bmfm::config

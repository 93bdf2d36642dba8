#include "bmfm/config/scalar.h"

#include <gtest/gtest.h>

namespace bmfm::config {
namespace {

TEST(ScalarTest, PlainTextTypesFollowYaml12CoreSchema) {
  EXPECT_EQ(plain_scalar_type(""), ScalarType::Null);
  EXPECT_EQ(plain_scalar_type("~"), ScalarType::Null);
  EXPECT_EQ(plain_scalar_type("null"), ScalarType::Null);
  EXPECT_EQ(plain_scalar_type("True"), ScalarType::Bool);
  EXPECT_EQ(plain_scalar_type("false"), ScalarType::Bool);
  EXPECT_EQ(plain_scalar_type("yes"), ScalarType::String);  // YAML 1.1 only
  EXPECT_EQ(plain_scalar_type("-12"), ScalarType::Int);
  EXPECT_EQ(plain_scalar_type("0x1F"), ScalarType::Int);
  EXPECT_EQ(plain_scalar_type("0o17"), ScalarType::Int);
  EXPECT_EQ(plain_scalar_type("1e-4"), ScalarType::Float);
  EXPECT_EQ(plain_scalar_type(".5"), ScalarType::Float);
  EXPECT_EQ(plain_scalar_type("-.inf"), ScalarType::Float);
  EXPECT_EQ(plain_scalar_type(".nan"), ScalarType::Float);
  EXPECT_EQ(plain_scalar_type("1_000"), ScalarType::String);
  EXPECT_EQ(plain_scalar_type("run_1"), ScalarType::String);
}

TEST(ScalarTest, QuotesAndTagsDecideBeforeText) {
  const YAML::Node doc = YAML::Load("a: 1\nb: '1'\nc: !!str 1\nd: !!float 1\ne: \"true\"\nf:\ng: 'null'\n");
  EXPECT_EQ(scalar_type(doc["a"]), ScalarType::Int);
  EXPECT_EQ(scalar_type(doc["b"]), ScalarType::String);
  EXPECT_EQ(scalar_type(doc["c"]), ScalarType::String);
  EXPECT_EQ(scalar_type(doc["d"]), ScalarType::Float);
  EXPECT_EQ(scalar_type(doc["e"]), ScalarType::String);
  EXPECT_EQ(scalar_type(doc["f"]), ScalarType::Null);
  EXPECT_EQ(scalar_type(doc["g"]), ScalarType::String);
}

TEST(ScalarTest, BuiltNodesCarryTheirType) {
  EXPECT_EQ(scalar_type(string_node("42")), ScalarType::String);
  EXPECT_EQ(scalar_type(plain_node("42")), ScalarType::Int);
  EXPECT_TRUE(plain_node("null").IsNull());
  EXPECT_TRUE(plain_node("").IsNull());
  EXPECT_EQ(scalar_type(string_node("")), ScalarType::String);
}

TEST(ScalarTest, NeedsQuotesForTextThatReadsAsAnotherType) {
  EXPECT_TRUE(needs_quotes("123"));
  EXPECT_TRUE(needs_quotes("true"));
  EXPECT_TRUE(needs_quotes("null"));
  EXPECT_TRUE(needs_quotes(""));
  EXPECT_TRUE(needs_quotes("yes"));    // a bool to PyYAML
  EXPECT_TRUE(needs_quotes("1_000"));  // an int to PyYAML
  EXPECT_FALSE(needs_quotes("logistic"));
  EXPECT_FALSE(needs_quotes("runs/simulate"));
}

TEST(ScalarTest, DescribeQuotesScalarsAndNamesCollections) {
  EXPECT_EQ(describe(YAML::Load("abc")), "'abc'");
  EXPECT_EQ(describe(YAML::Load("[1]")), "a list");
  EXPECT_EQ(describe(YAML::Load("{a: 1}")), "a mapping");
  EXPECT_EQ(describe(YAML::Node(YAML::NodeType::Null)), "null");
}

}  // namespace
}  // namespace bmfm::config

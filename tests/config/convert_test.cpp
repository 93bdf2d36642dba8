// convert<V>: YAML 1.2 types, range checks and messages naming key + source.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "bmfm/config/schema.h"
#include "config_test_util.h"

namespace bmfm::config {
namespace {


// A one-file config, so messages name a real file and line.
class ConvertTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path = test::write_file(test::temp_dir("convert"), "v.yaml",
                            "i: 42\n"            // 1
                            "neg: -7\n"          // 2
                            "hex: 0x10\n"        // 3
                            "big: 3000000000\n"  // 4
                            "huge: 99999999999999999999\n"
                            "f: 2.5\n"           // 6
                            "e: 1e6\n"           // 7
                            "qi: '5'\n"          // 8
                            "t: true\n"          // 9
                            "T: True\n"          // 10
                            "yes: yes\n"         // 11
                            "qt: 'true'\n"       // 12
                            "s: hello\n"         // 13
                            "n: null\n"          // 14
                            "list: [1, 2, x]\n"  // 15
                            "map: {a: 1}\n"      // 16
                            "inf: .inf\n"        // 17
                            "flt_big: 1e39\n"    // 18
                            "todo: ???\n"        // 19
                            "num_text: 007\n");  // 20
    cfg = test::compose_file(path);
  }
  template <class V>
  V get(const std::string& key) {
    return convert<V>(cfg.find(key), key, cfg);
  }
  template <class V>
  std::string error(const std::string& key) {
    return bmfm::test::error_of<bmfm::ConfigError>([&] { get<V>(key); });
  }
  std::string at(int line) const { return "(from " + path + ":" + std::to_string(line) + ")"; }
  std::string path;
  Config cfg;
};

TEST_F(ConvertTest, IntegersInAnyYamlSpelling) {
  EXPECT_EQ(get<int>("i"), 42);
  EXPECT_EQ(get<int64_t>("neg"), -7);
  EXPECT_EQ(get<int>("hex"), 16);
  EXPECT_EQ(get<int64_t>("big"), 3000000000LL);
  EXPECT_EQ(get<uint32_t>("big"), 3000000000u);
}

TEST_F(ConvertTest, IntegerRangeAndOverflowAreChecked) {
  EXPECT_EQ(error<int>("big"), "key 'big' " + at(4) + ": 3000000000 is out of range for int [-2147483648, 2147483647]");
  EXPECT_CONTAINS(error<int64_t>("huge"),
                  "99999999999999999999 is out of range for int [-9223372036854775808, 9223372036854775807]");
  EXPECT_EQ(error<uint64_t>("neg"),
            "key 'neg' " + at(2) + ": -7 is out of range for non-negative int [0, 18446744073709551615]");
  EXPECT_EQ(get<int8_t>("i"), 42);
  EXPECT_CONTAINS(error<int8_t>("big"), "out of range for int [-128, 127]");
}

TEST_F(ConvertTest, IntRejectsFloatsStringsAndQuotedNumbersWithHints) {
  EXPECT_EQ(error<int>("f"), "key 'f' " + at(6) + ": expected int, got '2.5'");
  EXPECT_EQ(error<int>("e"),
            "key 'e' " + at(7) + ": expected int, got '1e6' (a float; write it as an integer: 1000000)");
  EXPECT_EQ(error<int>("qi"),
            "key 'qi' " + at(8) + ": expected int, got '5' (quoted, so a string; write it without quotes)");
  EXPECT_EQ(error<int>("s"), "key 's' " + at(13) + ": expected int, got 'hello'");
  EXPECT_EQ(error<int>("n"), "key 'n' " + at(14) + ": expected int, got null");
  EXPECT_EQ(error<int>("map"), "key 'map' " + at(16) + ": expected int, got a mapping");
}

TEST_F(ConvertTest, BoolAcceptsYaml12TrueAndFalseOnly) {
  EXPECT_TRUE(get<bool>("t"));
  EXPECT_TRUE(get<bool>("T"));
  EXPECT_EQ(
      error<bool>("yes"),
      "key 'yes' " + at(11) + ": expected bool (true or false), got 'yes' (YAML 1.2 booleans are true and false only)");
  EXPECT_EQ(error<bool>("qt"),
            "key 'qt' " + at(12) +
                ": expected bool (true or false), got 'true' (quoted, so a string; write it without quotes)");
  EXPECT_CONTAINS(error<bool>("i"), "expected bool (true or false), got '42'");
}

TEST_F(ConvertTest, FloatsAcceptIntsAndSpecialValues) {
  EXPECT_DOUBLE_EQ(get<double>("f"), 2.5);
  EXPECT_DOUBLE_EQ(get<double>("i"), 42.0);
  EXPECT_DOUBLE_EQ(get<double>("e"), 1e6);
  EXPECT_TRUE(std::isinf(get<double>("inf")));
  EXPECT_DOUBLE_EQ(get<double>("flt_big"), 1e39);
  EXPECT_CONTAINS(error<float>("flt_big"), "1e39 is out of range for float");
  EXPECT_EQ(error<double>("qi"),
            "key 'qi' " + at(8) + ": expected float, got '5' (quoted, so a string; write it without quotes)");
  EXPECT_EQ(error<double>("s"), "key 's' " + at(13) + ": expected float, got 'hello'");
}

TEST_F(ConvertTest, StringsTakeAnyScalarAsWrittenButNotNull) {
  EXPECT_EQ(get<std::string>("s"), "hello");
  EXPECT_EQ(get<std::string>("num_text"), "007");  // the text, not the int 7
  EXPECT_EQ(get<std::string>("qi"), "5");
  EXPECT_EQ(error<std::string>("n"), "key 'n' " + at(14) + ": expected string, got null; write '' for an empty string");
  EXPECT_EQ(error<std::string>("list"), "key 'list' " + at(15) + ": expected string, got a list");
  EXPECT_FALSE(get<std::optional<std::string>>("n").has_value());
}

TEST_F(ConvertTest, ListsConvertEachItemAndNameTheBadOne) {
  EXPECT_EQ(get<std::vector<std::string>>("list"), (std::vector<std::string>{"1", "2", "x"}));
  EXPECT_EQ(error<std::vector<int>>("list"), "key 'list[2]' " + at(15) + ": expected int, got 'x'");
  EXPECT_EQ(error<std::vector<int>>("i"), "key 'i' " + at(1) + ": expected list of int, got '42'");
  EXPECT_CONTAINS(error<std::vector<int>>("n"), "got null; write [] for an empty list");
}

TEST_F(ConvertTest, MandatoryMarkerIsAnError) {
  EXPECT_EQ(
      error<std::string>("todo"),
      "key 'todo' " + at(19) + ": value is ??? (a mandatory value nobody set); set it in a config or with todo=VALUE");
}

TEST(FormatValueTest, WritesYamlThatReadsBackToTheSameType) {
  EXPECT_EQ(format_value(true), "true");
  EXPECT_EQ(format_value(int64_t{-3}), "-3");
  EXPECT_EQ(format_value(60.0), "60.0");
  EXPECT_EQ(format_value(0.1), "0.1");
  EXPECT_EQ(format_value(1e-4), "1.0e-4");
  EXPECT_EQ(format_value(2.5e20), "2.5e+20");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), ".inf");
  EXPECT_EQ(format_value(std::string("logistic")), "logistic");
  EXPECT_EQ(format_value(std::string("123")), "\"123\"");
  EXPECT_EQ(format_value(std::string("")), "\"\"");
  EXPECT_EQ(format_value(std::vector<double>{0.35, 0.25}), "[0.35, 0.25]");
  EXPECT_EQ(format_value(std::vector<double>{}), "[]");
  EXPECT_EQ(format_value(std::optional<int>{}), "null");
  EXPECT_EQ(format_value(std::map<std::string, int>{{"a", 1}, {"b", 2}}), "{a: 1, b: 2}");
}

}  // namespace
}  // namespace bmfm::config

// ${a.b} references, string concatenation, ${oc.env:...}, escapes and errors.
#include <gtest/gtest.h>

#include <cstdlib>

#include "bmfm/config/compose.h"
#include "bmfm/config/scalar.h"
#include "config_test_util.h"

namespace bmfm::config {
namespace {

using test::compose_file;
using test::text_at;
using test::write_file;

class InterpolationTest : public ::testing::Test {
 protected:
  void SetUp() override { dir = test::temp_dir("interp"); }
  Config load(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
    path = write_file(dir, "c.yaml", yaml);
    return compose_file(path, overrides);
  }
  std::string dir, path;
};

// Sets an environment variable for one test and restores it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~ScopedEnv() {
    if (had_)
      setenv(name_.c_str(), old_.c_str(), 1);
    else
      unsetenv(name_.c_str());
  }

 private:
  std::string name_, old_;
  bool had_ = false;
};

TEST_F(InterpolationTest, WholeValueKeepsTheReferencedType) {
  const auto cfg = load(
      "seed: 7\nname: '7'\nrate: 0.5\nflag: true\nnothing: null\n"
      "a: ${seed}\nb: ${name}\nc: ${rate}\nd: ${flag}\ne: ${nothing}\n");
  EXPECT_EQ(scalar_type(cfg.find("a")), ScalarType::Int);
  EXPECT_EQ(scalar_type(cfg.find("b")), ScalarType::String);
  EXPECT_EQ(scalar_type(cfg.find("c")), ScalarType::Float);
  EXPECT_EQ(scalar_type(cfg.find("d")), ScalarType::Bool);
  EXPECT_TRUE(cfg.find("e").IsNull());
  EXPECT_CONTAINS(cfg.to_yaml(), "a: 7\n");
  EXPECT_CONTAINS(cfg.to_yaml(), "b: \"7\"\n");
}

TEST_F(InterpolationTest, WholeValueCopiesMappingsAndListsWithTheirSources) {
  const auto cfg = load("model:\n  hidden: 64\n  layers: [1, 2]\ncopy: ${model}\n");
  EXPECT_EQ(text_at(cfg, "copy.hidden"), "64");
  EXPECT_EQ(text_at(cfg, "copy.layers[1]"), "2");
  EXPECT_EQ(cfg.source("copy").str(), path + ":4");
  EXPECT_EQ(cfg.source("copy.hidden").str(), path + ":2");
  // A copy, not an alias: the emitter prints no anchors.
  EXPECT_EQ(cfg.to_yaml().find('&'), std::string::npos) << cfg.to_yaml();
}

TEST_F(InterpolationTest, EmbeddedInterpolationIsStringConcatenation) {
  const auto cfg = load("seed: 7\nrun: run_${seed}\nboth: ${seed}${seed}\nout: ${dir}/x.h5ad\ndir: /tmp/r\n");
  EXPECT_EQ(text_at(cfg, "run"), "run_7");
  EXPECT_EQ(text_at(cfg, "both"), "77");
  EXPECT_EQ(scalar_type(cfg.find("both")), ScalarType::String);
  EXPECT_EQ(text_at(cfg, "out"), "/tmp/r/x.h5ad");
}

TEST_F(InterpolationTest, ChainsAndReferencesThroughInterpolatedMappings) {
  const auto cfg = load("a: ${b}\nb: ${c.x}\nc: {x: 3}\nalias: ${c}\ny: ${alias.x}\nitem: ${list[1]}\nlist: [a, b]\n");
  EXPECT_EQ(text_at(cfg, "a"), "3");
  EXPECT_EQ(text_at(cfg, "y"), "3");
  EXPECT_EQ(text_at(cfg, "item"), "b");
}

TEST_F(InterpolationTest, OverrideValuesMayInterpolate) {
  const auto cfg = load("dir: runs\nout: x\n", {"out=${dir}/sim.h5ad"});
  EXPECT_EQ(text_at(cfg, "out"), "runs/sim.h5ad");
}

TEST_F(InterpolationTest, ReferencesSeeOverriddenValues) {
  const auto cfg = load("seed: 0\nname: run_${seed}\n", {"seed=5"});
  EXPECT_EQ(text_at(cfg, "name"), "run_5");
}

TEST_F(InterpolationTest, EnvironmentVariableWithAndWithoutDefault) {
  ScopedEnv set("BMFM_TEST_THREADS", "8");
  ScopedEnv unset("BMFM_TEST_UNSET_VAR", nullptr);
  const auto cfg = load(
      "base: 3\n"
      "threads: ${oc.env:BMFM_TEST_THREADS}\n"
      "fallback: ${oc.env:BMFM_TEST_UNSET_VAR,2}\n"
      "nested: ${oc.env:BMFM_TEST_UNSET_VAR,${base}}\n"
      "quoted: ${oc.env:BMFM_TEST_UNSET_VAR,'a,b'}\n"
      "empty: ${oc.env:BMFM_TEST_UNSET_VAR,}\n"
      "path: /data/${oc.env:BMFM_TEST_UNSET_VAR,tmp}/x\n");
  EXPECT_EQ(text_at(cfg, "threads"), "8");
  EXPECT_EQ(scalar_type(cfg.find("threads")), ScalarType::Int);
  EXPECT_EQ(text_at(cfg, "fallback"), "2");
  EXPECT_EQ(scalar_type(cfg.find("nested")), ScalarType::Int);
  EXPECT_EQ(text_at(cfg, "nested"), "3");
  EXPECT_EQ(text_at(cfg, "quoted"), "a,b");
  EXPECT_EQ(scalar_type(cfg.find("empty")), ScalarType::String);
  EXPECT_EQ(text_at(cfg, "empty"), "");
  EXPECT_EQ(text_at(cfg, "path"), "/data/tmp/x");
}

TEST_F(InterpolationTest, DefaultIsNotEvaluatedWhenTheVariableIsSet) {
  ScopedEnv set("BMFM_TEST_THREADS", "4");
  const auto cfg = load("t: ${oc.env:BMFM_TEST_THREADS,${no.such.key}}\n");
  EXPECT_EQ(text_at(cfg, "t"), "4");
}

TEST_F(InterpolationTest, UnsetVariableWithoutDefaultIsAnError) {
  ScopedEnv unset("BMFM_TEST_UNSET_VAR", nullptr);
  const std::string msg = bmfm::test::error_of<bmfm::ConfigError>([&] { load("a: 1\ndata: ${oc.env:BMFM_TEST_UNSET_VAR}\n"); });
  EXPECT_EQ(msg, "interpolation '${oc.env:BMFM_TEST_UNSET_VAR}' at 'data' (from " + path +
                     ":2): environment variable 'BMFM_TEST_UNSET_VAR' is not set; set it, or give a default: "
                     "${oc.env:BMFM_TEST_UNSET_VAR,DEFAULT}");
}

TEST_F(InterpolationTest, CycleIsAnErrorNamingTheChain) {
  const std::string msg = bmfm::test::error_of<bmfm::ConfigError>([&] { load("x: 0\na: ${b}\nb: ${c}\nc: ${a}\n"); });
  EXPECT_CONTAINS(msg, "interpolation cycle: a -> b -> c -> a");
  EXPECT_CONTAINS(msg, "a at " + path + ":2");
  EXPECT_CONTAINS(msg, "c at " + path + ":4");
}

TEST_F(InterpolationTest, SelfReferenceAndReferenceToAnEnclosingMappingAreCycles) {
  EXPECT_CONTAINS(bmfm::test::error_of<bmfm::ConfigError>([&] { load("a: ${a}\n"); }), "interpolation cycle: a -> a");
  EXPECT_CONTAINS(bmfm::test::error_of<bmfm::ConfigError>([&] { load("m:\n  x: ${m}\n"); }), "interpolation cycle: m -> m.x -> m");
}

TEST_F(InterpolationTest, SiblingReferenceInsideAMappingIsNoCycle) {
  const auto cfg = load("m:\n  x: 1\n  y: ${m.x}\n");
  EXPECT_EQ(text_at(cfg, "m.y"), "1");
}

TEST_F(InterpolationTest, MissingKeyNamesTheKeyTheReferrerAndItsSource) {
  const std::string msg = bmfm::test::error_of<bmfm::ConfigError>([&] { load("model:\n  hidden: 64\nhead:\n  size: ${model.hiden}\n"); });
  EXPECT_EQ(msg, "interpolation '${model.hiden}' at 'head.size' (from " + path +
                     ":4): key 'model.hiden' not found. Did you mean 'model.hidden'?");
}

TEST_F(InterpolationTest, MissingKeyFromAnOverrideNamesTheCommandLine) {
  const std::string msg = bmfm::test::error_of<bmfm::ConfigError>([&] { load("a: 1\n", {"++b=${nope}"}); });
  EXPECT_CONTAINS(msg, "at 'b' (from <command line>): key 'nope' not found");
}

TEST_F(InterpolationTest, EscapedDollarBraceStaysLiteral) {
  const auto cfg = load("x: 1\nlit: \\${x}\nmixed: ${x} costs \\${x}\n");
  EXPECT_EQ(text_at(cfg, "lit"), "${x}");
  EXPECT_EQ(text_at(cfg, "mixed"), "1 costs ${x}");
}

TEST_F(InterpolationTest, MalformedInterpolationsAreErrors) {
  EXPECT_CONTAINS(bmfm::test::error_of<bmfm::ConfigError>([&] { load("a: ${b\n"); }), "unterminated interpolation in '${b' at 'a'");
  EXPECT_CONTAINS(bmfm::test::error_of<bmfm::ConfigError>([&] { load("a: ${oc.foo:x}\n"); }), "unknown resolver 'oc.foo'; supported: oc.env");
  EXPECT_CONTAINS(bmfm::test::error_of<bmfm::ConfigError>([&] { load("a: ${.b}\n"); }), "relative interpolation is not supported");
  EXPECT_CONTAINS(bmfm::test::error_of<bmfm::ConfigError>([&] { load("a: ${}\n"); }), "empty interpolation");
}

TEST_F(InterpolationTest, MappingInsideAStringIsAnError) {
  const std::string msg = bmfm::test::error_of<bmfm::ConfigError>([&] { load("m: {x: 1}\ns: pre_${m}\n"); });
  EXPECT_CONTAINS(msg, "interpolation '${m}' at 's' (from " + path + ":2) is a mapping inside the string 'pre_${m}'");
}

TEST_F(InterpolationTest, ReferenceToAMandatoryMissingValueIsAnError) {
  const std::string msg = bmfm::test::error_of<bmfm::ConfigError>([&] { load("data: ???\nout: ${data}/x\n"); });
  EXPECT_CONTAINS(msg, "'data' (from " + path + ":1) is ??? (a mandatory value nobody set)");
}

}  // namespace
}  // namespace bmfm::config

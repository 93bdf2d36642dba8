// Helpers shared by the tokenizer / masker / collator / WCED / labels tests:
// a small vocabulary, hand-made cells, reading a config section from YAML text.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "bmfm/config/compose.h"
#include "bmfm/config/error.h"
#include "bmfm/data/tokenizer.h"
#include "bmfm/data/vocab.h"
#include "test_util.h"

namespace bmfm::test {

// Specials [UNK]=0 [SEP]=1 [PAD]=2 [CLS]=3 [MASK]=4 (then [S]=5 [T]=6 with
// depth tokens), then genes G0, G1, ... .
inline data::Vocab small_vocab(int n_genes, bool depth_tokens = false) {
  std::vector<std::string> genes;
  for (int i = 0; i < n_genes; ++i) genes.push_back("G" + std::to_string(i));
  data::VocabOptions o;
  o.depth_tokens = depth_tokens;
  return data::Vocab::from_genes(genes, o);
}

inline data::TransformedCell continuous_cell(int64_t index, std::vector<int32_t> genes, std::vector<float> values) {
  data::TransformedCell c;
  c.cell_index = index;
  c.genes = std::move(genes);
  c.expr_values = std::move(values);
  return c;
}

// Composes a config from YAML text (written to a temp file, so errors name it).
inline config::Config config_from_yaml(const std::string& yaml) {
  const std::string path = temp_dir("tok_cfg") + "/config.yaml";
  std::ofstream(path) << yaml;
  config::ComposeRequest req;
  req.config_file = path;
  return config::compose(req);
}

}  // namespace bmfm::test

#define EXPECT_HAS(haystack, needle)                               \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) \
      << "  message: " << (haystack) << "\n  expected to contain: " << (needle)

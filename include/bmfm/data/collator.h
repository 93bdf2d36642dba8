// Collator: B transformed cells -> one Batch (batch.h), in place.
//
//   Collator collator(vocab, cfg, dict.layout(), seed);
//   Batch batch;                                   // one per loader thread, reused
//   collator.collate(cells, epoch, batch);         // tokenize, mask, WCED, labels
//
// Per cell, in order: validate, encode the row (tokenizer.h), mask it
// (masker.h), build WCED targets from the untransformed record against the
// masked genes (wced_targets.h), copy the sequence labels. Every random draw
// of a cell comes from Rng(seed, cell_stream(cell_index, epoch, purpose)), one
// stream for masking and one for WCED zero sampling, so a cell's mask and
// targets depend only on (seed, cell_index, epoch): not on the other cells of
// the batch, the padded length, the thread or the loader's split.
// (cell_stream mixes a purpose tag in, so these streams do not coincide with
// streams that other code derives from Rng(seed, cell_index).)
//
// collate() is const and allocation-free once the Batch has grown to the
// largest (B, L) seen: call it from several threads with one Batch each.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "bmfm/config/schema.h"
#include "bmfm/data/batch.h"
#include "bmfm/data/labels.h"
#include "bmfm/data/masker.h"
#include "bmfm/data/tokenizer.h"
#include "bmfm/data/vocab.h"
#include "bmfm/data/wced_targets.h"

namespace bmfm::data {

struct CollatorConfig {
  TokenizerConfig tokenizer;
  MaskerConfig masker;
  WcedConfig wced;
};

// Sections tokenizer, masker, wced, plus the checks across them.
const config::Schema<CollatorConfig>& collator_schema();

namespace stream_purpose {
inline constexpr uint64_t kMask = 0x6d61736b;  // "mask"
inline constexpr uint64_t kWced = 0x77636564;  // "wced"
inline constexpr uint64_t kView = 0x76696577;  // "view": the transforms of a cell's second view (Loader views = 2)
}  // namespace stream_purpose

// Stream id for Rng(seed, stream): a hash of (purpose, cell_index, epoch).
uint64_t cell_stream(int64_t cell_index, uint64_t epoch, uint64_t purpose);

class Collator {
 public:
  // Throws std::invalid_argument when the config does not fit the vocabulary.
  Collator(const Vocab& vocab, CollatorConfig config, LabelLayout labels = {}, uint64_t seed = 0);
  Collator(const Collator&) = delete;  // the masker points at the tokenizer member
  Collator& operator=(const Collator&) = delete;

  const Tokenizer& tokenizer() const { return tokenizer_; }
  const Masker& masker() const { return masker_; }
  const WcedTargets* wced() const { return wced_ ? &*wced_ : nullptr; }
  const LabelLayout& label_layout() const { return labels_; }

  // Fills `out` from cells[0..n). Errors (std::invalid_argument) name the
  // cell_index: arrays that do not fit the fields, label vectors of the wrong
  // width, a missing raw record with WCED on, an unset cell_index (< 0) when
  // masking or zero sampling needs its stream.
  void collate(const TransformedCell* const* cells, size_t n, uint64_t epoch, Batch& out) const;
  void collate(const std::vector<TransformedCell>& cells, uint64_t epoch, Batch& out) const;

 private:
  void check_cell(const TransformedCell& cell) const;

  Tokenizer tokenizer_;
  Masker masker_;
  std::optional<WcedTargets> wced_;
  LabelLayout labels_;
  uint64_t seed_;
};

}  // namespace bmfm::data

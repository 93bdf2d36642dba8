// Everything the trainer reads cells through: the corpus (opened, or
// prepared from h5ad inputs into the run folder), its train / validation
// split, the transform pipeline and the collator. Torch-free.
#pragma once

#include <memory>
#include <string>

#include "bmfm/data/collator.h"
#include "bmfm/data/corpus.h"
#include "bmfm/data/loader.h"
#include "bmfm/data/transforms.h"
#include "bmfm/train/pretrain_config.h"

namespace bmfm::train {

struct PretrainData {
  std::unique_ptr<data::Corpus> corpus;
  std::unique_ptr<data::CorpusCellSource> all;
  std::unique_ptr<data::SubsetCellSource> train, val;
  std::unique_ptr<data::TransformPipeline> pipeline;
  std::unique_ptr<data::Collator> collator;
  data::TransformConfig transforms;  // as applied (max_length derived from the tokenizer when 0)
  int64_t rank = 0, world_size = 1;  // this process's share of the cells (loader_config)

  const data::Vocab& vocab() const { return corpus->vocab(); }
  const data::LabelLayout& label_layout() const { return collator->label_layout(); }
  // Loader settings for the training split (shuffled) or validation (file order).
  data::LoaderConfig loader_config(const PretrainConfig& cfg, bool train) const;
};

// Opens data.corpus, or prepares data.inputs into <output_dir>/corpus (reused
// when a complete corpus is already there, e.g. on --resume). With several
// ranks only rank 0 prepares; the others open what it wrote (the caller
// orders them with a barrier) and each loads its disjoint share of the cells.
PretrainData open_pretrain_data(const PretrainConfig& cfg, const std::string& output_dir, int64_t rank = 0,
                                int64_t world_size = 1);

}  // namespace bmfm::train

#include "bmfm/train/pretrain_data.h"

#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "bmfm/data/prepare.h"

namespace bmfm::train {
namespace fs = std::filesystem;

data::LoaderConfig PretrainData::loader_config(const PretrainConfig& cfg, bool train) const {
  data::LoaderConfig lc;
  lc.batch_size = cfg.data.batch_size;
  lc.threads = train ? cfg.data.loader_threads : 1;
  lc.prefetch = cfg.data.prefetch;
  lc.shuffle = train;
  lc.drop_last = false;
  lc.seed = cfg.seed;
  lc.rank = rank;  // rank r takes positions r, r + W, ... of each epoch's order (loader.h)
  lc.world_size = world_size;
  for (const auto& l : cfg.losses)
    if (l.field == "contrastive") lc.views = 2;  // two augmented views of every cell
  return lc;
}

PretrainData open_pretrain_data(const PretrainConfig& cfg, const std::string& output_dir, int64_t rank,
                                int64_t world_size) {
  PretrainData d;
  d.rank = rank;
  d.world_size = world_size;
  std::string dir = cfg.data.corpus;
  if (dir.empty()) {
    dir = (fs::path(output_dir) / "corpus").string();
    if (fs::exists(fs::path(dir) / "manifest.json")) {
      spdlog::info("data: reusing the corpus already prepared in {}", dir);
    } else if (rank != 0) {
      throw std::runtime_error(fmt::format("data: rank {}: rank 0 did not prepare the corpus in {}", rank, dir));
    } else {
      data::PrepareConfig pc;
      pc.inputs = cfg.data.inputs;
      for (const auto& in : pc.inputs)
        if (!fs::exists(in))
          throw std::runtime_error(fmt::format(
              "data.inputs: {} does not exist{}", in,
              in.find("simulate") != std::string::npos ? " (run `bmfm simulate` first, or set data.inputs)" : ""));
      pc.output = dir;
      pc.vocab = cfg.data.vocab;
      pc.vocab_depth_tokens = cfg.transforms.rda.mode != "none";
      pc.gene_column = cfg.data.gene_column;
      pc.matrix = cfg.data.matrix;
      pc.label_columns = cfg.data.label_columns;
      pc.seed = cfg.seed;
      pc.counts_consumer = cfg.transforms.normalize.enabled ? "pretraining (transforms.normalize)"
                           : cfg.collator().wced.enabled    ? "pretraining (WCED targets are log1p of normalised counts)"
                           : cfg.transforms.rda.mode != "none" ? "pretraining (RDA down-samples counts)"
                                                               : "the corpus (it stores raw counts)";
      const auto stats = data::prepare_corpus(pc);
      spdlog::info("data: prepared {} cells from {} input(s) into {}", stats.n_written, pc.inputs.size(), dir);
    }
  }
  d.corpus = std::make_unique<data::Corpus>(data::Corpus::open(dir));
  d.all = std::make_unique<data::CorpusCellSource>(*d.corpus);
  auto [train, val] = data::split_cells(d.corpus->n_cells(), cfg.data.val_fraction, static_cast<uint64_t>(cfg.seed));
  if (train.empty()) throw std::runtime_error(fmt::format("data: corpus {} has no training cells", dir));
  if (cfg.data.val_fraction > 0 && val.empty())
    spdlog::warn("data: val_fraction {} left no validation cell out of {}", cfg.data.val_fraction, d.corpus->n_cells());
  spdlog::info("data: {} cells: {} train, {} validation (val_fraction {})", d.corpus->n_cells(), train.size(),
               val.size(), cfg.data.val_fraction);
  d.train = std::make_unique<data::SubsetCellSource>(*d.all, std::move(train));
  d.val = std::make_unique<data::SubsetCellSource>(*d.all, std::move(val));

  d.transforms = cfg.transforms;
  // The transforms keep at most max_length genes (+ [S] [T]); the tokenizer
  // adds [CLS] and [SEP]. Deriving one from the other keeps them consistent.
  if (d.transforms.max_length == 0) d.transforms.max_length = cfg.tokenizer.max_length - 2;
  d.pipeline = std::make_unique<data::TransformPipeline>(d.transforms, d.corpus->vocab());
  d.collator = std::make_unique<data::Collator>(d.corpus->vocab(), cfg.collator(), d.corpus->labels().layout(),
                                                static_cast<uint64_t>(cfg.seed));
  return d;
}

}  // namespace bmfm::train

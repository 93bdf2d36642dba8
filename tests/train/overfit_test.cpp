// A tiny WCED model memorises 32 real cells: the training loss falls by more
// than 90%. Exercises the whole path: corpus, loader, collator, model, losses,
// AdamW, in the configuration `bmfm pretrain` uses.
#include <gtest/gtest.h>

#include "bmfm/data/prepare.h"
#include "bmfm/model/runtime.h"
#include "bmfm/train/adamw.h"
#include "bmfm/train/trainer.h"
#include "test_util.h"

namespace bmfm::train {
namespace {

TEST(Overfit, TinyWcedMemorises32RealCells) {
  BMFM_REQUIRE_DATA("bmfm_cellxgene_pretrain.h5ad");
  model::set_num_threads(0);
  PretrainConfig cfg;
  cfg.data.inputs = {test::data_path("bmfm_cellxgene_pretrain.h5ad")};
  cfg.data.val_fraction = 0;
  cfg.data.batch_size = 32;
  cfg.data.loader_threads = 1;
  cfg.transforms.order.mode = "random";
  cfg.tokenizer.max_length = 128;
  cfg.tokenizer.padding = "longest";
  cfg.tokenizer.fields = {{"genes", "token", 0, 0.0}, {"expressions", "continuous", 0, 0.0}};
  cfg.wced.enabled = true;
  cfg.wced.bias_init = "zero";  // from zero: the 90% fall measures memorisation, not the data's gene means
  cfg.model.hidden_size = 64;
  cfg.model.num_layers = 2;
  cfg.model.num_heads = 4;
  cfg.model.intermediate_size = 128;
  cfg.model.dropout = cfg.model.attention_dropout = 0;
  cfg.losses = {{"wced", "mse", "all", "", 1.0, 0.0}, {"wced", "is_zero_bce", "all", "", 1.0, 0.0}};
  PretrainData data = open_pretrain_data(cfg, test::temp_dir("overfit"));
  // The same 32 cells every step, in file order.
  std::vector<int64_t> first32(32);
  for (int i = 0; i < 32; ++i) first32[i] = i;
  data::SubsetCellSource cells(*data.all, first32);
  data::LoaderConfig lc = data.loader_config(cfg, false);
  data::Loader loader(cells, *data.pipeline, *data.collator, data.label_layout(), lc);

  at::manual_seed(0);
  model::PretrainModel model = build_model(cfg, data, at::kCPU);
  AdamW opt(*model, {0.9, 0.999, 1e-8, 0.0});
  data::Batch batch;
  double first = 0, last = 0;
  for (int step = 0; step < 300; ++step) {
    loader.next(batch);
    opt.zero_grad();
    const LossTerms t = forward_backward(model, cfg.losses, model::to_tensors(batch, at::kCPU), false, 1.0);
    opt.step(3e-3);
    (step == 0 ? first : last) = t.total.item<double>();
  }
  EXPECT_LT(last, 0.1 * first) << "first " << first << " last " << last;
}

}  // namespace
}  // namespace bmfm::train

#include "bmfm/train/checkpoint_model.h"

#include <filesystem>
#include <map>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/autograd.h>

#include "bmfm/train/checkpoint.h"
#include "bmfm/train/objective.h"

namespace bmfm::train {
namespace fs = std::filesystem;

std::string resolve_checkpoint_dir(const std::string& path) {
  if (!fs::exists(path)) throw std::runtime_error(fmt::format("checkpoint {}: no such folder", path));
  if (fs::exists(fs::path(path) / "index.json")) return path;
  // A run folder: pretraining keeps checkpoints/last (and best), fine-tuning checkpoints/best.
  for (const char* name : {"last", "best"}) {
    const fs::path dir = fs::path(path) / "checkpoints" / name;
    if (fs::exists(dir / "index.json")) return dir.string();
  }
  throw std::runtime_error(fmt::format(
      "checkpoint {}: neither a checkpoint folder (index.json) nor a run folder with checkpoints/last or "
      "checkpoints/best", path));
}

LoadedModel load_checkpoint_model(const std::string& path, const at::Device& device) {
  LoadedModel out;
  out.dir = resolve_checkpoint_dir(path);
  const CheckpointContents c = read_checkpoint(out.dir);
  // A fine-tuned classifier (bmfm finetune): its encoder, read as a pretraining
  // model of the architecture it was fine-tuned with; the pretraining heads it
  // does not have keep their initial weights and are not for use.
  out.kind = c.meta.value("kind", "pretrain");
  const char* config_file = out.kind == "classifier" ? "architecture.yaml" : "config.yaml";
  for (const char* f : {config_file, "vocab.json"})
    if (!c.files.count(f)) throw std::runtime_error(fmt::format("checkpoint {}: no {} in it", out.dir, f));
  out.config = pretrain_schema().read_file((fs::path(out.dir) / config_file).string());
  if (out.kind == "classifier") {
    // Embeddings read the cell the way the fine-tuned head did, where that is a pooling embed offers.
    const std::string pooling = c.meta.value("pooling", "");
    if (pooling == "cls" || pooling == "mean") out.config.model.cell_pooling = pooling;
  }
  out.vocab = data::Vocab::load((fs::path(out.dir) / "vocab.json").string());
  out.vocab.require_hash(c.meta.value("vocab_hash", ""), "checkpoint " + out.dir + "/index.json");
  out.step = c.meta.value("step", int64_t{0});
  // Multitask checkpoints carry their label dictionary (the label heads' classes);
  // a classifier's belongs to its fine-tuning heads, not to the model built here.
  if (c.files.count("labels.json") && out.kind != "classifier")
    out.labels = data::LabelDictionary::from_json(c.files.at("labels.json"), "checkpoint " + out.dir + "/labels.json");

  std::map<std::string, const at::Tensor*> saved;
  for (const auto& [k, t] : c.tensors) saved[k] = &t;
  const auto gene = saved.find("model/bert.embeddings.gene.weight");
  if (gene == saved.end()) throw std::runtime_error(fmt::format("checkpoint {}: no gene embedding table", out.dir));
  const model::ModelShape shape = model_shape(out.vocab, out.config.collator(), out.config.losses, &out.labels);
  out.model = model::PretrainModel(out.config.model, shape, gene->second->size(1));
  torch::NoGradGuard no_grad;
  for (auto& p : out.model->named_parameters()) {
    if (out.kind == "classifier" && p.key().rfind("bert.", 0) != 0) continue;
    auto it = saved.find("model/" + p.key());
    if (it == saved.end()) throw std::runtime_error(fmt::format("checkpoint {}: no tensor 'model/{}'", out.dir, p.key()));
    if (!it->second->sizes().equals(p.value().sizes()))
      throw std::runtime_error(fmt::format("checkpoint {}: 'model/{}' has shape [{}], the config builds [{}]", out.dir,
                                           p.key(), fmt::join(it->second->sizes(), ", "),
                                           fmt::join(p.value().sizes(), ", ")));
    p.value().copy_(*it->second);
  }
  out.model->to(device);
  out.model->eval();
  return out;
}

}  // namespace bmfm::train

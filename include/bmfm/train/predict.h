// `bmfm predict`: a fine-tuned checkpoint (bmfm finetune's checkpoints/best)
// applied to a new h5ad: class per label column, and the logits / probabilities.
#pragma once

#include <string>
#include <vector>

#include "bmfm/config/schema.h"
#include "bmfm/io/anndata.h"

namespace bmfm::train {

struct PredictConfig {
  std::string checkpoint;  // a fine-tuned checkpoint, or a finetune run folder (its checkpoints/best)
  std::string input;
  std::string gene_column;
  std::string matrix = "X";
  int64_t batch_size = 64;
  std::string precision = "auto";
  std::string device = "auto";
  int64_t threads = 0;
  bool write_logits = false;         // logits.csv
  bool write_probabilities = false;  // probabilities.csv
  bool slim = false;                 // predictions.h5ad with obs + predictions only
  std::string output_dir = "runs/predict";
};
const config::Schema<PredictConfig>& predict_schema();

struct LabelPredictions {
  std::string name;
  std::vector<std::string> classes;
  std::vector<int32_t> predicted;  // class index per cell
  io::DenseMatrix logits;          // (n_obs, n_classes)
  io::DenseMatrix probabilities;
};

struct Predictions {
  std::vector<std::string> cell_ids;
  std::vector<LabelPredictions> labels;
  int64_t n_genes_mapped = 0, n_genes_input = 0, n_vocab_genes_missing = 0;
};

Predictions predict(const PredictConfig& cfg);

}  // namespace bmfm::train

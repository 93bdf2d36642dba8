// `bmfm predict`: a fine-tuned checkpoint (bmfm finetune's checkpoints/best)
// applied to a new h5ad: per label column the class (classification), the set
// of labels (multilabel) or the value (regression), and logits / probabilities.
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
  std::string kind;                // classification | multilabel | regression
  std::string separator = "|";     // multilabel: joins a cell's labels in predicted_text
  std::vector<std::string> classes;  // empty for regression
  std::vector<int32_t> predicted;  // classification: class index per cell
  std::vector<double> values;      // regression: predicted value per cell
  io::DenseMatrix logits;          // (n_obs, n_classes); regression (n_obs, 1) = the value
  io::DenseMatrix probabilities;   // softmax (classification), sigmoid per label (multilabel); empty for regression
  // The prediction of cell i as text: the class, the labels with probability
  // > 0.5 joined by the separator (multilabel), or the value (regression).
  std::string predicted_text(int64_t i) const;
};

struct Predictions {
  std::vector<std::string> cell_ids;
  std::vector<LabelPredictions> labels;
  int64_t n_genes_mapped = 0, n_genes_input = 0, n_vocab_genes_missing = 0;
};

Predictions predict(const PredictConfig& cfg);

}  // namespace bmfm::train

// Model hyper-parameters (the `model` config section) and the shape facts the
// model takes from the data (vocabulary size, how expressions are fed, which
// heads the objectives need). Torch-free so configs can be read and checked
// without pulling in libtorch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bmfm/config/schema.h"

namespace bmfm::model {

struct GeneEmbeddingConfig {
  std::string file;             // pretrained gene vectors (gene2vec text, or .npy + genes_file); "" = random init
  std::string genes_file;       // .npy: one gene per line, in the array's row order
  bool freeze_covered = false;  // keep the rows the file covers fixed during training
};

struct ExpressionEncoderConfig {
  // How a continuous expression value becomes a hidden vector (binned
  // expressions always use a token embedding):
  //   mlp:      value -> Linear(1, mlp_hidden) -> LeakyReLU -> Linear(mlp_hidden, H)
  //   periodic: value -> [sin(w_k v), cos(w_k v)]_{k<n_basis} with trainable w -> Linear(2 n_basis, H)
  std::string kind = "mlp";
  int64_t mlp_hidden = 128;
  int64_t n_basis = 48;
  double basis_min = 0.1, basis_max = 10.0;  // periodic: initial frequencies, log-spaced in [min, max]
  // Exact zeros at gene positions get their own learned embedding instead of
  // being fed as the number 0 (MASK / PAD / CLS / SEP always do).
  bool zero_as_special = true;
};

struct ModelConfig {
  int64_t hidden_size = 768;
  int64_t num_layers = 12;
  int64_t num_heads = 12;
  int64_t intermediate_size = 3072;
  double dropout = 0.1;            // embeddings, attention output, feed-forward output
  double attention_dropout = 0.1;  // attention probabilities
  double layer_norm_eps = 1e-12;   // BERT's value
  double init_std = 0.02;          // normal init of Linear / Embedding weights (BERT)
  std::string position_embedding = "none";  // none (gene sets are unordered) | absolute
  std::string attention = "auto";           // auto | sdpa | explicit (see model/attention.h)
  // Where each block's LayerNorm sits: post (BERT: x = LN(x + f(x))) or pre
  // (x = x + f(LN(x)), a final LN after the last block). Pre-norm keeps the
  // residual stream an identity path, so what differs between cells at the
  // input reaches the output at initialisation instead of being renormalised
  // away at every block (docs/results.md, representation ablations).
  std::string norm = "post";
  // The cell representation the whole-cell objectives decode from (WCED) and
  // `bmfm embed` returns by default: cls ([CLS] state) | mean (mean over the
  // gene positions of the last layer).
  std::string cell_pooling = "cls";
  GeneEmbeddingConfig gene_embedding;
  ExpressionEncoderConfig expression_encoder;
  // Multitask pretraining: how the sequence-level label heads read the cell
  // (cls | mean over real tokens | pooler = dense + tanh on CLS) and their depth
  // (1 linear | 2 dense, GELU, dropout, linear). `bmfm finetune` has its own.
  std::string label_pooling = "cls";
  int64_t label_head_layers = 1;
};

const config::Schema<ModelConfig>& model_schema();

// What the model needs to know about its inputs and targets; filled from the
// vocabulary, the tokenizer fields and the objectives (train/objective.h).
// One sequence-level label head on the pooled cell representation.
struct LabelHeadSpec {
  std::string name;                     // obs column
  std::string kind = "classification";  // classification | multilabel | regression
  int64_t width = 0;                    // classes (classification, multilabel); 1 (regression)
  // Where its targets sit in the batch (data/batch.h): the column of
  // class_labels, the first column of its multilabel block, or the column of regression.
  int64_t offset = 0;
  double grl_alpha = 0.0;  // > 0: gradient reversal (-alpha x gradient) in front of the head
};

struct ModelShape {
  int64_t vocab_size = 0;        // gene vocabulary incl. specials
  int64_t max_length = 0;        // tokenizer max_length (absolute positions)
  std::string expressions;       // "" (no field) | binned | continuous
  int64_t n_expr_bins = 0;       // binned: number of bins
  int64_t n_perturbations = 0;   // perturbation values; 0 = no perturbation field
  bool gene_head = false;        // masked gene prediction
  std::string expr_head;         // "" | bins (CE / token value) | regression (value + is-zero)
  int64_t wced_width = 0;        // WCED decoder width V (genes); 0 = no WCED head
  std::vector<LabelHeadSpec> labels;  // multitask label heads, in loss order
  int64_t contrastive_dim = 0;   // projection head width for the contrastive term; 0 = none
};

}  // namespace bmfm::model

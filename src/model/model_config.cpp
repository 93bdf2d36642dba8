#include "bmfm/model/model_config.h"

#include <fmt/format.h>

namespace bmfm::model {

const config::Schema<ModelConfig>& model_schema() {
  using M = ModelConfig;
  using config::fail;
  static const auto gene = config::Schema<GeneEmbeddingConfig>("gene_embedding")
      .field("file", &GeneEmbeddingConfig::file, "pretrained gene vectors: gene2vec text (gene v1 .. vD) or .npy; '' = random")
      .field("genes_file", &GeneEmbeddingConfig::genes_file, ".npy only: gene list, one per line, in row order")
      .field("freeze_covered", &GeneEmbeddingConfig::freeze_covered, "keep the rows the file covers fixed");
  static const auto expr = config::Schema<ExpressionEncoderConfig>("expression_encoder")
      .field("kind", &ExpressionEncoderConfig::kind, "continuous values: mlp | periodic")
      .field("mlp_hidden", &ExpressionEncoderConfig::mlp_hidden, "mlp: hidden width (1 -> mlp_hidden -> H)")
      .field("n_basis", &ExpressionEncoderConfig::n_basis, "periodic: number of trainable frequencies (sin and cos each)")
      .field("basis_min", &ExpressionEncoderConfig::basis_min, "periodic: smallest initial frequency")
      .field("basis_max", &ExpressionEncoderConfig::basis_max, "periodic: largest initial frequency")
      .field("zero_as_special", &ExpressionEncoderConfig::zero_as_special,
             "exact zeros get a learned embedding instead of the encoded number 0");
  static const auto schema =
      config::Schema<M>("model")
          .field("hidden_size", &M::hidden_size, "hidden width H")
          .field("num_layers", &M::num_layers, "encoder layers")
          .field("num_heads", &M::num_heads, "attention heads (must divide hidden_size)")
          .field("intermediate_size", &M::intermediate_size, "feed-forward width")
          .field("dropout", &M::dropout, "dropout on embeddings and sublayer outputs")
          .field("attention_dropout", &M::attention_dropout, "dropout on attention probabilities")
          .field("layer_norm_eps", &M::layer_norm_eps, "LayerNorm epsilon")
          .field("init_std", &M::init_std, "std of the normal init of Linear / Embedding weights")
          .field("position_embedding", &M::position_embedding, "none | absolute")
          .field("attention", &M::attention, "auto | sdpa | explicit")
          .field("norm", &M::norm, "post (BERT) | pre: LayerNorm after or before each sublayer")
          .field("cell_pooling", &M::cell_pooling,
                 "cell representation for WCED and embed: cls | mean (over gene positions)")
          .field("label_pooling", &M::label_pooling, "multitask label heads read: cls | mean | pooler")
          .field("label_head_layers", &M::label_head_layers, "multitask label heads: 1 (linear) | 2 (dense, GELU, dropout, linear)")
          .section("gene_embedding", &M::gene_embedding, gene, "gene token embedding")
          .section("expression_encoder", &M::expression_encoder, expr, "continuous expression encoder")
          .check([](const M& m, const config::Config& cfg, const std::string& p) {
            if (m.hidden_size <= 0) fail(cfg, p + "hidden_size", "must be positive");
            if (m.num_layers < 0) fail(cfg, p + "num_layers", "must be >= 0");
            if (m.num_heads <= 0 || m.hidden_size % m.num_heads != 0)
              fail(cfg, p + "num_heads",
                   fmt::format("must be positive and divide hidden_size {} (got {})", m.hidden_size, m.num_heads));
            if (m.intermediate_size <= 0) fail(cfg, p + "intermediate_size", "must be positive");
            if (m.dropout < 0 || m.dropout >= 1) fail(cfg, p + "dropout", "must be in [0, 1)");
            if (m.attention_dropout < 0 || m.attention_dropout >= 1) fail(cfg, p + "attention_dropout", "must be in [0, 1)");
            if (!(m.layer_norm_eps > 0)) fail(cfg, p + "layer_norm_eps", "must be positive");
            if (!(m.init_std > 0)) fail(cfg, p + "init_std", "must be positive");
            config::require_one_of(cfg, p + "position_embedding", m.position_embedding, {"none", "absolute"});
            config::require_one_of(cfg, p + "attention", m.attention, {"auto", "sdpa", "explicit"});
            config::require_one_of(cfg, p + "label_pooling", m.label_pooling, {"cls", "mean", "pooler"});
            config::require_one_of(cfg, p + "norm", m.norm, {"post", "pre"});
            config::require_one_of(cfg, p + "cell_pooling", m.cell_pooling, {"cls", "mean"});
            if (m.label_head_layers != 1 && m.label_head_layers != 2) fail(cfg, p + "label_head_layers", "1 or 2");
            const auto& e = m.expression_encoder;
            config::require_one_of(cfg, p + "expression_encoder.kind", e.kind, {"mlp", "periodic"});
            if (e.mlp_hidden <= 0) fail(cfg, p + "expression_encoder.mlp_hidden", "must be positive");
            if (e.n_basis <= 0) fail(cfg, p + "expression_encoder.n_basis", "must be positive");
            if (!(e.basis_min > 0) || !(e.basis_max >= e.basis_min))
              fail(cfg, p + "expression_encoder.basis_min", "need 0 < basis_min <= basis_max");
            if (!m.gene_embedding.genes_file.empty() && m.gene_embedding.file.empty())
              fail(cfg, p + "gene_embedding.genes_file", "set gene_embedding.file too");
            if (m.gene_embedding.freeze_covered && m.gene_embedding.file.empty())
              fail(cfg, p + "gene_embedding.freeze_covered", "needs gene_embedding.file");
          });
  return schema;
}

}  // namespace bmfm::model

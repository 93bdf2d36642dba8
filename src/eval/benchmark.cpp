#include "bmfm/eval/benchmark.h"

#include <chrono>
#include <map>
#include <numeric>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "bmfm/config/error.h"
#include "bmfm/data/qc.h"
#include "bmfm/eval/umap_layout.h"
#include "bmfm/io/h5ad.h"

namespace bmfm::eval {

const config::Schema<DatasetSpec>& dataset_spec_schema() {
  using D = DatasetSpec;
  static const auto schema =
      config::Schema<D>("dataset")
          .field("name", &D::name, "dataset name used in reports", true)
          .field("path", &D::path, "h5ad file (set it for the scEval datasets)", true)
          .field("label_key", &D::label_key, "obs column holding the cell types", true)
          .field("batch_key", &D::batch_key, "obs column holding the batches", true)
          .field("counts", &D::counts, "matrix with raw counts for the baselines: X or layers/<name>")
          .section("split", &D::split, data::split_schema(), "annotation benchmark split (random | stratified | column)")
          .field("gene_column", &D::gene_column, "var column with gene ids (checkpoint method); '' = var index")
          .field("description", &D::description, "what the dataset is")
          .field("source", &D::source, "where the public file comes from");
  return schema;
}

const config::Schema<ZeroShotOptions>& zero_shot_schema() {
  using Z = ZeroShotOptions;
  static const auto baseline = config::Schema<BaselineOptions>("baseline")
                                   .field("target_sum", &BaselineOptions::target_sum, "normalize_total target")
                                   .field("n_top_genes", &BaselineOptions::n_top_genes, "highly variable genes (seurat)")
                                   .field("hvg_bins", &BaselineOptions::hvg_bins, "mean bins for the dispersion z-score")
                                   .field("scale_max", &BaselineOptions::scale_max, "clip scaled values above this")
                                   .field("n_comps", &BaselineOptions::n_comps, "principal components");
  static const auto schema =
      config::Schema<Z>("zero_shot")
          .field("methods", &Z::methods, "embeddings to score: pca | log1p_hvg | obsm:<key> | checkpoint")
          .field("l2_normalize", &Z::l2_normalize, "L2-normalise embeddings before scoring (scGPT)")
          .field("knn", &Z::knn, "kNN search: auto | exact | hnsw")
          .field("exact_below", &Z::exact_below, "auto: exact kNN below this many cells")
          .field("umap", &Z::umap, "compute 2-D UMAP layouts for report.html")
          .field("umap_epochs", &Z::umap_epochs, "UMAP SGD epochs; 0 = umap's default")
          .section("baseline", &Z::baseline, baseline, "PCA / log1p-HVG baseline pipeline")
          .check([](const Z& z, const config::Config& cfg, const std::string& prefix) {
            config::require_one_of(cfg, prefix + "knn", z.knn, {"auto", "exact", "hnsw"});
            for (const auto& m : z.methods) {
              if (m == "pca" || m == "log1p_hvg" || m == "checkpoint" || (m.rfind("obsm:", 0) == 0 && m.size() > 5))
                continue;
              config::fail(cfg, prefix + "methods",
                           "unknown method '" + m + "' (choose pca, log1p_hvg, obsm:<key> or checkpoint)");
            }
          });
  return schema;
}

namespace {

// Codes of a categorical-like obs column; -1 for missing values.
std::vector<int32_t> column_codes(const io::Column& c, std::vector<std::string>& names) {
  std::vector<int32_t> codes(static_cast<size_t>(c.size()), -1);
  if (c.kind == io::Column::Kind::Categorical) {
    names = c.categories;
    return c.codes;
  }
  std::map<std::string, int32_t> index;
  for (int64_t i = 0; i < c.size(); ++i)
    if (!c.is_missing(i)) index.emplace(c.text(i), 0);
  for (auto& [name, code] : index) {
    code = static_cast<int32_t>(names.size());
    names.push_back(name);
  }
  for (int64_t i = 0; i < c.size(); ++i)
    if (!c.is_missing(i)) codes[static_cast<size_t>(i)] = index.at(c.text(i));
  return codes;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

DatasetResult run_zero_shot(const DatasetSpec& spec, const ZeroShotOptions& opts, const BenchmarkProgress& progress) {
  auto note = [&](const std::string& method, const std::string& stage) {
    if (progress) progress(spec.name, method, stage);
  };
  DatasetResult res;
  res.spec = spec;
  std::vector<int64_t> kept;
  io::CsrMatrix counts;
  bool counts_loaded = false;
  std::unique_ptr<io::H5adReader> reader;
  try {
    note("", "load");
    reader = std::make_unique<io::H5adReader>(spec.path);
    res.n_obs = reader->n_obs();
    res.n_vars = reader->n_vars();
    const io::DataFrame obs = reader->read_obs();
    std::vector<int32_t> labels = column_codes(obs.at(spec.label_key), res.label_names);
    // No batch key: one batch (the batch metrics then say nothing).
    std::vector<int32_t> batches(static_cast<size_t>(res.n_obs), 0);
    if (spec.batch_key.empty()) res.batch_names = {"all"};
    else batches = column_codes(obs.at(spec.batch_key), res.batch_names);
    for (int64_t i = 0; i < res.n_obs; ++i) {
      if (labels[static_cast<size_t>(i)] < 0 || batches[static_cast<size_t>(i)] < 0) continue;
      kept.push_back(i);
      res.labels.push_back(labels[static_cast<size_t>(i)]);
      res.batches.push_back(batches[static_cast<size_t>(i)]);
    }
    res.n_dropped = res.n_obs - static_cast<int64_t>(kept.size());
    if (kept.size() < 3) throw std::runtime_error("fewer than 3 cells with both a label and a batch");
  } catch (const std::exception& e) {
    res.error = e.what();
    return res;
  }

  ScibOptions scib;
  scib.l2_normalize = opts.l2_normalize;
  scib.knn.method = parse_knn_method(opts.knn);
  scib.knn.exact_below = opts.exact_below;
  scib.knn.seed = opts.seed;
  for (const auto& method : opts.methods) {
    MethodResult mr;
    mr.method = method;
    try {
      note(method, "embed");
      auto t0 = std::chrono::steady_clock::now();
      std::vector<float> X;
      if (method.rfind("obsm:", 0) == 0 || method == "checkpoint") {
        io::DenseMatrix m;
        if (method == "checkpoint") {
          if (!opts.embed_checkpoint) throw std::runtime_error("method 'checkpoint' needs checkpoint=DIR");
          m = opts.embed_checkpoint(spec);
        } else {
          m = reader->read_obsm(method.substr(5));
        }
        mr.n_dims = m.n_cols;
        X.resize(kept.size() * static_cast<size_t>(m.n_cols));
        for (size_t i = 0; i < kept.size(); ++i)
          std::copy_n(m.data.begin() + kept[i] * m.n_cols, m.n_cols, X.begin() + static_cast<int64_t>(i) * m.n_cols);
      } else {
        if (!counts_loaded) {
          io::CsrMatrix all = reader->read_matrix(spec.counts);
          std::vector<int64_t> cols(static_cast<size_t>(all.n_cols));
          std::iota(cols.begin(), cols.end(), int64_t{0});
          counts = data::take(all, kept, cols);
          io::require_counts(counts, spec.path + " " + spec.counts);
          counts_loaded = true;
        }
        BaselineEmbedding b = baseline_embedding(method, counts, opts.baseline);
        mr.n_dims = b.n_dims;
        X = std::move(b.X);
      }
      mr.embed_seconds = seconds_since(t0);
      note(method, "metrics");
      mr.health = embedding_health(EmbeddingView{X.data(), static_cast<int64_t>(kept.size()), mr.n_dims});
      if (!mr.health.collapse.empty())
        spdlog::warn("{} / {}: the embedding looks collapsed: {}", spec.name, method, mr.health.collapse);
      mr.metrics = scib_metrics(EmbeddingView{X.data(), static_cast<int64_t>(kept.size()), mr.n_dims}, res.labels,
                                res.batches, scib);
      if (opts.umap) {
        note(method, "umap");
        UmapOptions u;
        u.n_epochs = opts.umap_epochs;
        u.seed = opts.seed;
        mr.umap = umap_layout(mr.metrics.connectivities, u);
      }
      mr.metrics.connectivities = SparseGraph{};  // not needed past the layout
    } catch (const std::exception& e) {
      mr.error = e.what();
    }
    res.methods.push_back(std::move(mr));
  }
  return res;
}

}  // namespace bmfm::eval

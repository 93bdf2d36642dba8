#!/usr/bin/env bash
# Fresh Debian 12 machine -> dependencies, build, then the main job end to end on
# the embedded default data: simulate a dataset, inspect it, pretrain the tiny
# WCED preset on it (with an in-training probe of what the embedding holds),
# QC it, embed the cells with the checkpoint, and score the model's embedding
# next to the PCA / log1p-HVG baselines with the zero-shot benchmark
# (report.html: scores, embedding health, UMAPs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh release
out=${1:-runs/demo}
./build/bmfm info --no-bench
./build/bmfm simulate --output-dir "$out/simulate"
./build/bmfm inspect "$out/simulate/simulated.h5ad"
rm -rf "$out/pretrain"
# The preset as shipped (docs/results.md: ~3.5 minutes on 2 cores); the probe
# scores the simulated cell types every 1000 steps (probe/* in metrics.csv).
./build/bmfm pretrain --config configs/wced.yaml size=tiny "data.inputs=[$out/simulate/simulated.h5ad]" \
  trainer.max_steps=3000 trainer.probe.input="$out/simulate/simulated.h5ad" trainer.probe.batch_key=batch \
  trainer.probe.every=1000 --output-dir "$out/pretrain"
./build/bmfm qc "$out/simulate/simulated.h5ad" --output-dir "$out/qc"
cat > "$out/simulated_dataset.yaml" <<YAML
name: simulated
description: bmfm simulate default (2000 cells, 5 cell types, 2 batches)
path: $out/qc/qc.h5ad
label_key: cell_type
batch_key: batch
YAML
./build/bmfm embed --checkpoint "$out/pretrain" --input "$out/qc/qc.h5ad" --output-dir "$out/embed"
./build/bmfm benchmark "datasets=[$out/simulated_dataset.yaml]" "zero_shot.methods=[pca,log1p_hvg,checkpoint]" \
  checkpoint="$out/pretrain" --output-dir "$out/benchmark"
echo "demo: outputs in $out (pretraining metrics: $out/pretrain/metrics.csv; embeddings: $out/embed; scores: $out/benchmark/results.md; open $out/benchmark/report.html)"

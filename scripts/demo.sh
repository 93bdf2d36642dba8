#!/usr/bin/env bash
# Fresh Debian 12 machine -> dependencies, build, then the main job end to end on
# the embedded default data: simulate a dataset, inspect it, pretrain a tiny WCED
# model on it (the validation loss falls), QC it, and score the PCA / log1p-HVG
# baselines with the zero-shot benchmark (report.html).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh release
out=${1:-runs/demo}
./build/bmfm info --no-bench
./build/bmfm simulate --output-dir "$out/simulate"
./build/bmfm inspect "$out/simulate/simulated.h5ad"
rm -rf "$out/pretrain"
./build/bmfm pretrain --config configs/wced.yaml size=tiny "data.inputs=[$out/simulate/simulated.h5ad]" \
  trainer.max_steps=300 trainer.warmup_steps=30 trainer.lr=1e-3 trainer.val_every=50 --output-dir "$out/pretrain"
./build/bmfm qc "$out/simulate/simulated.h5ad" --output-dir "$out/qc"
cat > "$out/simulated_dataset.yaml" <<YAML
name: simulated
description: bmfm simulate default (2000 cells, 5 cell types, 2 batches)
path: $out/qc/qc.h5ad
label_key: cell_type
batch_key: batch
YAML
./build/bmfm benchmark "datasets=[$out/simulated_dataset.yaml]" "zero_shot.methods=[pca,log1p_hvg]" \
  --output-dir "$out/benchmark"
echo "demo: outputs in $out (pretraining metrics: $out/pretrain/metrics.jsonl; open $out/benchmark/report.html)"

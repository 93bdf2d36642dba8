#!/usr/bin/env bash
# Transductive pretraining on one labelled shared file, as users of scVI do:
# pretrain a preset on the file's own cells (labels unused), then score the
# checkpoint's zero-shot embedding next to the PCA baseline with the benchmark
# registry's entry for that file (its counts matrix, labels and batches).
#
#   bash bench/real_representation.sh DATASET CONFIG [pretrain overrides...]
#   bash bench/real_representation.sh cellbench_lung_celllines_5batch configs/wced.yaml size=small \
#        trainer.max_steps=1500 data.gene_column=gene_symbol
#
# Outputs under runs/real_representation/DATASET-<config name>[-TAG] (TAG from the
# environment: keeps runs with other overrides apart); prints the
# pretraining wall time and the benchmark table (results.md). The registry
# entry is used as is, except its gene_column when the pretraining overrides
# do not set data.gene_column (the checkpoint's vocabulary is then the file's
# var index, and the embedding must map genes the same way).
set -euo pipefail
cd "$(dirname "$0")/.."
dataset=$1 config=$2
shift 2
BMFM=${BMFM:-./build/bmfm}
DATA=${BMFM_DATA_DIR:-../shared/data}
out=runs/real_representation/$dataset-$(basename "$config" .yaml)${TAG:+-$TAG}
entry=configs/benchmark/datasets/$dataset.yaml
counts=$(sed -n 's/^counts: *//p' "$entry")
rm -rf "$out"
mkdir -p "$out"
case " $* " in
  *" data.gene_column="*) ;;
  *) sed '/^gene_column:/d' "$entry" > "$out/dataset.yaml"; entry=$out/dataset.yaml ;;
esac
start=$(date +%s)
"$BMFM" pretrain --config "$config" "data.inputs=[$DATA/$dataset.h5ad]" ${counts:+data.matrix=$counts} "$@" \
  --output-dir "$out/pretrain" --log-level warn
echo "pretraining: $(( $(date +%s) - start )) s ($config $*)" | tee "$out/pretrain_time.txt"
BMFM_DATA_DIR=$DATA "$BMFM" benchmark --config configs/benchmark/zero_shot.yaml "datasets=[$entry]" \
  "zero_shot.methods=[pca]" checkpoint="$out/pretrain" zero_shot.umap=false --output-dir "$out/benchmark" --log-level warn
cat "$out/benchmark/results.md"

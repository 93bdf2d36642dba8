#!/usr/bin/env bash
# Does a pretraining recipe learn what the cells are? Pretrains with the given
# config and overrides, embeds the cells with the checkpoint's default pooling,
# and scores the embedding next to PCA with the zero-shot benchmark (scib NMI /
# ARI / AvgBio) plus the embedding health figures. One table row per run:
#
#   bash bench/representation.sh NAME CONFIG DATA.h5ad LABEL_KEY BATCH_KEY [overrides...]
#   bash bench/representation.sh wced_tiny configs/wced.yaml runs/sim/simulated.h5ad cell_type batch \
#        size=tiny trainer.max_steps=3000
#
# Outputs under runs/representation/NAME; the row is appended to
# runs/representation/table.md. BMFM=path/to/bmfm overrides the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1 config=$2 data=$3 label=$4 batch=$5
shift 5
BMFM=${BMFM:-./build/bmfm}
out=runs/representation/$name
rm -rf "$out"
mkdir -p "$out"
start=$(date +%s.%N)
"$BMFM" pretrain --config "$config" "data.inputs=[$data]" "$@" --output-dir "$out/pretrain" --log-level warn
pretrain_s=$(echo "$(date +%s.%N) - $start" | bc)
"$BMFM" embed --checkpoint "$out/pretrain" --input "$data" --output-dir "$out/embed" --slim 2> "$out/embed.log"
grep -E "health|collapsed" "$out/embed.log" || true
cat > "$out/dataset.yaml" <<YAML
name: $name
path: $out/embed/embeddings.h5ad
label_key: $label
batch_key: $batch
YAML
"$BMFM" benchmark "datasets=[$out/dataset.yaml]" "zero_shot.methods=[obsm:X_bmfm]" zero_shot.umap=false \
  --output-dir "$out/benchmark" --log-level warn
/usr/bin/python3 - "$out" "$name" "$pretrain_s" "$*" <<'PY'
import json, sys
out, name, secs, overrides = sys.argv[1:]
d = json.load(open(f"{out}/benchmark/results.json"))["datasets"][0]
m = d["methods"][0]
s, h = m["metrics"], m["health"]
row = (f"| {name} | {s['NMI']:.3f} | {s['ARI']:.3f} | {s['AvgBio']:.3f} | {h['participation_ratio']:.2f} | "
       f"{h['spread']:.3g} | {h['mean_cosine_centred']:.3f} | {float(secs):.0f} | `{overrides}` |")
print(row)
with open("runs/representation/table.md", "a") as f:
    f.write(row + "\n")
PY

#!/usr/bin/env bash
# The annotation numbers of docs/results.md: cell-type fine-tuning on
# symphony_pbmc_3batch_1500 (train 3pv1 + 3pv2, test 5p: cross-batch),
# bmfm_scp1884 (stratified random split) and cellbench_lung_celllines_5batch
# (train CEL-seq2, test Drop-seq: cross-technology), (a) without pretraining and (b) from
# a WCED checkpoint pretrained here on other shared files (cellxgene subset,
# zheng68k, panglao: none of the evaluation files). CPU-sized: SIZE=tiny
# (default) or SIZE=small (pretraining steps PRETRAIN_STEPS, fine-tuning epochs EPOCHS).
# Usage: [SIZE=small PRETRAIN_STEPS=1500 EPOCHS=5] bash bench/annotation_results.sh [build/bmfm] [out]
set -euo pipefail
cd "$(dirname "$0")/.."
BMFM=${1:-build/bmfm}
SIZE=${SIZE:-tiny}
OUT=${2:-runs/annotation$([ "$SIZE" = tiny ] || echo "-$SIZE")}
PRETRAIN_STEPS=${PRETRAIN_STEPS:-1500}
EPOCHS=${EPOCHS:-15}
D=${BMFM_DATA_DIR:-../shared/data}
mkdir -p "$OUT"
[ -d "$OUT/wced/checkpoints/last" ] || "$BMFM" pretrain --config configs/wced.yaml size=$SIZE \
  "data.inputs=[$D/bmfm_cellxgene_pretrain.h5ad,$D/bmfm_zheng68k.h5ad,$D/bmfm_panglao_human_10samples.h5ad]" \
  trainer.max_steps=$PRETRAIN_STEPS trainer.warmup_steps=100 trainer.lr=5e-4 trainer.val_every=250 --output-dir "$OUT/wced"
SYM=(--input "$D/symphony_pbmc_3batch_1500.h5ad" matrix=layers/counts split.mode=column split.column=batch "split.test_values=[5p]")
SCP=(--input "$D/bmfm_scp1884.h5ad" split.mode=stratified)
# cellbench's var index holds Ensembl ids; the pretraining vocabulary holds symbols.
CB=(--input "$D/cellbench_lung_celllines_5batch.h5ad" gene_column=gene_symbol split.mode=column split.column=batch "split.test_values=[sc_dropseq]")
COMMON=(trainer.max_epochs=$EPOCHS trainer.lr=1e-3 trainer.early_stopping.patience=4)
for ds in sym scp cb; do
  case $ds in
    sym) ARGS=("${SYM[@]}" "labels=[{name: cell_type}]") ;;
    scp) ARGS=("${SCP[@]}" "labels=[{name: Celltype}]") ;;
    cb) ARGS=("${CB[@]}" "labels=[{name: cell_line}]") ;;
  esac
  "$BMFM" finetune architecture=configs/wced.yaml "architecture_overrides=[size=$SIZE]" "${ARGS[@]}" "${COMMON[@]}" \
    --output-dir "$OUT/$ds-scratch"
  "$BMFM" finetune --checkpoint "$OUT/wced" "${ARGS[@]}" "${COMMON[@]}" --output-dir "$OUT/$ds-wced"
  "$BMFM" finetune baseline=pca_knn "${ARGS[@]}" --output-dir "$OUT/$ds-knn"
done
for r in {sym,scp,cb}-{scratch,wced,knn}; do echo "== $r"; grep "| test |" "$OUT/$r/metrics.md"; done

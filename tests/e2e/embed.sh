#!/usr/bin/env bash
# bmfm embed end to end: a tiny WCED checkpoint embeds real cells into the
# input h5ad's obsm (everything else untouched), .npy and .csv that agree;
# embeddings do not depend on the batch size; bad inputs are clear errors.
source "$(dirname "$0")/lib.bash"
DATA=${BMFM_DATA_DIR:-$BMFM_SOURCE_DIR/../shared/data}
[ -f "$DATA/bmfm_cellxgene_pretrain.h5ad" ] || { echo "SKIP: no shared data at $DATA (set BMFM_DATA_DIR)"; exit 77; }
have_python_module anndata || { echo "SKIP: $PYTHON has no anndata"; exit 77; }
CXG=$DATA/bmfm_cellxgene_pretrain.h5ad
expect_exit 0 "$BMFM" pretrain --config "$BMFM_SOURCE_DIR/configs/wced.yaml" size=tiny "data.inputs=[$CXG]" \
  trainer.max_steps=10 trainer.val_every=0 tokenizer.max_length=1024 --output-dir run

# 1. Default outputs: input + obsm, npy, csv.
expect_exit 0 "$BMFM" embed --checkpoint run --input "$CXG" --output-dir e1 pooling=[cls,mean]
expect_in "$WORK/err" "embedded 220 cells x 128 dims"
"$PYTHON" - "$CXG" <<'PY'
import csv, sys
import anndata, numpy as np
a, src = anndata.read_h5ad("e1/embeddings.h5ad"), anndata.read_h5ad(sys.argv[1])
e = a.obsm["X_bmfm"]
assert e.shape == (220, 128) and e.dtype == np.float32 and np.isfinite(e).all(), e.shape
assert a.obs.equals(src.obs) and a.var.equals(src.var) and (a.X != src.X).nnz == 0
assert set(a.obsm.keys()) == set(src.obsm.keys()) | {"X_bmfm"}
assert np.array_equal(np.load("e1/embeddings.npy"), e)
rows = list(csv.reader(open("e1/embeddings.csv")))
assert [r[0] for r in rows] == list(a.obs_names)
assert np.allclose(np.array([[float(x) for x in r[1:]] for r in rows], dtype=np.float32), e, rtol=1e-6, atol=1e-7)
assert np.std(e, axis=0).mean() > 1e-3, "embeddings do not vary across cells"
print("embed outputs: ok")
PY

# 2. Batch size does not change the embedding (padding, batching, threads):
# zheng68k cells have ~300-1,500 genes, so batches pad to different lengths.
Z=$DATA/bmfm_zheng68k.h5ad
expect_exit 0 "$BMFM" embed --checkpoint run/checkpoints/last --input "$Z" --output-dir b7 batch_size=7 precision=fp32
expect_exit 0 "$BMFM" embed --checkpoint run --input "$Z" --output-dir b64 batch_size=64 loader_threads=1 precision=fp32
expect_exit 0 "$BMFM" embed --checkpoint run --input "$Z" --output-dir b7bf batch_size=7
expect_exit 0 "$BMFM" embed --checkpoint run --input "$Z" --output-dir b64bf batch_size=64
"$PYTHON" - <<'PY'
import numpy as np
a, b = np.load("b7/embeddings.npy"), np.load("b64/embeddings.npy")
print("fp32 max |diff| batch 7 vs 64:", np.abs(a - b).max())
assert np.allclose(a, b, rtol=1e-4, atol=1e-5)
a, b = np.load("b7bf/embeddings.npy"), np.load("b64bf/embeddings.npy")
print("bf16 max |diff| batch 7 vs 64:", np.abs(a - b).max())
assert np.allclose(a, b, rtol=2e-2, atol=2e-2)
PY

# 3. Slim copy: obs + obsm only.
expect_exit 0 "$BMFM" embed --checkpoint run --input "$DATA/bmfm_zheng68k.h5ad" --output-dir slim --slim
"$PYTHON" -c "
import anndata
a = anndata.read_h5ad('slim/embeddings.h5ad')
assert a.shape == (165, 0) and a.obsm['X_bmfm'].shape == (165, 64), a
"

# 4. Errors.
expect_exit 1 "$BMFM" embed --checkpoint run --input "$DATA/scanpy_10x_mousebrain10k_1000genes.h5ad" --output-dir x1
expect_in "$WORK/err" "none of its 1000 genes is in the checkpoint's vocabulary"
expect_exit 1 "$BMFM" embed --checkpoint nowhere --input "$CXG" --output-dir x2
expect_in "$WORK/err" "checkpoint nowhere: no such folder"
mkdir -p empty_run/checkpoints
expect_exit 1 "$BMFM" embed --checkpoint empty_run --input "$CXG" --output-dir x2b
expect_in "$WORK/err" "checkpoint empty_run: neither a checkpoint folder (index.json) nor a run folder with checkpoints/last or checkpoints/best"
cp -r run/checkpoints/last broken && truncate -s -10 broken/tensors.bin
expect_exit 1 "$BMFM" embed --checkpoint broken --input "$CXG" --output-dir x3
expect_in "$WORK/err" "truncated"
expect_exit 2 "$BMFM" embed --checkpoint run --input "$CXG" --output-dir x4 pooling=[max]
expect_in "$WORK/err" "pooling[0]"
expect_exit 1 "$BMFM" embed --checkpoint run --input missing.h5ad --output-dir x5
expect_in "$WORK/err" "missing.h5ad: no such file"
echo "embed e2e: ok"

# 5. bmfm benchmark scores a checkpoint next to the PCA baseline.
export BMFM_DATA_DIR=$DATA
expect_exit 0 "$BMFM" benchmark datasets=[symphony_pbmc_3batch_1500] checkpoint=run zero_shot.methods=[pca] \
  zero_shot.umap=false pooling=[mean] --output-dir bench
"$PYTHON" - <<'PY'
import json, math
r = json.load(open("bench/results.json"))
text = json.dumps(r)
assert '"checkpoint"' in text, text[:500]
ds = r["datasets"][0]
ms = {m["method"]: m for m in ds["methods"]}
assert set(ms) == {"pca", "checkpoint"}, ms.keys()
assert ms["checkpoint"]["n_dims"] == 64 and 0 < ms["checkpoint"]["metrics"]["overall"] < 1, ms["checkpoint"]
print("benchmark checkpoint overall", ms["checkpoint"]["metrics"]["overall"])
PY
expect_exit 2 "$BMFM" benchmark datasets=[symphony_pbmc_3batch_1500] "zero_shot.methods=[checkpoint]" --output-dir bench2
expect_in "$WORK/err" "set checkpoint=DIR"
echo "benchmark with a checkpoint: ok"

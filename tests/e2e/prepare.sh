#!/usr/bin/env bash
# bmfm prepare on real files: the corpus folder (manifest, vocab, shards)
# checked with numpy against the source h5ad files, folder inputs, label
# dictionaries, and bad input -> clear error, exit code, no corpus left behind.
source "$(dirname "$0")/lib.bash"
DATA=${BMFM_DATA_DIR:-$BMFM_SOURCE_DIR/../shared/data}
[ -d "$DATA" ] || { echo "SKIP: no shared data at $DATA (set BMFM_DATA_DIR)"; exit 77; }
CXG=$DATA/bmfm_cellxgene_pretrain.h5ad
ZHENG=$DATA/bmfm_zheng68k.h5ad

# 1. Two files, small shards; every stored value checked against h5py.
expect_exit 0 "$BMFM" prepare --inputs "$CXG" "$ZHENG" --output corpus cells_per_shard=100 chunk_rows=64
# Each source records the vocabulary genes it measures (zero-padding candidates):
# with the union vocabulary, all of its var genes (18,357 and 9,621: h5py var shapes).
"$PYTHON" - <<'PY'
import json
m = json.load(open("corpus/manifest.json"))
assert [len(s["measured_genes"]) for s in m["sources"]] == [18357, 9621], [len(s["measured_genes"]) for s in m["sources"]]
assert [s["n_written"] for s in m["sources"]] == [220, 165]
PY
for f in corpus/manifest.json corpus/config.yaml corpus/vocab.json corpus/shard-00000.bin corpus/shard-00003.bin; do
  test -f "$f" || fail "missing $f"
done
ls -d corpus.tmp-* 2>/dev/null && fail "temp folder left behind"
"$PYTHON" - corpus "$CXG" "$ZHENG" <<'PY'
import json, os, sys
import h5py, numpy as np
d = sys.argv[1]
m = json.load(open(os.path.join(d, "manifest.json")))
assert m["format"] == "bmfm-corpus" and m["version"] == 1, m
assert m["n_cells"] == 385, m["n_cells"]
assert [s["n_cells"] for s in m["shards"]] == [100, 100, 100, 85]
vocab = json.load(open(os.path.join(d, "vocab.json")))
assert vocab["hash"] == m["vocab_hash"]
tok = {g: i + len(vocab["specials"]) for i, g in enumerate(vocab["genes"])}
# Decode every shard independently of bmfm.
genes, values = [], []
for s in m["shards"]:
    raw = open(os.path.join(d, s["file"]), "rb").read()
    assert len(raw) == s["bytes"], (s, len(raw))
    assert raw[:8] == b"BMFMSHRD"
    n, nnz, idx = np.frombuffer(raw[16:40], "<u8")
    assert (n, nnz) == (s["n_cells"], s["nnz"]) and idx == 64 + 8 * nnz
    off = np.frombuffer(raw, "<u8", int(n) + 1, int(idx))
    for i in range(int(n)):
        a, b = int(off[i]), int(off[i + 1])
        base = 64 + 8 * a
        genes.append(np.frombuffer(raw, "<i4", b - a, base))
        values.append(np.frombuffer(raw, "<f4", b - a, base + 4 * (b - a)))
k = 0
for path in sys.argv[2:]:
    h = h5py.File(path, "r")
    names = [x.decode() for x in h["var"][h["var"].attrs["_index"]][:]]
    ids = np.array([tok[g] for g in names])
    X = h["X"]; ip = X["indptr"][:]; ind = X["indices"][:]; dat = X["data"][:]
    for r in range(len(ip) - 1):
        sl = slice(ip[r], ip[r + 1]); keep = dat[sl] != 0
        assert np.array_equal(genes[k], ids[ind[sl][keep]]), (path, r)
        assert np.array_equal(values[k], dat[sl][keep].astype(np.float32)), (path, r)
        k += 1
assert k == 385
PY

# 2. A folder input and a label column; the dictionary is stored in the manifest.
mkdir -p in && ln -s "$CXG" in/a.h5ad
expect_exit 0 "$BMFM" prepare --inputs in/ --output labelled 'label_columns=[{name: cell_type}]'
"$PYTHON" - labelled/manifest.json <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
assert m["n_cells"] == 220 and m["n_label_words"] == 1
assert len(m["labels"]["columns"]["cell_type"]["classes"]) == 22
PY

# 3. Errors: missing input, existing output, unknown key, genes that map to nothing.
expect_exit 1 "$BMFM" prepare --inputs "$DATA/no_such.h5ad" --output x
expect_in "$WORK/err" "no_such.h5ad does not exist"
expect_exit 1 "$BMFM" prepare --inputs "$CXG" --output corpus
expect_in "$WORK/err" "already exists"
expect_exit 2 "$BMFM" prepare --inputs "$CXG" --output y cells_per_shrd=5
expect_in "$WORK/err" "cells_per_shard"
expect_exit 2 "$BMFM" prepare --output y
expect_in "$WORK/err" "inputs"
expect_exit 1 "$BMFM" prepare --inputs "$CXG" "$ZHENG" --output y 'label_columns=[{name: cell_type}]'
expect_in "$WORK/err" "bmfm_zheng68k.h5ad has no obs column 'cell_type'"
# Mouse symbols (Xkr4, ...) never match the human ones: fails after the writer started.
expect_exit 0 "$BMFM" prepare --inputs "$DATA/scanpy_10x_mousebrain10k_1000genes.h5ad" --output mouse
expect_exit 1 "$BMFM" prepare --inputs "$CXG" --output z vocab=mouse/vocab.json
expect_in "$WORK/err" "no gene of"
test ! -e z || fail "a failed prepare left a corpus"
ls -d z.tmp-* 2>/dev/null && fail "a failed prepare left its temp folder"

# 4. bmfm bench data runs end to end on a small corpus (numbers are not checked).
expect_exit 0 "$BMFM" bench data --input "$CXG" --repeat 1 --stream-cells 256 --work-dir bench --log-level warn
expect_in "$WORK/out" "stream x1   WCED 2 threads"
expect_in "$WORK/out" "prepare x1"
test ! -e bench/corpus-x1 || fail "bench data left its corpus behind"
# Vocabulary from the HGNC table: protein-coding only (19,225 rows have
# locus_group "protein-coding gene": `grep -c "protein-coding gene" hgnc_genes.tsv`), with [S]/[T].
expect_exit 0 "$BMFM" prepare --inputs "$CXG" --output pc vocab_gene_table="$DATA/genes/hgnc_genes.tsv" vocab_depth_tokens=true
"$PYTHON" - <<'PY'
import json
v = json.load(open("pc/vocab.json"))
assert v["specials"] == ["[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]", "[S]", "[T]"], v["specials"]
assert len(v["genes"]) == 19225, len(v["genes"])
PY
expect_exit 2 "$BMFM" prepare --inputs "$CXG" --output pc2 vocab=pc/vocab.json vocab_depth_tokens=true
expect_in "$WORK/err" "vocab_depth_tokens"
echo OK

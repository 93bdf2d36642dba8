#!/usr/bin/python3
"""Opens an .h5ad written by bmfm's write_h5ad with anndata and asserts its
contents (run by tests/io/h5ad_writer_test.cpp; exit status 0 = pass).

    check_written_h5ad.py FILE small
        FILE holds tests/io/io_test_util.h's small_anndata().
    check_written_h5ad.py FILE real N_OBS N_VARS X_SUM [CATEGORICAL]
        FILE is a real data set read and rewritten by bmfm.
"""
import math
import sys
import warnings

import anndata
import h5py
import numpy as np
import pandas as pd
import scipy.sparse as sp

warnings.filterwarnings("ignore")
path, mode = sys.argv[1], sys.argv[2]
ad = anndata.read_h5ad(path)

with h5py.File(path, "r") as f:
    assert f.attrs["encoding-type"] == "anndata", dict(f.attrs)
    assert f["X"].attrs["encoding-type"] == "csr_matrix"
    assert f["X/data"].dtype == np.float32 and f["X/indices"].dtype == np.int32 and f["X/indptr"].dtype == np.int64

if mode == "real":
    n_obs, n_vars, total = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    assert ad.shape == (n_obs, n_vars), ad.shape
    s = float(ad.X.data.astype(np.float64).sum())
    assert math.isclose(s, total, rel_tol=1e-6), (s, total)
    if len(sys.argv) > 6:
        assert str(ad.obs[sys.argv[6]].dtype) == "category"
    print("ok", ad.shape)
    sys.exit(0)

assert mode == "small", mode
assert ad.shape == (5, 4), ad.shape
assert sp.isspmatrix_csr(ad.X) and ad.X.dtype == np.float32
dense = np.array([[1, 0, 2, 0], [0, 0, 0, 0], [0, 3, 0, 4.5], [5, 0, 0, 0], [0, 0, 6, 7]], dtype=np.float32)
assert (ad.X.toarray() == dense).all(), ad.X.toarray()
assert float(ad.X.sum()) == 28.5 and ad.X[2, 3] == 4.5

obs = ad.obs
assert obs.index.name == "cell_id" and list(obs.index) == ["c0", "c1", "c2", "c3", "c4"], obs.index
assert list(obs.columns) == ["cell_type", "n_counts", "n_genes", "is_doublet", "donor", "age", "treated"], obs.columns
ct = obs["cell_type"]
assert list(ct.cat.categories) == ["B", "T", "NK"] and not ct.cat.ordered
assert list(ct.cat.codes) == [1, 0, -1, 2, 1], list(ct.cat.codes)
assert list(obs["n_counts"]) == [3, 0, 7.5, 5, 13] and obs["n_counts"].dtype == np.float64
assert obs["n_genes"].dtype == np.int32 and list(obs["n_genes"]) == [2, 0, 2, 1, 2]
assert obs["is_doublet"].dtype == bool and list(obs["is_doublet"]) == [False, False, True, False, True]
assert list(obs["donor"]) == ["d1", "d2", "d1", "d\u00e9", ""], list(obs["donor"])
age = obs["age"]
assert str(age.dtype) == "Int64", age.dtype
assert list(age.isna()) == [False, True, False, False, True] and age[0] == 30 and age[3] == 52
tr = obs["treated"]
assert str(tr.dtype) == "boolean", tr.dtype
assert list(tr.isna()) == [False, False, True, False, False] and bool(tr[0]) and not bool(tr[1])

var = ad.var
assert var.index.name is None and list(var.index) == ["GAPDH", "ACTB", "CD3E", "MS4A1"], var.index
assert list(var["gene_ids"]) == ["ENSG00000111640", "ENSG00000075624", "ENSG00000198851", "ENSG00000156738"]
lv = var["level"]
assert lv.cat.ordered and list(lv.cat.categories) == ["low", "mid", "high"] and list(lv.cat.codes) == [2, 2, 0, 1]
assert var["mean"].dtype == np.float32 and np.isnan(var["mean"][2]) and var["mean"][1] == 0.25

emb = ad.obsm["X_emb"]
assert emb.shape == (5, 2) and emb.dtype == np.float32, (emb.shape, emb.dtype)
assert (emb == np.array([[0.1, -1], [2, 3.5], [4, 5], [-6, 7], [8, 9.25]], dtype=np.float32)).all(), emb

counts = ad.layers["counts"]
assert sp.isspmatrix_csr(counts) and float(counts.sum()) == 57.0 and counts[2, 3] == 9.0

assert ad.raw is not None and ad.raw.X.shape == (5, 6), ad.raw
assert list(ad.raw.var.index) == ["GAPDH", "ACTB", "CD3E", "MS4A1", "MT-CO1", "XIST"]
assert ad.raw.X[0, 5] == 1 and float(ad.raw.X.sum()) == 21
print("ok")

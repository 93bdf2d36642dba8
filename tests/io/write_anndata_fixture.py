#!/usr/bin/python3
"""Writes an .h5ad with anndata itself, for tests/io/h5ad_writer_test.cpp to
read: CSC X of int64, nullable integer / boolean columns, a categorical with
missing values, numeric categories, an integer index, a CSC layer.

    write_anndata_fixture.py OUT.h5ad
"""
import sys

import anndata
import numpy as np
import pandas as pd
import scipy.sparse as sp

X = sp.csc_matrix(np.array([[0, 1, 0], [2, 0, 3], [0, 0, 0], [4, 5, 6]], dtype=np.int64))
obs = pd.DataFrame(
    {
        "label": pd.Categorical(["a", None, "b", "a"]),
        "cluster": pd.Categorical([3, 1, 3, 2]),
        "n": pd.array([1, None, 3, 4], dtype="Int32"),
        "ok": pd.array([True, False, None, True], dtype="boolean"),
        "score": np.array([0.5, 1.5, np.nan, -2.0]),
        "flag": np.array([True, False, False, True]),
    },
    index=pd.Index([f"cell{i}" for i in range(4)], name="barcode"),
)
var = pd.DataFrame({"symbol": ["A", "B", "C"]}, index=["g0", "g1", "g2"])
ad = anndata.AnnData(X=X, obs=obs, var=var, dtype=np.int64)
ad.layers["csc"] = sp.csc_matrix(np.arange(12, dtype=np.float32).reshape(4, 3))
ad.obsm["X_pca"] = np.arange(8, dtype=np.float64).reshape(4, 2)
ad.write_h5ad(sys.argv[1])

#!/usr/bin/python3
"""Expected values for the real-data checks in tests/data/transforms_test.cpp
and tests/data/binning_test.cpp, computed with numpy only (no bmfm code).

Run with Debian's python (h5py + numpy 1.24), not a pyenv python:

    /usr/bin/python3 tests/data/transforms_expected.py [DATA_DIR]   (default ../shared/data)

For each of the first 20 cells of bmfm_zheng68k.h5ad (X = raw counts, CSR, in
stored column order, every gene kept):
  normalisation  v = log1p(x / sum(x) * 1e4) in float64, then stored as float32
                 (what bmfm stores); printed: sum(v), sum((i+1) * v_i) over the
                 stored order, v at the first / middle / last stored position.
  binning        on w = float64(float32(v)) (the values bmfm bins), with
                 nz = w[w > 0]:
    int_cast   n_bins=10: clip(floor(w), 0, 9)
    percentile n_bins=11: edges = np.percentile(nz, np.linspace(0, 100, 11)),
               clip(np.digitize(w, edges), 1, 10), 0 where w == 0
    scgpt      n_bins=51: edges = np.quantile(nz, np.linspace(0, 1, 50)),
               np.digitize(w, edges) (side="one", no random ties), 0 where w == 0;
               also the right-side digits np.digitize(w, edges, right=True),
               to bound the random-tie variant
    log        n_bins=20, lo=0.1, hi=10: clip(1 + floor(19 * (ln w - ln lo) /
               (ln hi - ln lo)), 1, 19), 0 where w == 0
  printed per method: the number of genes per bin id and sum((i+1) * bin_i).
Output is C++ initializer text to paste into the tests.
"""
import os
import sys

import h5py
import numpy as np

DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data")
N_CELLS = 20


def weighted(a):
    return int(np.sum((np.arange(len(a)) + 1) * a.astype(np.int64)))


def main():
    with h5py.File(os.path.join(DATA, "bmfm_zheng68k.h5ad"), "r") as f:
        indptr = f["X"]["indptr"][: N_CELLS + 1]
        data = f["X"]["data"][: indptr[-1]]
    norm, bins = [], {"int_cast": [], "percentile": [], "scgpt": [], "scgpt_right": [], "log": []}
    for c in range(N_CELLS):
        x = data[indptr[c]:indptr[c + 1]].astype(np.float64)
        v = np.log1p(x / x.sum() * 1e4).astype(np.float32)
        w = v.astype(np.float64)
        mid = len(w) // 2
        norm.append((len(w), float(np.sum(w)), float(np.sum((np.arange(len(w)) + 1) * w)),
                     float(w[0]), float(w[mid]), float(w[-1])))
        nz = w[w > 0]
        b_int = np.clip(np.floor(w), 0, 9).astype(np.int64)
        e_pct = np.percentile(nz, np.linspace(0, 100, 11))
        b_pct = np.where(w > 0, np.clip(np.digitize(w, e_pct), 1, 10), 0)
        e_sg = np.quantile(nz, np.linspace(0, 1, 50))
        b_sg = np.where(w > 0, np.digitize(w, e_sg), 0)
        b_sgr = np.where(w > 0, np.digitize(w, e_sg, right=True), 0)
        lo, hi = 0.1, 10.0
        with np.errstate(divide="ignore"):
            raw_log = 1 + np.floor(19 * (np.log(w) - np.log(lo)) / (np.log(hi) - np.log(lo)))
        b_log = np.where(w > 0, np.clip(raw_log, 1, 19), 0).astype(np.int64)
        for name, b, nb in [("int_cast", b_int, 10), ("percentile", b_pct, 11), ("scgpt", b_sg, 51),
                            ("scgpt_right", b_sgr, 51), ("log", b_log, 20)]:
            bins[name].append((np.bincount(b, minlength=nb).tolist(), weighted(b)))

    print("// {n, sum(v), sum((i+1)*v_i), v[0], v[n/2], v[n-1]} per cell")
    print("const NormExpected kZhengNorm[] = {")
    for n, s, ws, a, m, z in norm:
        print(f"    {{{n}, {s!r}, {ws!r}, {a!r}, {m!r}, {z!r}}},")
    print("};")
    for name, rows in bins.items():
        print(f"// {name}: {{histogram of bin ids, sum((i+1)*bin_i)}} per cell")
        print(f"const BinExpected k{''.join(p.capitalize() for p in name.split('_'))}[] = {{")
        for hist, wsum in rows:
            print(f"    {{{{{', '.join(map(str, hist))}}}, {wsum}}},")
        print("};")


if __name__ == "__main__":
    main()

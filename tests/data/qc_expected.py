#!/usr/bin/python3
"""Expected values for tests/data/qc_test.cpp and sampler_test.cpp.

Run with Debian's interpreter (h5py + numpy + pandas; no scanpy there):

    /usr/bin/python3 tests/data/qc_expected.py [DATA_DIR]   # default ../shared/data

It re-implements, independently of the C++ code, the documented semantics of
scanpy's sc.pp.calculate_qc_metrics, filter_cells, filter_genes and
highly_variable_genes(flavor="seurat") (scanpy 1.9: normalize_total in
float32, log1p, then expm1 inside highly_variable_genes, mean / variance in
float64 with the n/(n-1) correction, pandas.cut into n_bins, per-bin mean and
std(ddof=1), lone-gene bins -> 1) and numpy's default percentile, and prints
the numbers the C++ tests assert, as C++ snippets to paste.
"""
import csv
import sys

import h5py
import numpy as np
import pandas as pd

DATA = sys.argv[1] if len(sys.argv) > 1 else "../shared/data"


def read_csr(path, key="X"):
    with h5py.File(path, "r") as f:
        g = f[key]
        data = g["data"][:].astype(np.float32)
        indices = g["indices"][:].astype(np.int64)
        indptr = g["indptr"][:].astype(np.int64)
        shape = tuple(int(s) for s in g.attrs["shape"])
    return data, indices, indptr, shape


def read_strings(path, group, column=None):
    """var/obs index (column None) or a string / categorical column."""
    with h5py.File(path, "r") as f:
        g = f[group]
        name = column if column is not None else g.attrs["_index"]
        obj = g[name]
        if isinstance(obj, h5py.Group):  # categorical
            cats = np.array([c.decode() if isinstance(c, bytes) else c for c in obj["categories"][:]], dtype=object)
            codes = obj["codes"][:]
            return np.array([cats[c] if c >= 0 else None for c in codes], dtype=object)
        return np.array([v.decode() if isinstance(v, bytes) else v for v in obj[:]], dtype=object)


class Counts:
    def __init__(self, path, key="X"):
        self.data, self.indices, self.indptr, self.shape = read_csr(path, key)
        self.rows = np.repeat(np.arange(self.shape[0]), np.diff(self.indptr))

    def row_sums(self, values, gene_mask=None):
        v = values if gene_mask is None else np.where(gene_mask[self.indices], values, 0)
        return np.bincount(self.rows, weights=v.astype(np.float64), minlength=self.shape[0])


def qc_metrics(m, names, mt=("MT-", "mt-"), ribo=("RPS", "RPL", "Rps", "Rpl")):
    is_mt = np.array([n.startswith(mt) for n in names])
    is_ribo = np.array([n.startswith(ribo) for n in names])
    total = m.row_sums(m.data)
    n_genes = np.bincount(m.rows, weights=(m.data > 0).astype(np.float64), minlength=m.shape[0]).astype(np.int64)
    tmt = m.row_sums(m.data, is_mt)
    tribo = m.row_sums(m.data, is_ribo)
    with np.errstate(invalid="ignore", divide="ignore"):
        pct_mt = np.where(total > 0, 100 * tmt / total, 0.0)
        pct_ribo = np.where(total > 0, 100 * tribo / total, 0.0)
    n_cells = np.bincount(m.indices[m.data > 0], minlength=m.shape[1])
    return dict(total=total, n_genes=n_genes, tmt=tmt, tribo=tribo, pct_mt=pct_mt, pct_ribo=pct_ribo,
                n_cells=n_cells, n_mt=int(is_mt.sum()), n_ribo=int(is_ribo.sum()))


def iqr_outside(values, k):
    q1, q3 = np.percentile(values, [25, 75])  # numpy default: linear interpolation
    lo, hi = q1 - k * (q3 - q1), q3 + k * (q3 - q1)
    return q1, q3, lo, hi, (values < lo) | (values > hi)


def seurat_dispersion(m, keep_cells, keep_genes, n_bins=20, target_sum=1e4):
    """scanpy: normalize_total (float32) -> log1p -> highly_variable_genes(flavor='seurat')."""
    sel = keep_cells[m.rows] & keep_genes[m.indices]
    rows, cols, vals = m.rows[sel], m.indices[sel], m.data[sel]
    cell_ids = np.flatnonzero(keep_cells)
    new_row = np.full(m.shape[0], -1)
    new_row[cell_ids] = np.arange(len(cell_ids))
    gene_ids = np.flatnonzero(keep_genes)
    new_col = np.full(m.shape[1], -1)
    new_col[gene_ids] = np.arange(len(gene_ids))
    r, c = new_row[rows], new_col[cols]
    n = len(cell_ids)
    counts = np.bincount(r, weights=vals.astype(np.float64), minlength=n).astype(np.float32)
    counts[counts == 0] = 1  # scanpy: an empty cell is divided by 1
    factor = counts / np.float32(target_sum)
    x = (vals / factor[r]).astype(np.float32)
    x = np.expm1(np.log1p(x))  # float32, as scanpy's X after log1p, undone by expm1 inside hvg
    s = np.bincount(c, weights=x.astype(np.float64), minlength=len(gene_ids))
    mean = s / n
    # sparse_mean_variance_axis: mean of squared deviations incl. the zeros, then n / (n - 1)
    dev = np.bincount(c, weights=(x.astype(np.float64) - mean[c]) ** 2, minlength=len(gene_ids))
    nnz = np.bincount(c, minlength=len(gene_ids))
    var = (dev + (n - nnz) * mean ** 2) / n * (n / (n - 1))
    mean[mean == 0] = 1e-12
    disp = var / mean
    disp[disp == 0] = np.nan
    disp = np.log(disp)
    mean = np.log1p(mean)
    df = pd.DataFrame({"means": mean, "dispersions": disp})
    df["mean_bin"] = pd.cut(df["means"], bins=n_bins)
    grouped = df.groupby("mean_bin")["dispersions"]
    bin_mean, bin_std = grouped.mean(), grouped.std(ddof=1)
    one = bin_std.isnull()
    bin_std[one.values] = bin_mean[one.values].values
    bin_mean[one.values] = 0
    norm = (df["dispersions"].values - bin_mean[df["mean_bin"].values].values) / bin_std[df["mean_bin"].values].values
    out = np.full(m.shape[1], np.nan)
    out[gene_ids] = norm
    return out


def load_gene_table(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    by_symbol, by_ens = {}, {}
    for r in rows:
        by_symbol.setdefault(r["symbol"], r)
        if r["ensembl_gene_id"]:
            by_ens.setdefault(r["ensembl_gene_id"], []).append(r)
    return rows, by_symbol, by_ens


def protein_coding(ids, table, match):
    _, by_symbol, by_ens = table
    out = []
    for g in ids:
        if match in ("auto", "symbol") and g in by_symbol:
            out.append(by_symbol[g]["locus_group"] == "protein-coding gene")
            continue
        if match == "symbol":
            out.append(False)
            continue
        key = g.split(".")[0] if g.startswith("ENS") else g
        out.append(any(r["locus_group"] == "protein-coding gene" for r in by_ens.get(key, [])))
    return np.array(out)


def run_rules(name, m, names, ids, table, cfg):
    met = qc_metrics(m, names)
    keep = np.ones(m.shape[0], bool)
    print(f"// --- {name}: rules {cfg}")
    tests = [("min_counts", lambda: met["total"] >= cfg.get("min_counts", -np.inf)),
             ("max_counts", lambda: met["total"] <= cfg.get("max_counts", np.inf)),
             ("min_genes", lambda: met["n_genes"] >= cfg.get("min_genes", -np.inf)),
             ("max_genes", lambda: met["n_genes"] <= cfg.get("max_genes", np.inf)),
             ("max_mt_fraction", lambda: np.where(met["total"] > 0, met["tmt"] / np.where(met["total"] > 0, met["total"], 1), 0) <= cfg.get("max_mt_fraction", np.inf))]
    for rule, passes in tests:
        if rule in cfg:
            p = passes()
            removed = int((keep & ~p).sum())
            keep &= p
            print(f"//   {rule}: removed {removed}, remaining {int(keep.sum())}")
    if "iqr" in cfg:
        k, metrics = cfg["iqr"]
        values = {"log1p_total_counts": np.log1p(met["total"]), "log1p_n_genes_by_counts": np.log1p(met["n_genes"]),
                  "pct_counts_mt": met["pct_mt"], "pct_counts_ribo": met["pct_ribo"]}
        outside = np.zeros(m.shape[0], bool)
        for metric in metrics:
            v = values[metric][keep]
            q1, q3, lo, hi, out = iqr_outside(v, k)
            print(f"//   iqr {metric}: q1 {q1!r} q3 {q3!r} lower {lo!r} upper {hi!r} outside {int(out.sum())}")
            o = np.zeros(m.shape[0], bool)
            o[np.flatnonzero(keep)[out]] = True
            outside |= o
        removed = int((keep & outside).sum())
        keep &= ~outside
        print(f"//   iqr: removed {removed}, remaining {int(keep.sum())}")
    genes = np.ones(m.shape[1], bool)
    n_cells_kept = np.bincount(m.indices[(m.data > 0) & keep[m.rows]], minlength=m.shape[1])
    if "min_cells" in cfg:
        p = n_cells_kept >= cfg["min_cells"]
        print(f"//   min_cells: removed {int((genes & ~p).sum())}, remaining {int((genes & p).sum())}")
        genes &= p
    if "protein_coding" in cfg:
        p = protein_coding(ids, table, cfg["protein_coding"])
        print(f"//   protein_coding: removed {int((genes & ~p).sum())}, remaining {int((genes & p).sum())}"
              f" (all genes: {int(p.sum())} protein-coding)")
        genes &= p
    if "min_disp" in cfg:
        norm = seurat_dispersion(m, keep, genes, cfg.get("n_bins", 20))
        p = norm > cfg["min_disp"]
        print(f"//   dispersion: removed {int((genes & ~p).sum())}, remaining {int((genes & p).sum())}")
        sample = [g for g in np.flatnonzero(genes)[:: max(1, int(genes.sum()) // 4)]][:4]
        for g in sample:
            print(f"//     dispersions_norm[{g}] ({names[g]}) = {norm[g]!r}")
        genes &= p
    print(f"//   final: {int(keep.sum())} cells x {int(genes.sum())} genes")
    return met


def show_metrics(name, met, cells, genes, names):
    print(f"// --- {name}: metrics ({met['n_mt']} MT genes, {met['n_ribo']} ribo genes)")
    for i in cells:
        print(f"//   cell {i}: total {met['total'][i]!r} n_genes {met['n_genes'][i]} mt {met['tmt'][i]!r} "
              f"ribo {met['tribo'][i]!r} pct_mt {met['pct_mt'][i]!r} pct_ribo {met['pct_ribo'][i]!r}")
    for g in genes:
        print(f"//   gene {g} ({names[g]}): n_cells {met['n_cells'][g]}")


def water_fill(sizes, target):
    cap = 0
    while sum(min(s, cap + 1) for s in sizes) <= target and cap < max(sizes):
        cap += 1
    return cap, target - sum(min(s, cap) for s in sizes)


def main():
    table = load_gene_table(f"{DATA}/genes/hgnc_genes.tsv")
    rows, by_symbol, by_ens = table
    print(f"// gene table: {len(rows)} rows, {sum(r['locus_group'] == 'protein-coding gene' for r in rows)} protein-coding")

    # scp1884: counts in X, symbols in the var index.
    path = f"{DATA}/bmfm_scp1884.h5ad"
    m = Counts(path)
    names = read_strings(path, "var")
    met = qc_metrics(m, names)
    show_metrics("scp1884", met, [0, 1, 517, 1019], [0, int(np.flatnonzero(names == "MT-CO1")[0]), 10000], names)
    run_rules("scp1884 A", m, names, names, table,
              {"min_counts": 500, "max_counts": 30000, "min_genes": 300, "max_genes": 4000, "max_mt_fraction": 0.15,
               "iqr": (1.5, ["log1p_total_counts", "log1p_n_genes_by_counts", "pct_counts_mt"]), "min_cells": 5,
               "protein_coding": "auto", "min_disp": 0.5})
    run_rules("scp1884 B", m, names, names, table, {"min_genes": 200, "max_mt_fraction": 0.15, "min_cells": 3,
                                                    "min_disp": 0.5})

    # cellbench: Ensembl ids in the index, symbols in var/gene_symbol.
    path = f"{DATA}/cellbench_lung_celllines_5batch.h5ad"
    m = Counts(path)
    ens = read_strings(path, "var")
    sym = read_strings(path, "var", "gene_symbol")
    met = qc_metrics(m, sym)
    show_metrics("cellbench", met, [0, 700, 1407], [0, int(np.flatnonzero(sym == "MT-CO1")[0])], sym)
    run_rules("cellbench A", m, sym, ens, table,
              {"min_genes": 1000, "max_mt_fraction": 0.1,
               "iqr": (3.0, ["log1p_total_counts", "pct_counts_ribo"]), "min_cells": 10,
               "protein_coding": "ensembl", "min_disp": 0.0, "n_bins": 10})
    pc_sym = protein_coding(sym, table, "symbol")
    print(f"//   cellbench protein-coding by gene_symbol (match symbol): {int(pc_sym.sum())} of {len(sym)}")
    pc_auto_index = protein_coding(ens, table, "auto")
    print(f"//   cellbench protein-coding by index (match auto): {int(pc_auto_index.sum())} of {len(ens)}")

    # symphony: lognorm X, counts in layers/counts.
    path = f"{DATA}/symphony_pbmc_3batch_1500.h5ad"
    m = Counts(path, "layers/counts")
    names = read_strings(path, "var")
    met = qc_metrics(m, names)
    show_metrics("symphony layers/counts", met, [0, 750, 1499], [0], names)
    run_rules("symphony A", m, names, names, table,
              {"min_counts": 1000, "max_mt_fraction": 0.05,
               "iqr": (1.5, ["log1p_n_genes_by_counts"]), "min_cells": 20})

    # mouse brain: an all-zero cell and lowercase mouse genes.
    path = f"{DATA}/scanpy_10x_mousebrain10k_1000genes.h5ad"
    m = Counts(path)
    names = read_strings(path, "var")
    met = qc_metrics(m, names)
    empty = np.flatnonzero(met["total"] == 0)
    print(f"// mousebrain: empty cells {empty.tolist()}, {met['n_mt']} MT genes, {met['n_ribo']} ribo genes")

    # Sampling strata: cellxgene pretrain, cell_type x tissue.
    path = f"{DATA}/bmfm_cellxgene_pretrain.h5ad"
    ct = read_strings(path, "obs", "cell_type")
    ti = read_strings(path, "obs", "tissue")
    keys = pd.Series([f"{a} | {b}" for a, b in zip(ct, ti)])
    sizes = keys.value_counts().sort_index()
    print(f"// cellxgene strata cell_type x tissue: {len(sizes)} strata, sizes (sorted by name):")
    print("//   " + ", ".join(str(int(s)) for s in sizes.values))
    for frac in (0.1, 0.25, 0.5):
        target = int(np.floor(frac * len(keys) + 0.5))
        cap, extra = water_fill(list(sizes.values), target)
        print(f"//   fraction {frac}: target {target}, cap {cap}, strata at cap+1: {extra}, "
              f"strata kept whole: {int((sizes <= cap).sum())}")
    for frac in (0.75, 0.9):
        target = int(np.floor(frac * len(keys) + 0.5))
        cap, extra = water_fill(list(sizes.values), target)
        print(f"//   fraction {frac}: target {target}, cap {cap}, strata at cap+1: {extra}, "
              f"strata kept whole: {int((sizes <= cap).sum())}")
    path = f"{DATA}/cellbench_lung_celllines_5batch.h5ad"
    keys = pd.Series([f"{a} | {b}" for a, b in zip(read_strings(path, "obs", "cell_line"), read_strings(path, "obs", "batch"))])
    sizes = keys.value_counts().sort_index()
    print(f"// cellbench strata cell_line x batch: {len(sizes)} strata: "
          + ", ".join(f"{k}={int(v)}" for k, v in sizes.items()))
    for frac in (0.1, 0.5, 0.8):
        target = int(np.floor(frac * len(keys) + 0.5))
        cap, extra = water_fill(list(sizes.values), target)
        alloc = {k: min(int(v), cap) for k, v in sizes.items()}
        print(f"//   fraction {frac}: target {target}, cap {cap}, strata at cap+1: {extra}, allocation before the "
              f"partial round: " + ", ".join(f"{v}" for v in alloc.values()))
    path = f"{DATA}/bmfm_scp1884.h5ad"
    cls = pd.Series(read_strings(path, "obs", "Celltype")).value_counts()
    for n in (5, 20):
        print(f"// scp1884 Celltype ({len(cls)} classes) balanced n={n} without replacement: "
              f"{int(np.minimum(cls.values, n).sum())} cells; classes smaller than n: {int((cls < n).sum())}")
    ct_sizes = pd.Series(ct).value_counts()
    print(f"// cellxgene cell_type classes: {len(ct_sizes)}; sizes sorted: {sorted(int(s) for s in ct_sizes.values)}")
    for n in (5, 10):
        print(f"//   balanced n={n} without replacement: {int(np.minimum(ct_sizes.values, n).sum())} cells")


if __name__ == "__main__":
    main()

# Expected values for tests/eval/pca_test.cpp: sklearn PCA (svd_solver="full", float64)
# on the first 300 cells x 200 genes of symphony_pbmc_3batch_1500 X, signs flipped so the
# largest |score| per component is positive. Run with Debian's /usr/bin/python3.
import h5py, numpy as np
from sklearn.decomposition import PCA
f = h5py.File('/work/shared/data/symphony_pbmc_3batch_1500.h5ad','r')
g = f['X']; import scipy.sparse as sp
X = sp.csr_matrix((g['data'][:], g['indices'][:], g['indptr'][:]), shape=g.attrs['shape']).toarray().astype(np.float32)
X = X[:300, :200]
p = PCA(n_components=5, svd_solver='full').fit(X.astype(np.float64))
S = p.transform(X.astype(np.float64))
for c in range(5):
    i = np.argmax(np.abs(S[:, c]))
    if S[i, c] < 0: S[:, c] *= -1
np.set_printoptions(precision=12)
print("ev", repr(p.explained_variance_))
print("evr", repr(p.explained_variance_ratio_))
print("S0", repr(S[0])); print("S17", repr(S[17]))

#!/usr/bin/env bash
# --help, --version, exit codes for usage errors, bmfm info.
source "$(dirname "$0")/lib.bash"

expect_exit 0 "$BMFM" --help
expect_in "$WORK/out" "simulate"
expect_in "$WORK/out" "inspect"
expect_in "$WORK/out" "info"

expect_exit 0 "$BMFM" --version
expect_in "$WORK/out" "libtorch 2."
expect_in "$WORK/out" "BLAS"
expect_in "$WORK/out" "CUDA"

expect_exit 0 "$BMFM" simulate --help
expect_in "$WORK/out" "--config"
expect_in "$WORK/out" "n_cells"

expect_exit 2 "$BMFM"                       # no subcommand
expect_exit 2 "$BMFM" frobnicate            # unknown subcommand
expect_exit 2 "$BMFM" simulate --no-such-flag
expect_exit 2 "$BMFM" simulate --log-level loud

expect_exit 0 "$BMFM" info --json --threads 2
"$PYTHON" - "$WORK/out" <<'PY'
import json, sys
info = json.load(open(sys.argv[1]))
assert info["threads"] == 2, info
assert info["torch_version"].startswith("2."), info
# The CUDA build of LibTorch, on a machine with or without a GPU.
assert info["cuda_built"] and info["cudart_version"] >= 13000, info
assert info["cuda"] == (info["cuda_devices"] > 0), info
# One OpenMP runtime in the process, and it is the one printed.
assert "libgomp" in info["openmp_library"] or "libiomp" in info["openmp_library"], info["openmp_library"]
# GEMMs go to the MKL inside libtorch_cpu.so (linked ahead of OpenBLAS on
# purpose); LAPACK to the OpenBLAS install-deps.sh selects (never the reference one).
assert not info["blas_is_reference"], info["blas_library"]
assert info["mkl"] and "libtorch_cpu" in info["blas_library"], info["blas_library"]
assert "openblas" in info["lapack_library"].lower(), info["lapack_library"]
assert info["blas_config"].startswith("OpenBLAS"), info["blas_config"]
assert info["gemm_gflops"] > 10, info
PY
echo OK

#!/usr/bin/env bash
# Bad input files: clear error naming the file, exit code 1, never a crash.
source "$(dirname "$0")/lib.bash"

expect_exit 1 "$BMFM" inspect does_not_exist.h5ad
expect_in "$WORK/err" "does_not_exist.h5ad"

echo "not hdf5 at all" > text.h5ad
expect_exit 1 "$BMFM" inspect text.h5ad
expect_in "$WORK/err" "text.h5ad"

expect_exit 0 "$BMFM" simulate simulate=small --output-dir sim
head -c 20000 sim/simulated.h5ad > truncated.h5ad
expect_exit 1 "$BMFM" inspect truncated.h5ad
expect_in "$WORK/err" "truncated.h5ad"

expect_exit 2 "$BMFM" inspect
expect_in "$WORK/err" "no input file"
echo OK

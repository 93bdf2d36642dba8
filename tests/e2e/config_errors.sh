#!/usr/bin/env bash
# Config mistakes exit with code 2 and name the key, the source and a suggestion.
source "$(dirname "$0")/lib.bash"

expect_exit 2 "$BMFM" simulate simulate.n_cels=10 --output-dir x
expect_in "$WORK/err" "n_cels"
expect_in "$WORK/err" "n_cells"          # did you mean

cat > bad.yaml <<'YAML'
seed: 0
output_dir: out
simulate:
  n_cells: lots
YAML
expect_exit 2 "$BMFM" simulate --config bad.yaml
expect_in "$WORK/err" "simulate.n_cells"
expect_in "$WORK/err" "bad.yaml:4"
expect_in "$WORK/err" "lots"

cat > typo.yaml <<'YAML'
seed: 0
simulate:
  n_genes: 100
  dropuot: none
YAML
expect_exit 2 "$BMFM" simulate --config typo.yaml
expect_in "$WORK/err" "dropuot"
expect_in "$WORK/err" "typo.yaml:4"
expect_in "$WORK/err" "dropout"

expect_exit 2 "$BMFM" simulate simulate=no_such_preset
expect_in "$WORK/err" "no_such_preset"
expect_in "$WORK/err" "small"            # lists the available options

expect_exit 2 "$BMFM" simulate simulate.dropout=sometimes --output-dir x
expect_in "$WORK/err" "sometimes"
expect_in "$WORK/err" "logistic"

expect_exit 2 "$BMFM" simulate --config missing.yaml
expect_in "$WORK/err" "missing.yaml"

cat > cycle.yaml <<'YAML'
seed: 0
output_dir: ${output}
output: ${output_dir}/x.h5ad
YAML
expect_exit 2 "$BMFM" simulate --config cycle.yaml
expect_in "$WORK/err" "output_dir"

test ! -e x || fail "a failed config must not create the output folder"
echo OK

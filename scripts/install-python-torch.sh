#!/usr/bin/env bash
# Python PyTorch of the same version as bmfm's LibTorch, for the side-by-side
# benchmarks (bench/compare_train.sh, bench/compare_embed.sh) and the fixture
# generators in tests/tools. Not needed to build or test bmfm.
# Installs the same pinned wheels as scripts/install-deps.sh, plus torch's
# pure-Python dependencies, into $BMFM_CACHE/python-torch (a --target folder:
# run with PYTHONPATH set to it; scripts/python-torch prints the line).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${BMFM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bmfm}
version=$(sed -n 's/^torch==\([^ ]*\) .*/\1/p' "$here/libtorch-wheels.txt")
target="$cache/python-torch-$version"
if [ ! -e "$target/.complete" ]; then
  rm -rf "$target"
  # Debian's python3 (3.11) is the interpreter the benchmarks run; the wheel is cp311.
  /usr/bin/python3 -m pip install --quiet --no-deps --require-hashes -r "$here/libtorch-wheels.txt" --target "$target"
  /usr/bin/python3 -m pip install --quiet --no-deps --target "$target" \
    sympy==1.14.0 mpmath==1.3.0 networkx==3.4.2 jinja2==3.1.6 markupsafe==3.0.2 filelock==3.18.0 \
    fsspec==2025.5.1 typing-extensions==4.14.0
  touch "$target/.complete"
fi
ln -sfn "python-torch-$version" "$cache/python-torch"
PYTHONPATH="$target" /usr/bin/python3 -c 'import torch; print("python-torch:", torch.__version__, "at", torch.__file__)'

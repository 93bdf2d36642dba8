#!/usr/bin/env bash
# scanpy and scib, the upstream packages whose definitions bmfm's benchmark
# follows, for tests/tools/make_scib_reference.py (writes tests/eval/scib_reference.h).
# Not needed to build or test bmfm. Installs the pinned set of
# scripts/python-ref-requirements.txt into $BMFM_CACHE/python-ref (a --target
# folder, used through PYTHONPATH); `--path` prints that folder and installs nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${BMFM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bmfm}
target="$cache/python-ref"
if [ "${1:-}" = --path ]; then echo "$target"; exit 0; fi
stamp=$(sha256sum "$here/python-ref-requirements.txt" | cut -c1-16)
if [ "$(cat "$target/.complete" 2>/dev/null)" != "$stamp" ]; then
  rm -rf "$target"
  # --no-deps: the requirements file is the complete, pinned closure.
  /usr/bin/python3 -m pip install --quiet --no-deps --target "$target" -r "$here/python-ref-requirements.txt"
  echo "$stamp" > "$target/.complete"
fi
PYTHONPATH="$target" /usr/bin/python3 -c 'import scanpy, scib, importlib.metadata as m; print("python-ref: scanpy", m.version("scanpy"), "scib", m.version("scib"), "at", scanpy.__file__.rsplit("/", 2)[0])'

# Shared helpers for end-to-end CLI tests (sourced; .bash so ctest does not run it).
set -euo pipefail
: "${BMFM:?BMFM must point at the bmfm binary}"
PYTHON=${PYTHON:-/usr/bin/python3}
WORK=$(mktemp -d /tmp/bmfm_e2e.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_exit CODE CMD...: runs CMD, captures stdout/stderr into $WORK/out, $WORK/err.
expect_exit() {
  local want=$1; shift
  set +e
  "$@" >"$WORK/out" 2>"$WORK/err"
  local got=$?
  set -e
  if [ "$got" -ne "$want" ]; then
    echo "--- stdout"; cat "$WORK/out"; echo "--- stderr"; cat "$WORK/err"
    fail "exit code $got, expected $want: $*"
  fi
}

# expect_in FILE TEXT: FILE contains TEXT literally.
expect_in() {
  grep -qF -- "$2" "$1" || { echo "--- $1"; cat "$1"; fail "'$2' not found in $1"; }
}

have_python_module() { "$PYTHON" -c "import $1" >/dev/null 2>&1; }

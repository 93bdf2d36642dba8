#!/usr/bin/env bash
# report.html renders in headless Chromium (Debian's chromium): the page loads
# from file:// with no network, the SVG scatter plots are in the DOM, and a
# screenshot is kept under build/test-artifacts/ for people to look at.
source "$(dirname "$0")/lib.bash"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || { echo "SKIP: chromium not installed (scripts/install-deps.sh installs it)"; exit 77; }

expect_exit 0 "$BMFM" simulate simulate=small simulate.n_cells=400 --output-dir sim
cat > sim.yaml <<'YAML'
name: simulated
path: sim/simulated.h5ad
label_key: cell_type
batch_key: batch
YAML
expect_exit 0 "$BMFM" benchmark datasets=[sim.yaml] zero_shot.methods=[pca] zero_shot.baseline.n_top_genes=300 \
  zero_shot.umap_epochs=150 --output-dir rep

flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --user-data-dir="$WORK/chrome-profile")
"$CHROMIUM" "${flags[@]}" --dump-dom "file://$WORK/rep/report.html" > dom.html 2>chrome.err || { cat chrome.err; fail "chromium --dump-dom failed"; }
expect_in dom.html "<h1>bmfm benchmark</h1>"
n_circles=$(grep -o "<circle" dom.html | wc -l)
# 400 cells x 2 plots + legend markers.
[ "$n_circles" -ge 800 ] || fail "expected >= 800 SVG points in the rendered DOM, got $n_circles"

"$CHROMIUM" "${flags[@]}" --window-size=1100,1400 --screenshot="$WORK/report.png" "file://$WORK/rep/report.html" 2>>chrome.err \
  || { cat chrome.err; fail "chromium --screenshot failed"; }
"$PYTHON" - "$WORK/report.png" <<'PY'
import sys, struct
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", data[16:24])
assert (w, h) == (1100, 1400), (w, h)
assert len(data) > 20000, f"screenshot suspiciously small ({len(data)} bytes): blank page?"
PY
artifacts=${BMFM_TEST_ARTIFACTS:-$BMFM_SOURCE_DIR/build/test-artifacts}
mkdir -p "$artifacts" && cp "$WORK/report.png" "$artifacts/report.png" && cp rep/report.html "$artifacts/report.html"
echo "screenshot: $artifacts/report.png"
echo OK

#!/usr/bin/env bash
# How often `stressor compare` calls two runs of the same service different: its false-positive rate
# on real runs, where run-to-run noise (scheduling, the machine) adds to the sampling noise the
# method's intervals account for (src/verdict/baseline.rs).
#
# It runs RUNS identical runs of bench/compare_fp.yaml (SECS seconds each, 16 sessions on /slow?ms=20
# and /test1.json of `stressor serve`), compares every ordered pair of them with the default
# tolerance (5 %, 0.1 pp) and counts the calls per metric over all subjects (the run, the sequence and
# both activities). A second pass repeats it with DELAY_MS extra ms on /slow: the share of pairs
# where that slowdown is found.
#
# Usage: [RUNS=8] [SECS=5] [DELAY_MS=4] bench/compare_fp.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS=${RUNS:-8}
SECS=${SECS:-5}
DELAY_MS=${DELAY_MS:-4}
cargo build --release -q
BIN=$PWD/target/release/stressor
OUT=target/bench/compare_fp
rm -rf "$OUT" && mkdir -p "$OUT"
$BIN serve --port 0 >"$OUT/serve.out" 2>/dev/null &
SERVE=$!
trap 'kill $SERVE 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q listening "$OUT/serve.out" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/^listening on //p' "$OUT/serve.out")

cat >"$OUT/scenario.yaml" <<YAML
file_version: stressor#0
config: {name: compare_fp}
context: {ms: 20}
sessions: {count: 16}
scenario:
  - sequence: main
    duration: ${SECS}s
sequences:
  main:
    - activity: GetRequest
      url: /slow?ms=\$(ms)
    - activity: GetRequest
      url: /test1.json
YAML

runs() { # NAME MS
    for i in $(seq "$RUNS"); do
        $BIN run -q -o "base_url:$URL" -o "ms:$2" --out "$OUT/$1-$i.json" "$OUT/scenario.yaml" >/dev/null
    done
}
tally() { # BASELINE-NAME CURRENT-NAME
    for i in $(seq "$RUNS"); do
        for j in $(seq "$RUNS"); do
            [ "$1" != "$2" ] || [ "$i" != "$j" ] || continue
            $BIN compare -q "$OUT/$1-$i.json" "$OUT/$2-$j.json" --out "$OUT/cmp-$1-$i-$2-$j.json" >/dev/null || true
        done
    done
    python3 - "$OUT" "$1" "$2" <<'PY'
import collections, glob, json, sys
out, a, b = sys.argv[1:]
calls = collections.defaultdict(collections.Counter)
pairs = 0
for path in glob.glob(f"{out}/cmp-{a}-*-{b}-*.json"):
    pairs += 1
    for subject in json.load(open(path)):
        for d in subject["deltas"]:
            m = d["metric"]
            name = f"p{m['percentile']:g}" if isinstance(m, dict) and "percentile" in m else str(m)
            calls[name][d["call"]] += 1
print(f"{a} vs {b}: {pairs} pairs x 4 subjects")
print(f"  {'metric':<11} {'regressed':>9} {'improved':>9} {'unchanged':>9} {'too_noisy':>9}")
for name, c in calls.items():
    n = sum(c.values())
    cols = " ".join(f"{100 * c[k] / n:8.1f}%" for k in ("regressed", "improved", "unchanged", "too_noisy"))
    print(f"  {name:<11} {cols}")
PY
}

runs same 20
tally same same
runs slower $((20 + DELAY_MS))
tally same slower

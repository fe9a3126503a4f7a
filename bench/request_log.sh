#!/usr/bin/env bash
# Where the request log (100 %, JSON Lines) starts dropping rows: an arrival-rate load of RATES requests
# per second (each for SECS seconds) against `stressor serve` on CPU 0, the generator on CPU 1, with
# `--request-log` on; prints requests, rows written and rows dropped per rate. Target: no drops at
# 20,000 requests/s.
#
# Usage: [RATES="20000 40000 60000"] [SECS=10] [FORMAT=jsonl|csv] bench/request_log.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RATES=${RATES:-20000 40000 60000}
SECS=${SECS:-10}
FORMAT=${FORMAT:-jsonl}
cargo build --release -q
BIN=$PWD/target/release/stressor
OUT=target/bench/request_log
mkdir -p "$OUT"
# shellcheck source=bench/target.sh
source bench/target.sh
for rate in $RATES; do
    cat >"$OUT/rate-$rate.yaml" <<YAML
file_version: stressor#0
config: {name: request-log, base_url: "$URL"}
load:
  model: arrival-rate
  stages: [{rate: $rate/s, duration: ${SECS}s}]
  max_sessions: 256
scenario: [{sequence: main}]
sequences:
  main:
    - {activity: GetRequest, url: /test1.json, assert_status: [200]}
YAML
    log="$OUT/requests-$rate.$FORMAT"
    taskset -c 1 "$BIN" run -q --out "$OUT/results-$rate.json" --request-log "$log" "$OUT/rate-$rate.yaml" >/dev/null 2>"$OUT/stderr-$rate.log" || true
    python3 - "$OUT/results-$rate.json" "$log" "$rate" "$FORMAT" <<'PY'
import json, sys
results, log, rate, fmt = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3], sys.argv[4]
rows = sum(1 for _ in open(log)) - (1 if fmt == "csv" else 0)
h = results["health"]
print(f"{rate}/s asked: {results['total']['count']} requests ({results['total']['rate']:.0f}/s), "
      f"{rows} rows, {h.get('request_log_dropped', 0)} dropped, "
      f"{h.get('dropped_arrivals', 0)} arrivals dropped, generator CPU {100 * h['cpu_share']:.0f}% of {h['cores']} cores")
PY
done

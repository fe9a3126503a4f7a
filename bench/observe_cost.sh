#!/usr/bin/env bash
# What watching a run costs the generator: bench/peers.yaml without, then with, every output on: OTLP
# push to a collector (a stand-in that accepts every push), `/metrics` scraped every second, and a 1 %
# sampled request log. Target: at most 3 % more CPU per request. Two measures, ROUNDS times each,
# interleaved:
#
# - callgrind (bench/profile.sh): marginal instructions per request, which other load on the machine
#   does not blur. Under valgrind the generator runs ~30x slower, so what happens once a second (the
#   registry update, a scrape, a push) weighs ~30x more per request than it does at full speed: an
#   upper bound.
# - native: the release binary at full speed (generator on CPU 1, `stressor serve` on CPU 0), CPU
#   seconds per request as the run measures itself (results `health.cpu_seconds / total.count`), the
#   median of the rounds. Other developers' builds make single runs noisy: compare medians.
#
# Usage: [ROUNDS=3] [MODE=both|callgrind|native] [SECS=5] [SHORT=2] [LONG=6] bench/observe_cost.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROUNDS=${ROUNDS:-3}
MODE=${MODE:-both}
SECS=${SECS:-5}
OUT=target/bench/observe
mkdir -p "$OUT"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
OTLP_PORT=$(free_port)
METRICS_PORT=$(free_port)
# The collector: answers every POST with 200 (standard library only).
python3 - "$OTLP_PORT" <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
COLLECTOR=$!
# The scraper: what a Prometheus with `scrape_interval: 1s` does to the endpoint.
( while true; do curl -s -o /dev/null "http://127.0.0.1:$METRICS_PORT/metrics" || true; sleep 1; done ) &
SCRAPER=$!
trap 'kill $COLLECTOR $SCRAPER 2>/dev/null || true' EXIT
WATCHED="--otlp http://127.0.0.1:$OTLP_PORT --metrics 127.0.0.1:$METRICS_PORT --metrics-wait 10s --request-log $OUT/requests.jsonl --request-log-sample 1%"
per_request() { bench/profile.sh | tee -a "$OUT/profile.log" | sed -n 's/.*: \([0-9,]*\) instructions per request.*/\1/p' | tr -d ,; }
if [[ $MODE != native ]]; then
    for round in $(seq "$ROUNDS"); do
        plain=$(RUN_ARGS="" per_request)
        watched=$(RUN_ARGS="$WATCHED" per_request)
        python3 -c "
p, w = $plain, $watched
print(f'callgrind round $round: {p:,} instructions per request without, {w:,} with: {100 * (w - p) / p:+.1f} %')"
    done
fi
[[ $MODE != callgrind ]] || exit 0
cargo build --release -q
BIN=$PWD/target/release/stressor
taskset -c 0 "$BIN" serve --port 0 >"$OUT/serve.out" 2>/dev/null &
SERVE=$!
trap 'kill $COLLECTOR $SCRAPER $SERVE 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q listening "$OUT/serve.out" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/^listening on //p' "$OUT/serve.out")
sed -e "s#BASE_URL#$URL#" -e "s#DURATION#$SECS#" bench/peers.yaml >"$OUT/peers.yaml"
native() { # prints CPU microseconds per request of one run with the flags given
    # shellcheck disable=SC2086
    taskset -c 1 "$BIN" run -q $1 --out "$OUT/native.json" "$OUT/peers.yaml" >/dev/null 2>&1 || true
    python3 -c "import json; r = json.load(open('$OUT/native.json')); print(1e6 * r['health']['cpu_seconds'] / r['total']['count'], r['total']['count'])"
}
: >"$OUT/native.txt"
for round in $(seq "$ROUNDS"); do
    echo "plain $(native "")" >>"$OUT/native.txt"
    echo "watched $(native "$WATCHED")" >>"$OUT/native.txt"
done
python3 - "$OUT/native.txt" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
for kind in ("plain", "watched"):
    print(kind, " ".join(f"{float(r[1]):.2f}" for r in rows if r[0] == kind), "µs CPU per request;",
          "requests", " ".join(r[2] for r in rows if r[0] == kind))
p = statistics.median(float(r[1]) for r in rows if r[0] == "plain")
w = statistics.median(float(r[1]) for r in rows if r[0] == "watched")
print(f"native, median of {len(rows) // 2} interleaved rounds: {p:.2f} µs CPU per request without, {w:.2f} with: {100 * (w - p) / p:+.1f} %")
PY

#!/usr/bin/env bash
# What watching a run costs the generator: instructions per request (bench/profile.sh, callgrind, so
# other load on the machine does not blur it) of bench/peers.yaml without, then with, every output on:
# OTLP push to a collector (a stand-in that accepts every push), `/metrics` scraped every second, and a
# 1 % sampled request log. Target: at most 3 % more per request.
#
# Usage: [ROUNDS=2] [SHORT=2] [LONG=6] bench/observe_cost.sh   (other knobs as bench/profile.sh)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROUNDS=${ROUNDS:-2}
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
per_request() { bench/profile.sh | sed -n 's/.*: \([0-9,]*\) instructions per request.*/\1/p' | tr -d ,; }
for round in $(seq "$ROUNDS"); do
    plain=$(RUN_ARGS="" per_request)
    watched=$(RUN_ARGS="$WATCHED" per_request)
    python3 -c "
p, w = $plain, $watched
print(f'round $round: {p:,} instructions per request without, {w:,} with OTLP + /metrics every 1 s + 1 % request log: {100 * (w - p) / p:+.1f} %')"
done

#!/usr/bin/env bash
# Soak: 200 sessions for 10 minutes against the built-in target server (separate process), sampling the
# load generator's RSS every 30 s. Memory must stay flat: within ±5 % between minute 1 and the end.
# Usage: bench/soak.sh [SESSIONS] [SECONDS] [FIRST_SAMPLE_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
SESSIONS=${1:-200}
SECONDS_TOTAL=${2:-600}
FIRST=${3:-60}
cargo build --release -q
BIN=target/release/stressor
mkdir -p target/bench
PORT_FILE=target/bench/soak-serve.out
$BIN serve --port 0 >"$PORT_FILE" 2>/dev/null &
SERVE=$!
trap 'kill $SERVE 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q listening "$PORT_FILE" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/^listening on //p' "$PORT_FILE")
cat >target/bench/soak.yaml <<YAML
file_version: stressor#0
config:
  name: soak
  base_url: $URL
sessions:
  count: $SESSIONS
scenario:
  - sequence: main
    duration: ${SECONDS_TOTAL}s
sequences:
  main:
    - activity: GetRequest
      url: /test1.json
      assert_json: {foo: bar}
    - activity: PostRequest
      url: /echo
      json: {session: \$(session_id)}
    - activity: Sleep
      duration: 10ms
YAML
$BIN run -q target/bench/soak.yaml >target/bench/soak-summary.txt &
RUN=$!
rss() { awk '/VmRSS/ {print $2}' "/proc/$RUN/status" 2>/dev/null || echo 0; }
sleep "$FIRST"; RSS10=$(rss)
echo "RSS at ${FIRST} s: $((RSS10 / 1024)) MiB"
ELAPSED=$FIRST
while ((ELAPSED + 30 < SECONDS_TOTAL - 2)); do
    sleep 30; ELAPSED=$((ELAPSED + 30))
    echo "RSS at ${ELAPSED} s: $(($(rss) / 1024)) MiB"
done
sleep $((SECONDS_TOTAL - 2 - ELAPSED)); RSS_END=$(rss)
wait $RUN || true
REQS=$(curl -s "$URL/_stressor/stats" | sed 's/[^0-9]//g')
python3 - "$RSS10" "$RSS_END" "$SESSIONS" "$SECONDS_TOTAL" "$REQS" "$FIRST" <<'PY'
import sys
r10, rend, sessions, secs, reqs, first = (int(x) for x in sys.argv[1:])
change = (rend - r10) / r10 * 100 if r10 else float("nan")
print(f"sessions={sessions} duration={secs}s server_requests={reqs}")
print(f"RSS at {first} s: {r10/1024:.1f} MiB; at {secs-2} s: {rend/1024:.1f} MiB; change {change:+.1f}% (target: within ±5%)")
print("PASS" if abs(change) <= 5 else "FAIL")
PY
tail -n 3 target/bench/soak-summary.txt

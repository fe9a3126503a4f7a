#!/usr/bin/env bash
# Memory per idle session: RSS of a run with N sessions (default 10,000) that are all idle, minus the RSS
# of the same run with 1 session, divided by N - 1. Target: <= 64 KiB per session.
#
# Two kinds of idle, measured one after the other against the built-in target server:
# - `sleeping`: each session only sleeps (the cost of a session itself: task, context, recorder slot);
# - `connected`: each session first makes one checked GET, then sleeps, holding its HTTP client and its
#   open keep-alive connection (what an idle virtual user of a real test costs).
# The RSS is read from /proc once every session has started and is asleep (SAMPLE_AT seconds in).
#
# TARGET=URL measures against a server of your own instead (e.g. an nginx serving TLS; its /test1.json
# must contain `bar`); certificates are not verified.
#
# Usage: [N=10000] [SLEEP=20] [SAMPLE_AT=12] [HTTP_CLIENT=lean] [TARGET=URL] bench/idle_sessions.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
N=${N:-10000}
SLEEP=${SLEEP:-20}
SAMPLE_AT=${SAMPLE_AT:-12}
HTTP_CLIENT=${HTTP_CLIENT:-lean}
cargo build --release -q
BIN=$PWD/target/release/stressor
OUT=target/bench/idle
mkdir -p "$OUT"
# Each connected session holds a socket in this process and one in the server.
ulimit -n $((N * 2 + 1024)) 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# shellcheck source=bench/target.sh
source bench/target.sh

scenario() { # KIND SESSIONS -> path
    local file="$OUT/$1-$2.yaml"
    {
        echo "file_version: stressor#0"
        echo "config: {name: idle-$1, base_url: '$URL', http_client: $HTTP_CLIENT}"
        echo "sessions: {count: $2, verify_ssl: false}"
        echo "scenario: [{sequence: main}]"
        echo "sequences:"
        echo "  main:"
        if [[ $1 == connected ]]; then
            echo "    - {activity: GetRequest, url: /test1.json, assert_status: [200], assert_match: bar}"
        fi
        echo "    - {activity: Sleep, duration: $SLEEP}"
    } >"$file"
    echo "$file"
}

rss_kib() { # KIND SESSIONS -> RSS in KiB at SAMPLE_AT seconds
    local file
    file=$(scenario "$1" "$2")
    $BIN run -q "$file" >"$OUT/$1-$2.summary" 2>&1 &
    local run=$!
    sleep "$SAMPLE_AT"
    awk '/^VmRSS/ {print $2}' "/proc/$run/status"
    wait $run || true
}

echo "N=$N sessions, http_client=$HTTP_CLIENT, RSS sampled ${SAMPLE_AT}s into a ${SLEEP}s sleep"
for kind in sleeping connected; do
    one=$(rss_kib $kind 1)
    many=$(rss_kib $kind "$N")
    python3 - "$kind" "$one" "$many" "$N" <<'PY'
import sys
kind, one, many, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
per = (many - one) / (n - 1)
verdict = "PASS" if per <= 64 else "FAIL"
print(f"{kind:9}: RSS 1 session {one/1024:.1f} MiB, {n} sessions {many/1024:.1f} MiB "
      f"-> {per:.1f} KiB per idle session (target <= 64 KiB) {verdict}")
PY
done
grep -h "timed activities" "$OUT"/connected-"$N".summary || true

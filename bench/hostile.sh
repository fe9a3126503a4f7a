#!/usr/bin/env bash
# CPU time and peak memory of `stressor run` against a hostile server (bench/hostile_server.py), next
# to an idle run: an endless chunked body and an endless until-close body with no check (ended by
# request_timeout), a 50 MB body with assert_match (max_body_size raised to 64 MiB) and the same
# body over the default limit, and assert_html on 50,000 nested <div>s.
#
# Usage: [BIN=target/release/stressor] [HTTP_CLIENT=lean|reqwest] bench/hostile.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
HTTP_CLIENT=${HTTP_CLIENT:-lean}
if [ -z "${BIN:-}" ]; then
    cargo build --release -q
    BIN=$PWD/target/release/stressor
fi
OUT=target/bench/hostile
mkdir -p "$OUT"
python3 bench/hostile_server.py >"$OUT/server.out" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q listening "$OUT/server.out" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/^listening on //p' "$OUT/server.out")

# case NAME ACTIVITY_LINES [CONFIG_LINES]: runs one GetRequest (or the given activity) and prints the
# wall time, CPU time, peak RSS and the first error line of the summary.
case_() {
    local name=$1 activity=$2 config=${3:-}
    printf 'file_version: stressor#0\nconfig:\n  base_url: %s\n  request_timeout: 5s\n  http_client: %s\n%bscenario:\n  - sequence: main\nsequences:\n  main:\n%b' \
        "$URL" "$HTTP_CLIENT" "$config" "$activity" >"$OUT/$name.yaml"
    /usr/bin/time -f '%e %U %S %M' -o "$OUT/$name.time" "$BIN" run --no-color "$OUT/$name.yaml" >"$OUT/$name.out" 2>&1 || true
    read -r wall user sys rss < <(tail -n1 "$OUT/$name.time")
    local outcome
    outcome=$(grep -m1 -oE '(body_too_large|check_timeout|timeout|assertion|connect|status)[^|]*' "$OUT/$name.out" || echo "passed")
    printf '%-24s wall %6.2fs  cpu %6.2fs  peak RSS %6.1f MiB  %s\n' "$name" "$wall" "$(echo "$user + $sys" | bc)" \
        "$(echo "scale=1; $rss / 1024" | bc)" "$outcome"
}
echo "client: $HTTP_CLIENT, binary: $BIN"
case_ idle "    - activity: Sleep\n      duration: 5\n"
case_ endless-chunked "    - activity: GetRequest\n      url: /endless-chunked\n"
case_ endless-until-close "    - activity: GetRequest\n      url: /endless\n"
case_ big-assert-match "    - activity: GetRequest\n      url: /big\n      assert_match: a\$\n" "  max_body_size: 64MiB\n"
case_ big-over-the-limit "    - activity: GetRequest\n      url: /big\n      assert_match: a\$\n"
case_ deep-assert-html "    - activity: GetRequest\n      url: /deep\n      assert_html: {\"//title\": true}\n"

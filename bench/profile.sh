#!/usr/bin/env bash
# Instructions per request of `stressor run` on bench/peers.yaml, counted by valgrind's callgrind: a
# figure that other load on the machine does not disturb (unlike timings), for optimisation decisions.
#
# It runs the scenario twice under callgrind (SHORT and LONG seconds) against `stressor serve`, counts
# the requests at the server, and prints (Ir_long - Ir_short) / (requests_long - requests_short): the
# marginal instructions per request, without start-up and shutdown. The top functions (inclusive) of
# the long run go to target/bench/profile/annotate-CLIENT.txt.
#
# PATTERN replaces the scenario's `assert_match` pattern, e.g. to price a `$(var)` template:
#   PATTERN='foo.: .bar.|$(session_id)' bench/profile.sh   (compiled once per session, then cached)
#
# TARGET=URL profiles against a server of your own instead (e.g. nginx serving HTTPS, whose
# /test1.json must match the pattern; certificates are not verified); the requests are then counted
# from stressor's own results file.
#
# HTTP_VERSION=2 sets `config.http_version: 2` (with TARGET=https://..., an HTTP/2 server such as the nginx
# of `MODES=h2 bench/peers.py`): the instructions per HTTP/2 request.
#
# RUN_ARGS adds flags to `stressor run` (split on spaces), e.g. the outputs of bench/observe_cost.sh.
#
# SESSIONS sets the number of sessions (connections): the issue-32 profiles ran 32, 1000 and 5000, with the
# open-file limit raised here as far as the hard limit allows. STRESSOR_BIN profiles a binary built
# elsewhere (e.g. a copy of the build before a change) instead of building this tree's.
#
# Usage: [HTTP_CLIENT=lean|reqwest] [HTTP_VERSION=1.1|2] [SHORT=2] [LONG=6] [SESSIONS=32] [PATTERN=regex] [TARGET=URL]
#        [RUN_ARGS=...] [STRESSOR_BIN=path] bench/profile.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
HTTP_CLIENT=${HTTP_CLIENT:-lean}
SHORT=${SHORT:-2}
LONG=${LONG:-6}
SESSIONS=${SESSIONS:-32}
PATTERN=${PATTERN:-foo.: .bar.}
HTTP_VERSION=${HTTP_VERSION:-1.1}
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends valgrind; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(( $(ulimit -n) > SESSIONS + 256 )) || echo "note: the open-file limit $(ulimit -n) is too low for $SESSIONS sessions" >&2
if [[ -n ${STRESSOR_BIN:-} ]]; then
    BIN=$STRESSOR_BIN
else
    cargo build --release -q
    BIN=$PWD/target/release/stressor
fi
OUT=target/bench/profile
mkdir -p "$OUT"
# shellcheck source=bench/target.sh
source bench/target.sh
served() { curl -s "$URL/_stressor/stats" | tr -dc 0-9; }

declare -A IR REQS
for secs in "$SHORT" "$LONG"; do
    sed -e "s#BASE_URL#$URL#" -e "s#DURATION#$secs#" -e "s#count: 32#count: $SESSIONS#" \
        -e "s#  request_timeout: 10#  request_timeout: 10\n  http_client: $HTTP_CLIENT\n  http_version: $HTTP_VERSION#" \
        -e "s#  count: $SESSIONS#  count: $SESSIONS\n  verify_ssl: false#" \
        -e "s#assert_match: \"foo.: .bar.\"#assert_match: \"$PATTERN\"#" \
        bench/peers.yaml >"$OUT/peers-$secs.yaml"
    [[ -n ${TARGET:-} ]] || before=$(served)
    taskset -c 1 valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind-$HTTP_CLIENT-$secs.out" \
        "$BIN" run -q ${RUN_ARGS:-} --out "$OUT/results-$secs.json" "$OUT/peers-$secs.yaml" >/dev/null 2>"$OUT/valgrind-$secs.log" || true
    if [[ -n ${TARGET:-} ]]; then
        REQS[$secs]=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['total']['count'])" "$OUT/results-$secs.json")
    else
        REQS[$secs]=$(($(served) - before - 1))
    fi
    IR[$secs]=$(sed -n 's/^summary: //p; s/^totals: //p' "$OUT/callgrind-$HTTP_CLIENT-$secs.out" | head -1 | cut -d' ' -f1)
    echo "${secs}s under callgrind: ${REQS[$secs]} requests, ${IR[$secs]} instructions"
done
python3 -c "
ir = (${IR[$LONG]} - ${IR[$SHORT]}) / (${REQS[$LONG]} - ${REQS[$SHORT]})
print(f'http_client=$HTTP_CLIENT, assert_match \'$PATTERN\': {ir:,.0f} instructions per request (marginal, $SESSIONS sessions)')"
# `head` closes the pipe early, which callgrind_annotate may see as SIGPIPE: not a failure.
callgrind_annotate --inclusive=yes "$OUT/callgrind-$HTTP_CLIENT-$LONG.out" 2>/dev/null | head -60 >"$OUT/annotate-$HTTP_CLIENT.txt" || true
echo "top functions: $OUT/annotate-$HTTP_CLIENT.txt"

#!/usr/bin/env bash
# Generator CPU per request of a stressor harness test in a user's crate, built three ways: a plain
# debug `cargo test`, debug with `[profile.dev.package."*"] opt-level = 3` (dependencies optimized, the
# user's own code not), and `cargo test --release`. Also the first build time of each.
#
# The crate is a copy of examples/consumer whose fixture sends a fixed arrival rate (create a note,
# read it back with assert_json), so every variant does the same work without saturating; the
# service runs as a release build on CPU 0, the test binary on CPU 1 (STRESSOR_BASE_URL points the
# harness at it). CPU per request is the harness's own measure: health.cpu_seconds / total.count of
# the results file.
#
# Usage: [ROUNDS=3] [RATE=2000] [JOBS=2] bench/debug_release.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
ROUNDS=${ROUNDS:-3}
RATE=${RATE:-2000}
JOBS=${JOBS:-2}
WORK=$ROOT/target/bench/debug-release
PORT=${PORT:-39517}
rm -rf "$WORK"
mkdir -p "$WORK"

# make_crate DIR PROFILE_LINES: the consumer with the bench fixture and extra profile lines.
make_crate() {
    local dir=$1 profile=$2
    mkdir -p "$dir/fixtures"
    cp -r examples/consumer/src examples/consumer/tests examples/consumer/Cargo.lock "$dir/"
    sed "s|path = \"../..\"|path = \"$ROOT\"|" examples/consumer/Cargo.toml >"$dir/Cargo.toml"
    printf '%b' "$profile" >>"$dir/Cargo.toml"
    cat >"$dir/fixtures/bench.yaml" <<YAML
file_version: stressor#0
config:
  name: bench
  base_url: http://127.0.0.1:3000
  request_timeout: 5s
load:
  model: arrival-rate
  stages: [{rate: $RATE/s, duration: 10s}]
  max_sessions: 64
scenario:
  - sequence: main
sequences:
  main:
    - activity: PostRequest
      name: create
      url: /notes
      json: {text: note from \$(session_id)}
      assert_status: 201
      store_json: {note_id: id}
    - activity: GetRequest
      name: read
      url: /notes/\$(note_id)
      assert_json:
        text: note from t\\d+
YAML
}

make_crate "$WORK/debug" ""
make_crate "$WORK/opt-deps" '\n[profile.dev.package."*"]\nopt-level = 3\n'
make_crate "$WORK/release" ""

(cd "$WORK/release" && cargo build -q --release --bin notes-service)
taskset -c 0 "$WORK/release/target/release/notes-service" "127.0.0.1:$PORT" >/dev/null 2>&1 &
SERVICE=$!
trap 'kill $SERVICE 2>/dev/null || true' EXIT
sleep 0.5

printf '| build | first build of the tests (-j%s) | test binary | generator CPU per request (median of %s) |\n|---|---:|---:|---:|\n' "$JOBS" "$ROUNDS"
for variant in debug opt-deps release; do
    dir=$WORK/$variant
    flag=()
    [ "$variant" = release ] && flag=(--release)
    start=$(date +%s.%N)
    (cd "$dir" && cargo test -q -j"$JOBS" "${flag[@]}" --test load --no-run 2>/dev/null)
    built=$(echo "$(date +%s.%N) - $start" | bc)
    bin=$(cd "$dir" && cargo test -q "${flag[@]}" --test load --no-run --message-format=json 2>/dev/null |
        python3 -c 'import json,sys
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m["target"]["name"]=="load" and m.get("executable"): print(m["executable"])')
    per=()
    for _ in $(seq "$ROUNDS"); do
        (cd "$dir" && STRESSOR_BASE_URL="http://127.0.0.1:$PORT" taskset -c 1 "$bin" fixtures/bench >/dev/null 2>&1) || true
        per+=("$(python3 -c 'import json,sys
d=json.load(open(sys.argv[1])); print(d["health"]["cpu_seconds"]/d["total"]["count"]*1e6)' "$dir/target/stressor/results/fixtures/bench.json")")
    done
    median=$(printf '%s\n' "${per[@]}" | sort -g | sed -n "$(( (ROUNDS + 1) / 2 ))p")
    size=$(du -m "$bin" | cut -f1)
    printf '| %s | %.0f s | %s MB | %.1f µs (rounds: %s) |\n' "$variant" "$built" "$size" "$median" "$(printf '%.1f ' "${per[@]}")"
done

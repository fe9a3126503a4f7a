#!/usr/bin/env bash
# Generated vs. file feeder: the load generator's CPU per request for a run that creates RECORDS orders
# through the built-in target (a process of its own, started afresh for every run so its store starts
# empty). Both runs are the same scenario (Feed, PUT with a JSON body, Record) except where the rows come
# from: `generate:` (uuid, counter, int, string, pick) or a CSV file of as many rows with the same
# columns. Runs alternate, ROUNDS times; CPU is user + system of the stressor process (/usr/bin/time).
# Target (issue 31): the generated run's CPU per request within 5 % of the file feeder's.
# Usage: bench/test_data.sh [RECORDS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
RECORDS=${1:-100000}
ROUNDS=${2:-3}
SESSIONS=8
cargo build --release -q --bin stressor
BIN=$PWD/target/release/stressor
OUT=$PWD/target/bench/test-data
mkdir -p "$OUT"
REPEAT=$((RECORDS / SESSIONS))
if [[ ! -f $OUT/orders-$RECORDS.csv ]]; then
    { echo "id,n,qty,code,colour"
      for ((i = 0; i < RECORDS; i++)); do
          printf '%08x-0000-4000-8000-%012x,%d,%d,c%011d,red\n' "$i" "$i" $((i + 1)) $((i % 10 + 1)) "$i"
      done
    } >"$OUT/orders-$RECORDS.csv"
fi
scenario() { # $1: the feeder's definition; $2: more top-level lines
    cat <<YAML
file_version: stressor#0
config: {base_url: http://127.0.0.1:1}
$2
sessions: {count: $SESSIONS}
feeders:
  order: $1
scenario:
  - sequence: main
    repeat: $REPEAT
sequences:
  main:
    - activity: Feed
      feeder: order
    - activity: PutRequest
      url: /orders/\$(order.id)
      json: {n: \$(order.n), qty: \$(order.qty), code: \$(order.code), colour: \$(order.colour)}
      assert_status: [201]
    - activity: Record
      file: created.csv
      row: {id: \$(order.id), n: \$(order.n)}
YAML
}
scenario "{generate: {id: uuid, n: counter, qty: {int: [1, 10]}, code: {string: 12}, colour: {pick: [red, green, blue]}}}" "load: {seed: 42}" >"$OUT/generated.yaml"
scenario "{file: orders-$RECORDS.csv, order: unique}" "" >"$OUT/file.yaml"
run() { # $1: variant; prints CPU seconds per request (in µs)
    rm -f "$OUT/created.csv"
    $BIN serve --port 0 >"$OUT/serve.out" 2>/dev/null &
    local serve=$!
    for _ in $(seq 50); do grep -q listening "$OUT/serve.out" 2>/dev/null && break; sleep 0.1; done
    local url
    url=$(sed -n 's/^listening on //p' "$OUT/serve.out")
    /usr/bin/time -f '%U %S' -o "$OUT/time.txt" "$BIN" run -q -o "base_url:$url" "$OUT/$1.yaml" >/dev/null
    kill $serve
    wait $serve 2>/dev/null || true
    local rows
    rows=$(($(wc -l <"$OUT/created.csv") - 1))
    [[ $rows == "$RECORDS" ]] || { echo "$1: $rows records, not $RECORDS" >&2; exit 1; }
    awk -v n="$RECORDS" '{ printf "%.2f\n", ($1 + $2) * 1e6 / n }' "$OUT/time.txt"
}
echo "round  generated µs CPU/request  file µs CPU/request"
for round in $(seq "$ROUNDS"); do
    echo "$round  $(run generated)  $(run file)"
done

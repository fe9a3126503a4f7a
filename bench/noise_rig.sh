#!/usr/bin/env bash
# The noise rig: how often each kind of gate is wrong on a noisy machine (bench/README.md, "noise_rig.sh").
#
# A CPU-bound service (bench/noise_service.py: one thread, WORK_A ms of CPU per request) and a 10 %
# slower copy of it (WORK_B), both on this machine, under bursty CPU hogs on every core
# (bench/noise_hog.py). Four gates are run RUNS times each, against unchanged code (A, or A/A) and
# against the slower code (B, or A/B):
#
#   ab        stressor ab --a A --b A   (false alarms)  and  --a A --b B  (detection)
#   absolute  stressor run with `p95: <quiet p95 of A + 10 %>`, against A and against B
#   single    stressor run with `p95: {vs_baseline: +10%}` against one results file of A taken
#             before the noise started, against A and against B
#
# and each run's exit code is counted: 1 is an alarm (regressed / failed), 4 inconclusive (too noisy
# to tell), 0 pass. Every run's output is kept under $OUT.
#
# Environment (defaults in brackets): RUNS [50] per gate and side for ab, CMP_RUNS [20] for the
# absolute and single-baseline gates, ROUNDS [20] and ROUND_TIME [500ms] and WARMUP [1s] for ab,
# RUN_TIME [3s] for `stressor run`, WORK_A [2.0] and WORK_B [2.2] ms of CPU per request, HOG_BURST
# [100-400] and HOG_IDLE [100-400] ms, NOISE [1] (0: no hogs), OUT [target/bench/noise], BIN
# [target/release/stressor, built when missing].
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-target/release/stressor}
OUT=${OUT:-target/bench/noise}
RUNS=${RUNS:-50}
CMP_RUNS=${CMP_RUNS:-20}
ROUNDS=${ROUNDS:-20}
ROUND_TIME=${ROUND_TIME:-500ms}
WARMUP=${WARMUP:-1s}
RUN_TIME=${RUN_TIME:-3s}
WORK_A=${WORK_A:-2.0}
WORK_B=${WORK_B:-2.2}
HOG_BURST=${HOG_BURST:-100-400}
HOG_IDLE=${HOG_IDLE:-100-400}
NOISE=${NOISE:-1}

[ -x "$BIN" ] || cargo build --release --bin stressor
mkdir -p "$OUT"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT_A=$(free_port)
PORT_B=$(free_port)
A=http://127.0.0.1:$PORT_A
B=http://127.0.0.1:$PORT_B
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

python3 bench/noise_service.py "$PORT_A" "$WORK_A" & PIDS+=($!)
python3 bench/noise_service.py "$PORT_B" "$WORK_B" & PIDS+=($!)
for port in "$PORT_A" "$PORT_B"; do
  for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break
    sleep 0.1
  done
done

echo "noise rig: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before, $(date -u +%FT%TZ)"
echo "A: $WORK_A ms CPU per request ($A); B: $WORK_B ms ($B)"

# Quiet: the p95 the absolute threshold is set from, and the one stored baseline.
run_quiet() { # URL FILE
  "$BIN" run bench/noise_rig.yaml -q -o "base_url:$1" --max-time "$RUN_TIME" --out "$2" > /dev/null
}
run_quiet "$A" "$OUT/quiet-a.json"
run_quiet "$B" "$OUT/quiet-b.json"
p95() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['total']['p95_ms'])" "$1"; }
QUIET_A=$(p95 "$OUT/quiet-a.json")
QUIET_B=$(p95 "$OUT/quiet-b.json")
LIMIT=$(python3 -c "print(round($QUIET_A * 1.1, 3))")
echo "quiet p95: A ${QUIET_A} ms, B ${QUIET_B} ms (B/A $(python3 -c "print(round($QUIET_B / $QUIET_A, 3))")); absolute limit ${LIMIT} ms"

sed "s/^sequences:/thresholds:\n  p95: ${LIMIT}ms\nsequences:/" bench/noise_rig.yaml > "$OUT/absolute.yaml"
sed "s/^sequences:/thresholds:\n  p95: {vs_baseline: +10%}\nsequences:/" bench/noise_rig.yaml > "$OUT/single.yaml"

if [ "$NOISE" != 0 ]; then
  python3 bench/noise_hog.py "$(nproc)" "$HOG_BURST" "$HOG_IDLE" & PIDS+=($!)
  echo "noise: $(nproc) hog(s), bursts of $HOG_BURST ms, $HOG_IDLE ms apart"
fi

# gate ID LABEL RUNS COMMAND...: runs COMMAND RUNS times (output in $OUT/ID-N.log) and counts its
# exit codes.
gate() {
  local id=$1 name=$2 runs=$3 pass=0 alarm=0 noisy=0 other=0 code
  shift 3
  for i in $(seq "$runs"); do
    set +e
    "$@" > "$OUT/$id-$i.log" 2>&1
    code=$?
    set -e
    case $code in
      0) pass=$((pass + 1)) ;;
      1) alarm=$((alarm + 1)) ;;
      4) noisy=$((noisy + 1)) ;;
      *) other=$((other + 1)) ;;
    esac
  done
  printf '| %-22s | %4d | %5d | %5d | %6d | %5d |\n' "$name" "$runs" "$alarm" "$noisy" "$pass" "$other" | tee -a "$OUT/table.md"
}

printf '| %-22s | %4s | %5s | %5s | %6s | %5s |\n' gate runs alarm noisy pass other | tee "$OUT/table.md"
printf '|%s|\n' '------------------------|------|-------|-------|--------|-------' | tee -a "$OUT/table.md"
AB=(ab bench/noise_rig.yaml -q --rounds "$ROUNDS" --round-time "$ROUND_TIME" --warmup "$WARMUP")
gate ab-aa "ab A/A (false alarm)" "$RUNS" "$BIN" "${AB[@]}" --a "$A" --b "$A"
gate ab-ab "ab A/B (detection)" "$RUNS" "$BIN" "${AB[@]}" --a "$A" --b "$B"
RUN=(run -q --max-time "$RUN_TIME")
gate abs-a "absolute A (false alarm)" "$CMP_RUNS" "$BIN" "${RUN[@]}" "$OUT/absolute.yaml" -o "base_url:$A"
gate abs-b "absolute B (detection)" "$CMP_RUNS" "$BIN" "${RUN[@]}" "$OUT/absolute.yaml" -o "base_url:$B"
gate single-a "single A (false alarm)" "$CMP_RUNS" "$BIN" "${RUN[@]}" "$OUT/single.yaml" -o "base_url:$A" --baseline "$OUT/quiet-a.json"
gate single-b "single B (detection)" "$CMP_RUNS" "$BIN" "${RUN[@]}" "$OUT/single.yaml" -o "base_url:$B" --baseline "$OUT/quiet-a.json"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) after, $(date -u +%FT%TZ)"

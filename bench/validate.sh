#!/usr/bin/env bash
# Benchmark: `stressor validate` on a generated scenario with N activities (default 5,000).
#
# Builds the release binary, generates target/bench/scenario-N.yaml with bench/gen_scenario.py, checks that
# it validates (exit 0), then times `stressor validate` (hyperfine when available, else a loop of `date`
# calls) and reports min/median/max in ms, the verdict against the target, and the peak RSS.
# A second, smaller measurement times the YAML parse alone (the same file without `file_version`, which
# the loader refuses right after parsing), to show how much of the total is parsing.
#
# Environment: N (activities, 5000), RUNS (timed runs, 20), TARGET_MS (200), STRICT=1 to exit 1 when the
# median misses the target, NO_HYPERFINE=1 to time with the shell loop even when hyperfine is installed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

N="${N:-5000}"
RUNS="${RUNS:-20}"
TARGET_MS="${TARGET_MS:-200}"
STRICT="${STRICT:-0}"
BIN=target/release/stressor
OUT_DIR=target/bench
SCENARIO="$OUT_DIR/scenario-$N.yaml"
PARSE_ONLY="$OUT_DIR/scenario-$N-parse-only.yaml"

have_hyperfine() {
    [[ "${NO_HYPERFINE:-0}" != 1 ]] && command -v hyperfine >/dev/null
}

echo "== building the release binary (cargo build --release)"
cargo build --release -q --bin stressor

mkdir -p "$OUT_DIR"
echo "== generating $SCENARIO ($N activities)"
python3 bench/gen_scenario.py "$N" "$SCENARIO"
sed 's/^file_version: stressor#0$/not_a_file_version: x/' "$SCENARIO" >"$PARSE_ONLY"
echo "   $(wc -c <"$SCENARIO") bytes, $(wc -l <"$SCENARIO") lines"

echo "== checking that it validates"
if ! "$BIN" validate "$SCENARIO"; then
    echo "FAIL: the generated scenario does not validate" >&2
    exit 1
fi

# Prints "min median max cpu" in ms for a command (cpu: mean user+system time, "n/a" without hyperfine) (as an array), from RUNS runs after 3 warm-ups.
# $1: "ignore" to accept a non-zero exit (the parse-only file is rejected on purpose).
time_command() {
    local ignore="$1"
    shift
    if have_hyperfine; then
        local json="$OUT_DIR/hyperfine.json"
        local flags=(--warmup 3 --runs "$RUNS" --shell=none --style none --export-json "$json")
        [[ "$ignore" == ignore ]] && flags+=(--ignore-failure)
        if [[ "$ignore" == ignore ]]; then
            hyperfine "${flags[@]}" "$*" >/dev/null 2>&1
        else
            hyperfine "${flags[@]}" "$*" >/dev/null
        fi
        python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
cpu = r["user"] + r["system"]
print(" ".join(f"{r[k] * 1000:.1f}" for k in ("min", "median", "max")), f"{cpu * 1000:.1f}")' "$json"
    else
        local i start end
        local times=()
        for i in $(seq 1 $((RUNS + 3))); do
            start=$(date +%s%N)
            "$@" >/dev/null 2>&1 || [[ "$ignore" == ignore ]]
            end=$(date +%s%N)
            ((i > 3)) && times+=($(((end - start) / 1000)))
        done
        printf '%s\n' "${times[@]}" | sort -n | awk '
            { t[NR] = $1 / 1000 }
            END {
                median = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
                printf "%.1f %.1f %.1f n/a\n", t[1], median, t[NR]
            }'
    fi
}

if ! have_hyperfine && [[ "${NO_HYPERFINE:-0}" != 1 ]] && [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    echo "== installing hyperfine (apt-get)"
    apt-get install -y -qq hyperfine >/dev/null 2>&1 || echo "   (not installed; timing with a shell loop)"
fi
if have_hyperfine; then
    TIMER="hyperfine $(hyperfine --version | awk '{print $2}')"
else
    TIMER="shell loop (date +%s%N)"
fi

echo "== timing: $RUNS runs with $TIMER"
read -r MIN MEDIAN MAX CPU < <(time_command strict "$BIN" validate "$SCENARIO")
read -r PMIN PMEDIAN PMAX PCPU < <(time_command ignore "$BIN" validate "$PARSE_ONLY")

RSS="n/a"
if [[ -x /usr/bin/time ]]; then
    RSS_KB=$(/usr/bin/time -v "$BIN" validate "$SCENARIO" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ {print $2}')
    [[ -n "$RSS_KB" ]] && RSS="$((RSS_KB / 1024)) MiB"
fi

echo
echo "stressor validate, $N activities ($(nproc) cores, $TIMER):"
row() {
    printf '  %-16s min %8s ms   median %8s ms   max %8s ms' "$1" "$2" "$3" "$4"
    [[ "$5" != n/a ]] && printf '   cpu %8s ms' "$5"
    printf '\n'
}
row "full validate:" "$MIN" "$MEDIAN" "$MAX" "$CPU"
row "YAML parse only:" "$PMIN" "$PMEDIAN" "$PMAX" "$PCPU"
[[ "$CPU" != n/a ]] && echo "  (cpu: mean user+system time per run; wall times grow when other processes compete for the cores)"
echo "  peak RSS (full validate): $RSS"
if awk -v m="$MEDIAN" -v t="$TARGET_MS" 'BEGIN { exit !(m < t) }'; then
    echo "  median ${MEDIAN} ms: MEETS the ${TARGET_MS} ms target"
else
    echo "  median ${MEDIAN} ms: MISSES the ${TARGET_MS} ms target"
    [[ "$STRICT" == 1 ]] && exit 1
fi
exit 0

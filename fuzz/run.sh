#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer on the stable toolchain, no extra tool to install:
#
#   fuzz/run.sh TARGET [SECONDS] [LIBFUZZER_ARGS...]     TARGET: http_response | scenario
#
# Builds fuzz/ with the instrumentation flags cargo-fuzz passes (SanitizerCoverage, stable `-C`
# options; no `-Z` sanitizer, so no nightly), then runs the target for SECONDS (default 600) on the
# working corpus fuzz/corpus/TARGET, which starts from the seeds in fuzz/seeds/TARGET. A crash is
# written to fuzz/artifacts/TARGET/ and the script exits non-zero; reproduce it with
# `fuzz/run.sh TARGET 0 fuzz/artifacts/TARGET/crash-...`.
set -euo pipefail
cd "$(dirname "$0")"
target="${1:?usage: fuzz/run.sh http_response|scenario [SECONDS] [LIBFUZZER_ARGS...]}"
seconds="${2:-600}"
shift $(( $# < 2 ? $# : 2 ))
triple="$(rustc -vV | sed -n 's/^host: //p')"
# The flags apply to the target triple only (hence --target): build scripts and proc macros must not
# be instrumented.
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks -Ccodegen-units=16"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release --target "$triple" --bin "$target"
mkdir -p "corpus/$target" "artifacts/$target"
if [ "$#" -gt 0 ] && [ -f "$1" ]; then
    exec "$CARGO_TARGET_DIR/$triple/release/$target" "$@"
fi
exec "$CARGO_TARGET_DIR/$triple/release/$target" -max_total_time="$seconds" -max_len=8192 \
    -artifact_prefix="artifacts/$target/" -print_final_stats=1 "$@" "corpus/$target" "seeds/$target"

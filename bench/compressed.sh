#!/usr/bin/env bash
# Compressed responses: nginx with `gzip on` serving a ~10 KB JSON list (pinned to CPU 0), oha and
# stressor with and without a body check (pinned to CPU 1): requests per generator CPU-second, and
# stressor's instructions per request under callgrind. Installs what is missing (nginx, valgrind, GNU
# time with apt-get; oha with cargo), builds the release binary, then runs bench/compressed.py. See
# bench/README.md (section `compressed.sh`).
#
# Usage: [ROUNDS=3] [MEASURE_SECONDS=10] [CALLGRIND=1] [SHORT=2] [LONG=6] bench/compressed.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

need_apt=()
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need_apt+=(nginx)
command -v taskset >/dev/null || need_apt+=(util-linux)
command -v valgrind >/dev/null || need_apt+=(valgrind)
[[ -x /usr/bin/time ]] || need_apt+=(time)
if ((${#need_apt[@]})); then
    SUDO=""; [[ $(id -u) == 0 ]] || SUDO=sudo
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi
export PATH="$PATH:/usr/sbin:$HOME/.cargo/bin"
command -v oha >/dev/null || cargo install oha --locked
cargo build --release -q
exec python3 bench/compressed.py "$@"

#!/usr/bin/env bash
# Side-by-side benchmark: stressor, wrk, oha and the original Python stressor against one target server
# (nginx with one worker, or `stressor serve` if it is faster) pinned to CPU 0, each generator pinned to
# CPU 1. Installs what is missing, builds the release binary, then runs bench/peers.py, which measures
# and writes bench/RESULTS.md. See bench/README.md (section `peers.sh`) for what is measured and how.
#
# CONCURRENCY=32,256,1000,5000 sweeps the number of connections and writes bench/RESULTS-concurrency.md
# (one table per mode: requests per generator CPU-second and added p99 per tool per concurrency).
#
# Usage: [ROUNDS=3] [MEASURE_SECONDS=10] [TOOLS=stressor,wrk,oha,h2load,original] [SERVER=auto] [CONCURRENCY=32]
#        [MODES=plain,tls,h2,tls-close] bench/peers.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

need_apt=()
command -v wrk >/dev/null || need_apt+=(wrk)
command -v h2load >/dev/null || need_apt+=(nghttp2-client)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need_apt+=(nginx)
command -v taskset >/dev/null || need_apt+=(util-linux)
command -v openssl >/dev/null || need_apt+=(openssl)
[[ -x /usr/bin/time ]] || need_apt+=(time)
command -v python3 >/dev/null || need_apt+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
if ((${#need_apt[@]})); then
    SUDO=""; [[ $(id -u) == 0 ]] || SUDO=sudo
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi
export PATH="$PATH:/usr/sbin:$HOME/.cargo/bin"

TOOLS=${TOOLS:-stressor,wrk,oha,h2load,original}
# oha: a Rust load generator, installed with cargo (several minutes the first time).
if [[ ,$TOOLS, == *,oha,* ]] && ! command -v oha >/dev/null; then
    cargo install oha --locked
fi

# The original stressor (Python, PyPI package `stressor`) in its own virtualenv.
if [[ ,$TOOLS, == *,original,* && ! -x bench/.venv/bin/stressor ]]; then
    python3 -m venv bench/.venv
    bench/.venv/bin/pip install -q stressor
fi

cargo build --release -q
export TOOLS
exec python3 bench/peers.py "$@"

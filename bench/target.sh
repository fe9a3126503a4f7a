# Sourced by the bench scripts: sets URL to the target they measure against. With TARGET=URL that is a
# server of your own; otherwise the built-in target (`$BIN serve`) is started in the background and
# stopped when the script exits. Needs BIN and OUT.
if [[ -n ${TARGET:-} ]]; then
    URL=$TARGET
else
    $BIN serve --port 0 >"$OUT/serve.out" 2>/dev/null &
    SERVE=$!
    trap 'kill $SERVE 2>/dev/null || true' EXIT
    for _ in $(seq 50); do grep -q listening "$OUT/serve.out" 2>/dev/null && break; sleep 0.1; done
    URL=$(sed -n 's/^listening on //p' "$OUT/serve.out")
fi

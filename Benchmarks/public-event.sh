#!/usr/bin/env bash
# Latency of GET /api/v1/public/events/{id} under load, on SQLite and on PostgreSQL: a release
# build serves the demo event and wrk drives it (100 connections, 10 s by default) from the same
# machine. Prints requests/s and the p50/p90/p99 latencies wrk reports.
source "$(dirname "$0")/../scripts/common.sh"

CONNECTIONS="${CONNECTIONS:-100}"
DURATION="${DURATION:-10s}"
THREADS="${THREADS:-2}"
ENGINES="${ENGINES:-sqlite postgres}"

release_platform wrk
WORK="$(mktemp -d /tmp/platform-bench.XXXXXX)"
SERVER=""
cleanup() {
    if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
    rm -rf "$WORK"
    stop_postgres
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

bench() {
    local engine="$1" url="$2" port event
    port="$(free_port)"
    export DATABASE_URL="$url" LOG_LEVEL=warning HOST=127.0.0.1 PORT="$port"
    event="$("$BIN" demo | grep -o 'evt_[0-9a-z]*' | head -n 1)"
    "$BIN" serve >"$WORK/server-$engine.log" 2>&1 &
    SERVER=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
    local target="http://127.0.0.1:$port/api/v1/public/events/$event"
    curl -sf "$target" >/dev/null
    wrk -t"$THREADS" -c"$CONNECTIONS" -d5s "$target" >/dev/null   # warm-up
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$target" >"$WORK/wrk-$engine.txt"
    kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
    local rps p50 p90 p99 errors
    rps="$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk-$engine.txt")"
    p50="$(awk '$1 == "50%" {print $2}' "$WORK/wrk-$engine.txt")"
    p90="$(awk '$1 == "90%" {print $2}' "$WORK/wrk-$engine.txt")"
    p99="$(awk '$1 == "99%" {print $2}' "$WORK/wrk-$engine.txt")"
    errors="$(grep -E 'Non-2xx|Socket errors' "$WORK/wrk-$engine.txt" | tr -s ' ' | paste -sd ';' || true)"
    printf '%-9s %10s req/s   p50 %-8s p90 %-8s p99 %-8s %s\n' "$engine" "$rps" "$p50" "$p90" "$p99" "${errors:-no errors}"
}

echo "GET /api/v1/public/events/{id}: $CONNECTIONS connections, $DURATION, wrk and server on the same $(nproc) cores"
for engine in $ENGINES; do
    case "$engine" in
        sqlite) bench sqlite "sqlite:$WORK/bench.sqlite" ;;
        postgres) start_postgres >/dev/null; bench postgres "$PG_URL" ;;
    esac
done

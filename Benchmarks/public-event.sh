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
cleanup() {
    stop_server
    rm -rf "$WORK"
    stop_postgres
}
trap cleanup EXIT

bench() {
    local engine="$1" target
    serve_demo "$engine" "$2"
    target="$DEMO_URL"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d5s "$target" >/dev/null   # warm-up
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$target" >"$WORK/wrk-$engine.txt"
    stop_server
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

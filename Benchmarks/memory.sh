#!/usr/bin/env bash
# Resident memory of a release `platform serve` (the demo event) on SQLite and on PostgreSQL:
# after start-up, with IDLE (1,000) keep-alive connections held open after one request each, and
# every 250,000 requests of `GET /api/v1/public/events/{id}` (wrk, 100 connections) up to TOTAL
# (1,000,000). Prints VmRSS (and VmHWM, the peak) at each step; the server and wrk share the cores.
source "$(dirname "$0")/../scripts/common.sh"

IDLE="${IDLE:-1000}"
TOTAL="${TOTAL:-1000000}"
STEP="${STEP:-250000}"
ENGINES="${ENGINES:-sqlite postgres}"

release_platform wrk
WORK="$(mktemp -d /tmp/platform-memory.XXXXXX)"
cleanup() {
    stop_server
    rm -rf "$WORK"
    stop_postgres
}
trap cleanup EXIT
rss() { awk '/^VmRSS/ {rss=$2} /^VmHWM/ {hwm=$2} END {printf "%.1f MB (peak %.1f MB)", rss/1024, hwm/1024}' "/proc/$SERVER/status"; }

# Opens IDLE connections, sends one request on each, reads its answer, and holds them open until
# told to stop (a line on stdin); prints "open N" once they are all established.
HOLDER='
import socket, sys
port, path, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
held = []
for _ in range(count):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int([line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")][0])
    while len(body) < length:
        body += s.recv(65536)
    held.append(s)
print(f"open {len(held)}", flush=True)
sys.stdin.readline()
'

measure() {
    local engine="$1" target served=0
    serve_demo "$engine" "$2"
    target="$DEMO_URL"
    echo "== $engine"
    echo "   started:                         $(rss)"
    mkfifo "$WORK/hold-$engine"
    python3 -c "$HOLDER" "$DEMO_PORT" "$DEMO_PATH" "$IDLE" <"$WORK/hold-$engine" >"$WORK/held-$engine" &
    local holder=$!
    exec 9>"$WORK/hold-$engine"
    for _ in $(seq 1 600); do grep -q open "$WORK/held-$engine" 2>/dev/null && break; sleep 0.1; done
    sleep 1
    echo "   $(cat "$WORK/held-$engine") idle keep-alive:       $(rss)"
    echo >&9; exec 9>&-; wait "$holder" || true
    sleep 1
    echo "   idle connections closed:         $(rss)"
    while [ "$served" -lt "$TOTAL" ]; do
        local seconds requests
        # About STEP requests: wrk runs for a time, so the first step measures the rate.
        seconds="${RATE_SECONDS:-30}"
        wrk -t2 -c100 -d"${seconds}s" "$target" >"$WORK/wrk.txt"
        requests="$(awk '/requests in/ {print $1}' "$WORK/wrk.txt")"
        served=$((served + requests))
        RATE_SECONDS=$(( (STEP * seconds / (requests > 0 ? requests : 1)) + 1 ))
        printf '   after %9d requests:       %s   (%s req/s)\n' "$served" "$(rss)" "$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")"
    done
    unset RATE_SECONDS
    stop_server
}

for engine in $ENGINES; do
    case "$engine" in
        sqlite) measure sqlite "sqlite:$WORK/memory.sqlite" ;;
        postgres) start_postgres >/dev/null; measure postgres "$PG_URL" ;;
    esac
done

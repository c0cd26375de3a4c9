#!/usr/bin/env bash
# The side-by-side with pretix on this machine, in one run: pretix (from PyPI, gunicorn with 2 sync
# workers) and the platform (release build) on one PostgreSQL cluster of their own, the same
# workload seeded in both (a live event, a hot item of 1,000 seats, 20,000 paid tickets) and the
# same load generator (Benchmarks/compare/loadgen.py) with the same client counts:
#   hot     orders on the hot item until sold out (CLIENTS, 32)
#   scan    first scans of the paid tickets (CLIENTS, SCAN_S seconds after WARM_S)
#   rescan  the same tickets scanned again
# after PRIME_S (5) seconds of first scans that are not measured (a server's first requests are slow),
# then the machine's reference on the same cluster (pgbench TPC-B, `platform-bench qr` on one core),
# RUNS times, and one table (Benchmarks/compare/summarize.py). The platform on SQLite is an extra
# column (SQLITE=0 leaves it out). Only one server runs at a time; the load generator, the server
# and PostgreSQL share the machine's cores, as in ../shared/pretix-bench.
#
# pretix's virtualenv (.build/pretix-venv) stays for the next run; the cluster (.build/compare)
# is made afresh and stopped at the end. Results: .build/compare/results.jsonl.
source "$(dirname "$0")/../scripts/common.sh"

RUNS="${RUNS:-3}"
CLIENTS="${CLIENTS:-32}"
SCAN_S="${SCAN_S:-30}"
WARM_S="${WARM_S:-3}"
PRIME_S="${PRIME_S:-5}"
TICKETS="${TICKETS:-20000}"
SQLITE="${SQLITE:-1}"
PRETIX_VERSION="${PRETIX_VERSION:-2026.8.0}"

# BIN_DIR runs binaries built elsewhere (an earlier commit's, for a before-and-after) instead.
if [ -n "${BIN_DIR:-}" ]; then
    ensure_packages postgresql python3-venv util-linux
    BIN="$BIN_DIR/platform" BENCH="$BIN_DIR/platform-bench"
else
    release_bench postgresql python3-venv util-linux
    release_platform
fi
HERE="$ROOT/Benchmarks/compare"
VENV="$ROOT/.build/pretix-venv"
DIR="$ROOT/.build/compare"
RESULTS="$DIR/results.jsonl"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"

cleanup() {
    stop_server
    if [ -f "$DIR/pgdata/postmaster.pid" ]; then pg_as "$PG_BIN/pg_ctl" -D "$DIR/pgdata" -m fast -w stop >/dev/null || true; fi
}
trap cleanup EXIT
wait_for() { for _ in $(seq 1 300); do curl -s -o /dev/null "$1" && return 0; sleep 0.2; done; echo "$1 did not answer" >&2; exit 1; }

# --- pretix, installed once
if ! "$VENV/bin/python" -c "import pretix, gunicorn; assert pretix.__version__ == '$PRETIX_VERSION'" 2>/dev/null; then
    echo "==> installing pretix $PRETIX_VERSION and gunicorn into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip wheel
    "$VENV/bin/pip" install -q "pretix==$PRETIX_VERSION" gunicorn
fi

# --- one PostgreSQL cluster for both, as ../shared/pretix-bench configures it (fsync on). With
# KEEP=1 a cluster seeded by an earlier run is started again instead (pretix's tokens not yet
# scanned stay in it), sparing pretix's migration and seeding (about 5 minutes).
start_cluster() {
    pg_as "$PG_BIN/pg_ctl" -D "$DIR/pgdata" -l "$DIR/pg/log" -w start >/dev/null
    PG_PORT="$(awk -F' = ' '$1 == "port" {print $2}' "$DIR/pgdata/postgresql.conf" | tail -n 1)"
    PSQL=("$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qAt)
}
export PRETIX_CONFIG_FILE="$DIR/pretix.cfg"
if [ -f "$DIR/pgdata/postmaster.pid" ]; then pg_as "$PG_BIN/pg_ctl" -D "$DIR/pgdata" -m fast -w stop >/dev/null || true; fi
if [ "${KEEP:-0}" = 1 ] && [ -f "$DIR/seeded" ]; then
    start_cluster
    PRETIX_PORT="$(awk -F: '/^url=/ {print $NF}' "$DIR/pretix.cfg")"
    rm -f "$RESULTS"
    echo "==> PostgreSQL on 127.0.0.1:$PG_PORT kept from an earlier run, $(wc -l <"$DIR/pretix-unscanned.txt") pretix tickets not yet scanned"
else
    rm -rf "$DIR"
    mkdir -p "$DIR/pg" "$DIR/data"
    PG_PORT="$(free_port)"
    PRETIX_PORT="$(free_port)"
    if [ "$(id -u)" -eq 0 ]; then chown -R postgres:postgres "$DIR/pg"; install -d -o postgres -g postgres "$DIR/pgdata"; fi
    pg_as "$PG_BIN/initdb" -D "$DIR/pgdata" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >> "$DIR/pgdata/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$DIR/pg'
max_connections = 300
shared_buffers = 1GB
effective_cache_size = 4GB
work_mem = 16MB
maintenance_work_mem = 256MB
wal_buffers = 16MB
max_wal_size = 4GB
checkpoint_completion_target = 0.9
CONF
    start_cluster
    "${PSQL[@]}" -c "create role pretix login password 'pretix'" -c "create database pretix owner pretix" \
        -c "create database platform" -c "create database pgbench"
    echo "==> PostgreSQL $("${PSQL[@]}" -c 'show server_version') on 127.0.0.1:$PG_PORT (fsync $("${PSQL[@]}" -c 'show fsync'), shared_buffers 1GB)"

    cat > "$PRETIX_CONFIG_FILE" <<CFG
[pretix]
instance_name=compare
url=http://127.0.0.1:$PRETIX_PORT
currency=EUR
datadir=$DIR/data
trust_x_forwarded_for=off
ecb_rates=off
loglevel=WARNING

[locale]
default=en
timezone=UTC

[database]
backend=postgresql
name=pretix
user=pretix
password=pretix
host=127.0.0.1
port=$PG_PORT

[mail]
from=compare@localhost
host=127.0.0.1
port=1

[django]
debug=off
secret=compare-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz
CFG
    echo "==> pretix: migrate, then $TICKETS paid orders"
    (cd "$DIR" && "$VENV/bin/python" -m pretix migrate >/dev/null)
    (cd "$DIR" && "$VENV/bin/python" "$HERE/pretix_fixtures.py" setup "$DIR/target-pretix.json" --port "$PRETIX_PORT")
    (cd "$DIR" && "$VENV/bin/python" "$HERE/pretix_fixtures.py" paid "$TICKETS" "$DIR/pretix-unscanned.txt")

    touch "$DIR/seeded"
fi

PLATFORM_PORT="$(free_port)"
# Each run sells a hot item of its own; with KEEP=1 earlier invocations' items are sold out already.
STAMP="$(date +%s)"
platform_url() { # engine run
    if [ "$1" = postgres ]; then echo "postgres://postgres@127.0.0.1:$PG_PORT/platform?sslmode=disable"; else echo "sqlite:$DIR/platform-$2.sqlite"; fi
}

start_pretix() {
    (cd "$DIR" && exec "$VENV/bin/gunicorn" pretix.wsgi --bind "127.0.0.1:$PRETIX_PORT" --workers 2 --worker-class sync \
        --timeout 120 --log-level warning) >>"$DIR/gunicorn.log" 2>&1 &
    SERVER=$!
    wait_for "http://127.0.0.1:$PRETIX_PORT/api/v1/"
}
start_platform() { # url
    DATABASE_URL="$1" HOST=127.0.0.1 PORT="$PLATFORM_PORT" LOG_LEVEL=warning SANDBOX_ENABLED=true SANDBOX_SECRET=compare-sandbox \
        TICKET_KEY_SECRET=bench-ticket-key-secret CHECKOUT_RATE_LIMIT=100000000 CHECKIN_RATE_LIMIT=1000000 \
        "$BIN" serve >>"$DIR/platform.log" 2>&1 &
    SERVER=$!
    wait_for "http://127.0.0.1:$PLATFORM_PORT/health"
}

# Runs the three workloads against the running server; $1 names the column, $2 is TARGET.json,
# $3 the unscanned tokens; $4 counts the hot item's taken seats.
workloads() {
    local column="$1" target="$2" tokens="$3" sold_command="$4" run="$5" line taken
    # A server just started answers its first requests slowly (pretix loads its plugins and
    # templates): both are primed with PRIME_S seconds of first scans, not measured.
    python3 "$HERE/loadgen.py" "$target" scan -c "$CLIENTS" -d "$PRIME_S" -w 0 --tokens "$tokens" --used "$DIR/primed.txt" >/dev/null
    grep -vxFf "$DIR/primed.txt" "$tokens" >"$DIR/left.txt" || true
    mv "$DIR/left.txt" "$tokens"
    line="$(python3 "$HERE/loadgen.py" "$target" hot -c "$CLIENTS" --max-s 600 --label "$column")"
    taken="$(eval "$sold_command")"
    python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r["taken_seats"]=int(sys.argv[2]); r["oversold"]=max(0,int(sys.argv[2])-1000); r["run"]=int(sys.argv[3]); print(json.dumps(r))' \
        "$line" "$taken" "$run" >>"$RESULTS"
    python3 "$HERE/loadgen.py" "$target" scan -c "$CLIENTS" -d "$SCAN_S" -w "$WARM_S" --tokens "$tokens" --used "$DIR/used.txt" \
        --label "$column" | python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); r["run"]=int(sys.argv[1]); print(json.dumps(r))' "$run" >>"$RESULTS"
    python3 "$HERE/loadgen.py" "$target" rescan -c "$CLIENTS" -d "$SCAN_S" -w "$WARM_S" --tokens "$DIR/used.txt" \
        --label "$column" | python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); r["run"]=int(sys.argv[1]); print(json.dumps(r))' "$run" >>"$RESULTS"
    python3 "$HERE/summarize.py" --recent 3 "$RESULTS"
}

"$PG_BIN/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U postgres -i -s 10 -q pgbench >/dev/null 2>&1
for run in $(seq 1 "$RUNS"); do
    echo "==> run $run of $RUNS"
    (cd "$DIR" && "$VENV/bin/python" "$HERE/pretix_fixtures.py" setup "$DIR/target-pretix.json" --port "$PRETIX_PORT" --hot "Hot-$STAMP-$run") >/dev/null
    start_pretix
    workloads pretix "$DIR/target-pretix.json" "$DIR/pretix-unscanned.txt" \
        "(cd '$DIR' && '$VENV/bin/python' '$HERE/pretix_fixtures.py' sold '$DIR/target-pretix.json')" "$run"
    grep -vxFf "$DIR/used.txt" "$DIR/pretix-unscanned.txt" >"$DIR/left.txt" || true
    mv "$DIR/left.txt" "$DIR/pretix-unscanned.txt"
    stop_server

    engines=(postgres)
    if [ "$SQLITE" = 1 ]; then engines+=(sqlite); fi
    for engine in "${engines[@]}"; do
        url="$(platform_url "$engine" "$run")"
        DATABASE_URL="$url" "$BENCH" fixtures --port "$PLATFORM_PORT" --target "$DIR/target-$engine.json" \
            --tokens "$DIR/platform-tokens.txt" --tickets "$TICKETS"
        start_platform "$url"
        workloads "platform-$engine" "$DIR/target-$engine.json" "$DIR/platform-tokens.txt" \
            "DATABASE_URL='$url' '$BENCH' sold '$DIR/target-$engine.json'" "$run"
        stop_server
    done

    tps="$("$PG_BIN/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U postgres -c 16 -j 2 -T 20 pgbench 2>/dev/null | awk '/^tps/ {print $3}')"
    qr="$(taskset -c 0 "$BENCH" qr --count 2000 | awk '/PNGs\/s on one core/ {print $1}')"
    echo "    machine: pgbench TPC-B $tps tps (16 clients, scale 10), platform-bench qr $qr PNGs/s on one core"
    printf '{"mode":"machine","run":%s,"pgbench_tps":%s,"qr_per_s":%s}\n' "$run" "$tps" "$qr" >>"$RESULTS"
done

python3 "$HERE/summarize.py" "$RESULTS"

# Shared by scripts/run and scripts/test: system packages, the Swift toolchain, the build.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs the named Debian packages that are missing; does nothing when all are present.
ensure_packages() {
    local missing=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "==> installing ${missing[*]}"
        as_root apt-get update -q
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
}

# The packages every build needs: time zone data for event time zones, CA certificates for
# provider APIs, pkg-config and the C libraries behind QR codes.
BUILD_PACKAGES=(tzdata ca-certificates pkg-config libqrencode-dev libpng-dev zlib1g-dev)

ensure_swift() {
    if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
        export PATH="/opt/swift/usr/bin:$PATH"
    fi
    command -v swift >/dev/null 2>&1 || { echo "swift is not installed (expected on PATH or in /opt/swift)" >&2; exit 1; }
}

# Installs what a build needs, makes a release build of `platform` and sets BIN to it.
release_platform() {
    ensure_packages "${BUILD_PACKAGES[@]}" "$@"
    ensure_swift
    swift build -c release --product platform >/dev/null
    BIN="$(swift build -c release --show-bin-path)/platform"
}

# The same for `platform-bench`, the benchmarks' executable; sets BENCH to it.
release_bench() {
    ensure_packages "${BUILD_PACKAGES[@]}" "$@"
    ensure_swift
    swift build -c release --product platform-bench >/dev/null
    BENCH="$(swift build -c release --show-bin-path)/platform-bench"
}

# The command that restarts the server start_postgres started, for a campaign's database restarts.
pg_restart_command() {
    local run=""
    if [ "$(id -u)" -eq 0 ]; then run="runuser -u postgres -- "; fi
    echo "$run$PG_BIN/pg_ctl -D $PG_DIR/data -m fast -w restart >/dev/null"
}

# A debug build of every executable (what the tests use), for the campaigns, which test
# correctness rather than speed; sets BENCH to `platform-bench` (`platform` is beside it).
debug_bench() {
    ensure_packages "${BUILD_PACKAGES[@]}" "$@"
    ensure_swift
    swift build >/dev/null
    BENCH="$(swift build --show-bin-path)/platform-bench"
}

# A free loopback TCP port, for a server a benchmark starts.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The server a benchmark started in the background (its pid in SERVER): stopped and waited for.
SERVER=""
stop_server() {
    if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; SERVER=""; fi
}

# Seeds the demo into the database at URL and serves it with $BIN in the background (its log in
# $WORK/server-ENGINE.log) until it answers: sets SERVER, DEMO_PORT, DEMO_PATH (the demo event's
# public page) and DEMO_URL.
serve_demo() { # ENGINE URL
    local event
    DEMO_PORT="$(free_port)"
    export DATABASE_URL="$2" LOG_LEVEL=warning HOST=127.0.0.1 PORT="$DEMO_PORT"
    event="$("$BIN" demo | grep -o 'evt_[0-9a-z]*' | head -n 1)"
    "$BIN" serve >"$WORK/server-$1.log" 2>&1 &
    SERVER=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$DEMO_PORT/health" >/dev/null && break; sleep 0.1; done
    DEMO_PATH="/api/v1/public/events/$event"
    DEMO_URL="http://127.0.0.1:$DEMO_PORT$DEMO_PATH"
    curl -sf "$DEMO_URL" >/dev/null
}

# Starts a throwaway PostgreSQL server on a free loopback port and sets PG_URL; it is stopped and
# its data removed when the calling script exits. initdb and pg_ctl refuse root, hence runuser.
PG_DIR=""
pg_as() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
stop_postgres() {
    if [ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ]; then
        pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null || true
    fi
    if [ -n "$PG_DIR" ]; then rm -rf "$PG_DIR"; fi
}
start_postgres() {
    ensure_packages postgresql
    PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    PG_DIR="$(mktemp -d /tmp/platform-pg.XXXXXX)"
    trap stop_postgres EXIT
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$PG_DIR"; fi
    local port
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 >/dev/null
    pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w start \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c max_connections=300 ${PG_EXTRA_OPTIONS:-}" >/dev/null
    PG_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
    echo "==> PostgreSQL on 127.0.0.1:$port"
}

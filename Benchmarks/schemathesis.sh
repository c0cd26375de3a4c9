#!/usr/bin/env bash
# The long hostile-input run of docs/reliability.md: schemathesis (from the test virtualenv)
# against the API document a served platform publishes, every operation, every check, as the
# demo organizer and as an admin, with EXAMPLES examples per operation and phase (the first
# argument, default 200; the test command runs 10). The rules a schema cannot state are the
# test's own: Tests/PlatformServerTests/Python/schemathesis.toml; Benchmarks/schemathesis-config.py adds
# the demo's resources as path parameters. PHASES picks phases (default: all four).
# Exits 1 on any 5xx or mismatch.
source "$(dirname "$0")/../scripts/common.sh"

EXAMPLES="${1:-200}"
debug_bench
BIN="$(dirname "$BENCH")/platform"
VENV="$ROOT/.venv"
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
"$VENV/bin/pip" install -q --disable-pip-version-check -r "$ROOT/scripts/requirements-test.txt"

WORK="$(mktemp -d /tmp/platform-schemathesis.XXXXXX)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export DATABASE_URL="sqlite:$WORK/platform.sqlite" MAIL_OUTBOX_DIR="$WORK/outbox" TICKET_KEY_FILE="$WORK/ticket-key.secret"
export HOST=127.0.0.1 PORT BASE_URL="http://127.0.0.1:$PORT" LOG_LEVEL=error
export CHECKOUT_RATE_LIMIT=1000000 SIGN_IN_RATE_LIMIT=1000000 CHECKIN_RATE_LIMIT=1000000
DEMO="$("$BIN" demo --payout)"
ADMIN="$(echo "$DEMO" | sed -n 's/^ *Admin key: *//p')"
ORGANIZER="$(echo "$DEMO" | sed -n 's/^ *Organizer key: *//p')"
"$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do curl -sf "$BASE_URL/health" >/dev/null && break; sleep 0.1; done
# The test's rules, and the demo's resources as the path parameters (else most calls stop at 404).
ORGANIZER_KEY="$ORGANIZER" ADMIN_KEY="$ADMIN" "$VENV/bin/python" "$ROOT/Benchmarks/schemathesis-config.py" "$BASE_URL" \
    "$ROOT/Tests/PlatformServerTests/Python/schemathesis.toml" "$WORK/schemathesis.toml"

STATUS=0
for who in organizer admin; do
    key="$ORGANIZER"; [ "$who" = admin ] && key="$ADMIN"
    echo "== schemathesis as the $who, $EXAMPLES examples per operation and phase"
    "$VENV/bin/schemathesis" --config-file "$WORK/schemathesis.toml" run \
        "$BASE_URL/api/v1/openapi.json" -H "Authorization: Bearer $key" --checks all --max-examples "$EXAMPLES" \
        --phases "${PHASES:-examples,coverage,fuzzing,stateful}" --no-color || STATUS=1
done
if grep -q '"level":"error"' "$WORK/server.log"; then echo "the server logged errors:" >&2; grep '"level":"error"' "$WORK/server.log" | head -20 >&2; STATUS=1; fi
exit $STATUS

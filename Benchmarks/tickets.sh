#!/usr/bin/env bash
# `platform-bench qr` and `platform-bench verify` (one core, no database work in the loop), and
# `platform-bench scan` on SQLite and on a throwaway PostgreSQL, with a release build.
source "$(dirname "$0")/../scripts/common.sh"

release_bench

echo "== one core"
env -u DATABASE_URL "$BENCH" qr
env -u DATABASE_URL "$BENCH" verify

echo "== SQLite"
env -u DATABASE_URL "$BENCH" scan "$@"

start_postgres >/dev/null
echo "== PostgreSQL (same machine)"
DATABASE_URL="$PG_URL&pool_size=8" "$BENCH" scan "$@"

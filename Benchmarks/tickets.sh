#!/usr/bin/env bash
# `platform bench qr` and `platform bench verify` (one core, no database work in the loop), and
# `platform bench scan` on SQLite and on a throwaway PostgreSQL, with a release build.
source "$(dirname "$0")/../scripts/common.sh"

release_platform

echo "== one core"
env -u DATABASE_URL "$BIN" bench qr
env -u DATABASE_URL "$BIN" bench verify

echo "== SQLite"
env -u DATABASE_URL "$BIN" bench scan "$@"

start_postgres >/dev/null
echo "== PostgreSQL (same machine)"
DATABASE_URL="$PG_URL&pool_size=8" "$BIN" bench scan "$@"

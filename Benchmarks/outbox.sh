#!/usr/bin/env bash
# `platform-bench outbox`: order confirmations (with their tickets' QR codes) sent through the
# Resend plugin to a fake Resend in the same process, on SQLite and on a throwaway PostgreSQL.
source "$(dirname "$0")/../scripts/common.sh"

release_bench

echo "== SQLite"
env -u DATABASE_URL "$BENCH" outbox "$@"

start_postgres >/dev/null
echo "== PostgreSQL (same machine)"
DATABASE_URL="$PG_URL&pool_size=8" "$BENCH" outbox "$@"

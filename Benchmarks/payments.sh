#!/usr/bin/env bash
# `platform-bench checkout` and `platform-bench webhooks` on SQLite and on a throwaway PostgreSQL,
# with a release build. Extra arguments go to both benchmarks (e.g. --clients 50).
source "$(dirname "$0")/../scripts/common.sh"

release_bench

echo "== SQLite"
env -u DATABASE_URL "$BENCH" checkout "$@"
env -u DATABASE_URL "$BENCH" webhooks "$@"

start_postgres >/dev/null
echo "== PostgreSQL (same machine)"
DATABASE_URL="$PG_URL&pool_size=40" "$BENCH" checkout "$@"
DATABASE_URL="$PG_URL&pool_size=40" "$BENCH" webhooks "$@"

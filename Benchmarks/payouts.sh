#!/usr/bin/env bash
# `platform-bench payouts`: paid orders generated straight into the database (1,000,000 across
# 10,000 organizers unless told otherwise), then the hold release scan, a dry and a real payout
# run through the Sandbox, and the settlement of every payout, on SQLite and on a throwaway
# PostgreSQL. Arguments go to the benchmark: --orders N --organizers N --verify.
source "$(dirname "$0")/../scripts/common.sh"

release_bench

echo "== SQLite"
env -u DATABASE_URL "$BENCH" payouts "$@"

start_postgres >/dev/null
echo "== PostgreSQL (same machine)"
DATABASE_URL="$PG_URL&pool_size=8" "$BENCH" payouts "$@"

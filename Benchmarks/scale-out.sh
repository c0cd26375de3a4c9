#!/usr/bin/env bash
# The scale-out campaign (docs/scaling.md, docs/reliability.md): three `platform serve` processes,
# every worker running in each, on one throwaway PostgreSQL, behind the campaign's round-robin
# buyers: 1,000 end-to-end flows, payout runs asked of all three at once, then the crash campaign's
# checks and that no webhook, email, expiry or payout was handled twice. Then the same with 10
# SIGKILLs. Extra arguments go to both runs.
source "$(dirname "$0")/../scripts/common.sh"

debug_bench
start_postgres >/dev/null
STATUS=0
echo "== scale-out campaign: 3 servers, one PostgreSQL"
DATABASE_URL="$PG_URL" "$BENCH" campaign --flows 1000 --kills 0 --servers 3 "$@" || STATUS=1
echo "== scale-out campaign: 3 servers, 10 of them killed along the way"
DATABASE_URL="$PG_URL" "$BENCH" campaign --flows 1000 --kills 10 --servers 3 "$@" || STATUS=1
exit $STATUS

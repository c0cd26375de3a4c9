#!/usr/bin/env bash
# The crash campaign (docs/reliability.md): 1,000 end-to-end flows while `platform serve` is killed
# with SIGKILL 20 times at random moments and started again, on SQLite and on a throwaway
# PostgreSQL; then every promise is checked and the counts printed; then PostgreSQL restarted 5
# times under the same load (requests answer 503, the server reconnects). Exits 1 if one is broken.
# Extra arguments go to both runs (e.g. --flows 200 --kills 5, or --logs DIR to keep the logs).
source "$(dirname "$0")/../scripts/common.sh"

debug_bench
STATUS=0
echo "== crash campaign, SQLite"
env -u DATABASE_URL "$BENCH" campaign --flows 1000 --kills 20 "$@" || STATUS=1

start_postgres >/dev/null
echo "== crash campaign, PostgreSQL"
DATABASE_URL="$PG_URL" "$BENCH" campaign --flows 1000 --kills 20 "$@" || STATUS=1

echo "== outage campaign: PostgreSQL restarted 5 times under load"
DATABASE_URL="$PG_URL" "$BENCH" campaign --flows 1000 --kills 0 --database-restarts 5 --restart-database "$(pg_restart_command)" "$@" || STATUS=1
exit $STATUS

#!/bin/sh
# Due timers on a private PostgreSQL cluster (nothing else writes to it) with three checkpoint
# settings; synchronous_commit stays on in all:
#   default  the server's defaults (max_wal_size 1GB, checkpoint_timeout 5min);
#   small    max_wal_size 64MB: a run of a minute writes several times that, so checkpoints are
#            requested back to back, as the defaults' 1 GB is under a sustained rate for hours;
#   tuned    the settings docs/operations.md suggests for a high write rate.
# Prints run.py's line for each, with the WAL written and the checkpoints taken. Run as root from
# the repository root (the cluster runs as the postgres user):
#
#     sh bench/paging/pg_settings.sh [TIMERS] [ENGINES]
set -eu
TIMERS=${1:-40000}
ENGINES=${2:-4}
BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PORT=${PG_PORT:-55432}
DIR=$(mktemp -d /tmp/wk-pg-settings-XXXXXX)
chown postgres "$DIR"
as_postgres() { su postgres -s /bin/sh -c "$*"; }
as_postgres "$BIN/initdb -D $DIR/data -A trust -U postgres" >/dev/null
trap 'as_postgres "$BIN/pg_ctl -D $DIR/data stop -m fast" >/dev/null 2>&1 || true; rm -rf "$DIR"' EXIT
TUNED="-c max_wal_size=8GB -c min_wal_size=1GB -c checkpoint_timeout=15min -c checkpoint_completion_target=0.9 -c wal_compression=on"
SMALL="-c max_wal_size=64MB -c min_wal_size=32MB"
for profile in ${PROFILES:-default small tuned}; do
    options="-p $PORT -c listen_addresses=127.0.0.1 -c synchronous_commit=on"
    [ "$profile" = tuned ] && options="$options $TUNED"
    [ "$profile" = small ] && options="$options $SMALL"
    as_postgres "$BIN/pg_ctl -D $DIR/data -l $DIR/$profile.log -o '$options' -w start" >/dev/null
    printf '%s: ' "$profile"
    WATCHKEEPER_DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/postgres" \
        .venv/bin/python bench/paging/run.py timers --timers "$TIMERS" --engines "$ENGINES" --db postgres
    as_postgres "$BIN/pg_ctl -D $DIR/data stop -m fast" >/dev/null
done

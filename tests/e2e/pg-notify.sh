#!/bin/sh
# tests/e2e/notify.sh on a PostgreSQL store: the outbox, the state and
# the failure pairs on the other backend, through the same scenario (the
# receiver down, kill -9, the event delivered once after the restart).
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
. tests/pg-lib.sh
plan "$(sh tests/e2e/notify.sh --plan)"
pg_start
uri=$(pg_createdb notify)
NOTIFY_DB=$uri sh tests/e2e/notify.sh

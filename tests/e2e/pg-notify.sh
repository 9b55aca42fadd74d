#!/bin/sh
# tests/e2e/notify.sh on a PostgreSQL store: the outbox, the state and
# the failure pairs on the other backend, through the same scenario (the
# receiver down, kill -9, the event delivered once after the restart).
. tests/lib.sh
. tests/pg-lib.sh
pg_start
uri=$(pg_createdb notify)
NOTIFY_DB=$uri sh tests/e2e/notify.sh

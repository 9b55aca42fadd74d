# Helpers for the PostgreSQL end-to-end scripts (tests/e2e/pg-*.sh):
# sourced after tests/lib.sh (and tests/daemon-lib.sh when a daemon is
# used), never run. pg_start makes a throwaway cluster in its own folder,
# listening on a unix socket there only (no port taken), owned by the
# postgres user when run as root (initdb refuses root); it is stopped and
# removed at exit. Without PostgreSQL (or when the cluster cannot be
# made) the checks left are skipped with the reason (skip_rest
# postgresql): counted as skipped, a failure on CI unless
# ALLOW_SKIP=postgresql. Each script's cluster has a folder and socket of
# its own, no TCP port: scripts run side by side.
PGBIN=
for d in /usr/lib/postgresql/*/bin; do
	[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && PGBIN=$d
done
PGD=

pg_skip() {
	skip_rest postgresql "$*"
}

# pg_as COMMAND...: run as the cluster's owner.
pg_as() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_cleanup() {
	if command -v d_cleanup >/dev/null 2>&1; then
		d_cleanup
	fi
	if [ -n "$PGD" ] && [ -d "$PGD/data" ]; then
		pg_as "$PGBIN/pg_ctl" -D "$PGD/data" -m immediate stop \
		    >/dev/null 2>&1
	fi
	[ -n "$PGD" ] && rm -rf "$PGD"
	rm -rf "$T"
}
trap pg_cleanup EXIT
trap 'exit 1' INT TERM

# pg_start: initdb and start; PGD is the folder (socket, data, log).
pg_start() {
	[ -n "$PGBIN" ] || pg_skip "PostgreSQL is not installed" \
	    "(scripts/deps.sh installs the postgresql package)"
	if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
		pg_skip "no postgres user to run the test cluster as"
	fi
	PGD=$(mktemp -d "${TMPDIR:-/tmp}/tlsrpt-pg.XXXXXX")
	chmod 755 "$PGD"
	[ "$(id -u)" -eq 0 ] && chown postgres "$PGD"
	if ! pg_as "$PGBIN/initdb" -D "$PGD/data" -A trust -U postgres \
	    -E UTF8 --no-sync >"$PGD/initdb.log" 2>&1; then
		sed 's/^/#   /' "$PGD/initdb.log" | tail -5
		pg_skip "initdb failed"
	fi
	pg_ctl_start || pg_skip "the test cluster does not start"
}

pg_ctl_start() {
	pg_as "$PGBIN/pg_ctl" -D "$PGD/data" -l "$PGD/log" -w -t 30 \
	    -o "-k $PGD -c listen_addresses= -c max_connections=50" \
	    start >/dev/null 2>&1
}

# pg_stop: a fast shutdown (the connections are cut).
pg_stop() {
	pg_as "$PGBIN/pg_ctl" -D "$PGD/data" -m fast -w stop >/dev/null 2>&1
}

# pg_uri NAME: the URI of database NAME in the test cluster.
pg_uri() {
	echo "postgresql:///$1?host=$PGD&user=postgres"
}

# pg_createdb NAME: a new empty database; prints its URI.
pg_createdb() {
	"$PGBIN/createdb" -h "$PGD" -U postgres "$1" || return 1
	pg_uri "$1"
}

# psql_q NAME QUERY: one query, unaligned, no headers.
psql_q() {
	"$PGBIN/psql" -X -q -A -t -h "$PGD" -U postgres -d "$1" -c "$2"
}

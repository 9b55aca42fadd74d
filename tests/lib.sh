# Helpers for the end-to-end scripts: sourced, never run.
# Each check prints "ok - name" or "not ok - name" (counted by run.sh).
# $O is the build folder; $T a scratch folder removed at exit; $SAMPLES the
# real-world samples when ../shared/samples exists, else empty.
O=${O:-build}
BIN=$(cd "$O" && pwd)
TOP=$(pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/tlsrpt-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
SAMPLES=
[ -d ../shared/samples ] && SAMPLES=$(cd ../shared/samples && pwd)
# When fixtures/reports count as received (tlsrpt-import --received): the
# date-range fixtures are written around it (tests/unit/received.h).
FIXTURES_RECEIVED=2026-03-10T00:00:00Z

pass() { echo "ok - $*"; }
fail() { echo "not ok - $*"; }

# check NAME COMMAND...: ok when the command succeeds.
check() {
	name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

# check_eq NAME GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1"
		echo "#   got:  $2"
		echo "#   want: $3"
	fi
}

# sql DB QUERY: one query through the sqlite3 shell.
sql() { sqlite3 -batch -noheader "$1" "$2"; }

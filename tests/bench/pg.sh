#!/bin/sh
# The PostgreSQL column of `make bench`: the import of the report files
# (tlsrpt-import --db) and the summary, each beside the same on SQLite,
# on a throwaway cluster (tests/pg-lib.sh). Loading 1,000,000 reports
# into PostgreSQL takes too long for a benchmark run, so the summary is
# compared on a smaller store (PG_SUMMARY_REPORTS, 100,000 reports across
# 1,000 domains) made the same way on both backends. Without PostgreSQL it
# says "# skipped" and exits 0.
#
#   O=build BENCH_DIR=build/bench sh tests/bench/pg.sh
set -u
O=${O:-build}
BENCH_DIR=${BENCH_DIR:-$O/bench}
R=${PG_SUMMARY_REPORTS:-100000}
DOMS=${PG_SUMMARY_DOMAINS:-1000}
BIN=$(cd "$O" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/tlsrpt-bench.XXXXXX")
. tests/pg-lib.sh
pg_start

now() { date +%s.%N; }
# calc EXPR: a floating point expression of numbers.
calc() { awk "BEGIN { print $1 }"; }

# import SPEC: seconds for tlsrpt-import of the report files into SPEC.
import() {
	t0=$(now)
	"$BIN/tlsrpt-import" --db "$1" "$BENCH_DIR/corpus/files" > "$T/out" 2>&1 ||
	    echo "# tlsrpt-import --db ${1%%\?*} exited $?" >&2
	t1=$(now)
	calc "$t1 - $t0"
}

[ -d "$BENCH_DIR/corpus/files" ] ||
    "$BIN/bench/bench-import" "$BIN" "$BENCH_DIR/corpus" > /dev/null
n=$(ls "$BENCH_DIR/corpus/files" | wc -l)
rm -f "$T/import.db"
ts=$(import "$T/import.db")
tp=$(import "$(pg_createdb import)")
echo "import bench, SQLite and PostgreSQL: $n report files, durable"
printf '  %-40s %12s %12s\n' "" SQLite PostgreSQL
printf '  %-40s %10.0f/s %10.0f/s\n' "files: tlsrpt-import" \
    "$(calc "$n / $ts")" "$(calc "$n / $tp")"
printf '  %-40s %12s %12s\n' "reports stored" \
    "$(sqlite3 "$T/import.db" 'select count(*) from report')" \
    "$(psql_q import 'select count(*) from report')"

# The summary on the same smaller store, both backends.
echo "# summary on PostgreSQL: a store of $R reports across $DOMS domains" \
    "(1,000,000 take too long to load), beside SQLite's of the same size"
"$BIN/bench/bench-summary" "$BENCH_DIR/summary-$R.db" "$R" "$DOMS" \
    > "$T/s.sqlite" 2> "$T/s.err" || { cat "$T/s.err"; exit 1; }
t0=$(now)
"$BIN/bench/bench-summary" "$(pg_createdb summary)" "$R" "$DOMS" \
    > "$T/s.pg" 2> "$T/s.err" || { cat "$T/s.err"; exit 1; }
t1=$(now)
echo "# PostgreSQL store loaded and read in $(printf '%.0f' "$(calc "$t1 - $t0")") s"
# field LABEL FILE: the tlsrptd figure of a line of bench-summary.
field() {
	grep -F "$1" "$2" | sed "s/^ *$1 *//" | awk '{ print $1 }'
}
echo "summary bench, SQLite and PostgreSQL: $R reports, $DOMS domains"
printf '  %-34s %10s %10s %10s %10s\n' "" SQLite "(floor)" PostgreSQL "(floor)"
for l in "one domain, 14 days (median of 21)" "one domain, slowest of 21"; do
	printf '  %-34s %10s %10s %10s %10s\n' "$l" \
	    "$(field "$l" "$T/s.sqlite")" \
	    "$(grep -F "$l" "$T/s.sqlite" | sed "s/^ *$l *//" | awk '{ print $2 }')" \
	    "$(field "$l" "$T/s.pg")" \
	    "$(grep -F "$l" "$T/s.pg" | sed "s/^ *$l *//" | awk '{ print $2 }')"
done
l="every domain, 14 days"
printf '  %-34s %10s %10s %10s\n' "$l" "$(field "$l" "$T/s.sqlite")" "" \
    "$(field "$l" "$T/s.pg")"
l="domains summarised:"
printf '  %-34s %10s %10s %10s\n' "domains summarised" \
    "$(field "$l" "$T/s.sqlite")" "" "$(field "$l" "$T/s.pg")"

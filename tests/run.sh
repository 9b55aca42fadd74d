#!/bin/sh
# The suite: every unit test (build/tests/t-*), the fixture driver and every
# end-to-end script (tests/e2e/*.sh). Each prints TAP-like "ok" / "not ok"
# lines; this counts them and closes with "N passed, N failed".
# Run from the project root; O names the build folder (default build).
set -u
O=${O:-build}
export O
top=$(pwd)
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run() {
	name=$1
	shift
	echo "# $name"
	out=$("$@" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	printf '%s\n' "$out" >> "$log"
	if [ $rc -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^not ok'; then
		# A crash or an early exit counts as a failure of its own.
		echo "not ok - $name exited with status $rc"
		echo "not ok - $name exited with status $rc" >> "$log"
	fi
}

for t in "$O"/tests/t-*; do
	[ -x "$t" ] || continue
	run "$(basename "$t")" "$t"
done
run fixtures sh tests/fixtures.sh
for t in tests/e2e/*.sh; do
	[ -e "$t" ] || continue
	run "$(basename "$t" .sh)" sh "$t"
done

passed=$(grep -c '^ok' "$log")
failed=$(grep -c '^not ok' "$log")
echo
grep '^not ok' "$log" | sed 's/^/FAILED: /'
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/bin/sh
# The fuzz targets' entry points, built without libFuzzer ($O/tests/fuzz-*,
# tests/fuzz/standalone.c), replayed over their seed corpus and the crash
# regressions of fixtures/fuzz/regressions/: one line per target. Nothing
# is compiled here; make fuzz is what searches for new failures.
. tests/lib.sh
. tests/fuzz/seeds.sh
plan $(ls tests/fuzz/fuzz-*.c | wc -l)

for src in tests/fuzz/fuzz-*.c; do
	t=$(basename "$src" .c)
	if [ ! -x "$BIN/tests/$t" ]; then
		fail "$t: $O/tests/$t not built (make tests)"
		continue
	fi
	# shellcheck disable=SC2046
	out=$("$BIN/tests/$t" $(fuzz_seeds "$t") 2>"$T/$t.err")
	rc=$?
	if [ $rc -eq 0 ]; then
		pass "$t: $out, no crash"
	else
		fail "$t: exit $rc"
		tail -20 "$T/$t.err" | sed 's/^/#   /'
	fi
done

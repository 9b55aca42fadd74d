#!/bin/sh
# The fuzz targets' entry points, built without libFuzzer but with ASan and
# UBSan ($O/fuzz-san/tests/fuzz-*, tests/fuzz/standalone.c, make tests),
# replayed over their seed corpus and the crash regressions of
# fixtures/fuzz/regressions/ (its README says how a crash lands there):
# one line per target. A read past an input, a leak or undefined behaviour
# fails the target as in make fuzz. Nothing is compiled here; make fuzz is
# what searches for new failures.
. tests/lib.sh
. tests/fuzz/seeds.sh

# One check per target, and one on the regressions' folders.
targets=$(ls tests/fuzz/fuzz-*.c | wc -l | tr -d ' ')
plan $((targets + 1))
REPLAY=$BIN/fuzz-san/tests
ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:allocator_may_return_null=1
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS UBSAN_OPTIONS

# Every file in regressions/ belongs to a target, or it is never replayed.
stray=$(find fixtures/fuzz/regressions -mindepth 1 -maxdepth 1 \
    ! -name README | while read -r d; do
	[ -d "$d" ] && [ -f "tests/fuzz/fuzz-$(basename "$d").c" ] ||
	    echo "$d"
done)
check_eq "every folder of fixtures/fuzz/regressions/ names a fuzz target" \
    "$stray" ""

for src in tests/fuzz/fuzz-*.c; do
	t=$(basename "$src" .c)
	if [ ! -x "$REPLAY/$t" ]; then
		fail "$t: $O/fuzz-san/tests/$t not built (make tests)"
		continue
	fi
	# shellcheck disable=SC2046
	out=$("$REPLAY/$t" $(fuzz_seeds "$t") 2>"$T/$t.err")
	rc=$?
	r=fixtures/fuzz/regressions/${t#fuzz-}
	nr=0
	[ -d "$r" ] && nr=$(find "$r" -type f | wc -l | tr -d ' ')
	if [ $rc -eq 0 ]; then
		pass "$t under ASan and UBSan: $out ($nr regressions), no crash"
	else
		fail "$t under ASan and UBSan: exit $rc"
		{
			grep 'Running: ' "$T/$t.err" | tail -1
			grep -E 'ERROR: |runtime error' "$T/$t.err" | head -3
			grep -m 6 -E '^ +#[0-9]+ ' "$T/$t.err"
			grep 'SUMMARY: ' "$T/$t.err" | head -1
		} | sed 's/^/#   /'
	fi
done

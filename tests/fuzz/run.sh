#!/bin/sh
# make fuzz: run each libFuzzer target for FUZZ_SECONDS (default 60) from a
# copy of its seed corpus, and fail when any of them found a crash, a leak,
# a timeout or ran out of memory. Run from the project root:
#   tests/fuzz/run.sh BUILD-FOLDER fuzz-decode fuzz-report ...
# New inputs go to BUILD-FOLDER/corpus/<target>/, what failed to
# BUILD-FOLDER/artifacts/<target>/, the full output to BUILD-FOLDER/logs/.
set -u
. tests/fuzz/seeds.sh

O=$1
shift
secs=${FUZZ_SECONDS:-60}
failed=

for t in "$@"; do
	corpus=$O/corpus/$t
	art=$O/artifacts/$t
	log=$O/logs/$t.log
	rm -rf "$corpus" "$art"
	mkdir -p "$corpus" "$art" "$O/logs"
	for s in $(fuzz_seeds "$t"); do
		[ -e "$s" ] && cp -R "$s" "$corpus/$(echo "$s" | tr / _)"
	done
	echo "# $t: $secs s from $(find "$corpus" -type f | wc -l) seeds"
	ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    "$O/fuzz/$t" -max_total_time="$secs" -rss_limit_mb=2048 \
	    -timeout=10 -detect_leaks=1 -print_final_stats=1 \
	    -artifact_prefix="$art/" "$corpus" > "$log" 2>&1
	rc=$?
	# libFuzzer's closing lines: runs, coverage, corpus.
	grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1
	grep -E '^Done [0-9]+ runs' "$log" | tail -1
	if [ $rc -eq 0 ]; then
		echo "ok - $t"
	else
		echo "not ok - $t (exit $rc; see $log)"
		grep -E 'ERROR: |SUMMARY: |runtime error|Test unit written' \
		    "$log" | head -20 | sed 's/^/#   /'
		failed="$failed $t"
	fi
done

if [ -n "$failed" ]; then
	echo "fuzz: failed:$failed"
	exit 1
fi
echo "fuzz: every target ran $secs s without a failure"

#!/bin/sh
# The suite: every unit test (tests/unit/t-*.c, built as $O/tests/t-*),
# the fixture driver (tests/fixtures.sh) and every end-to-end script
# (tests/e2e/*.sh), up to JOBS at a time, each script's output kept
# together and printed in that order. Closes with
# "N passed, N failed, N skipped". tests/README says how a script must
# behave to pass here.
#
#   tests/run.sh [--quick] [NAME...]     from the project root
#
# --quick (or QUICK=1) leaves out the scripts marked "runner: slow"; NAMEs
# (t-store, fixtures, daemon-http) run only those. Environment:
#   O             the build folder (build)
#   JOBS          scripts at once (twice the number of CPUs: most of
#                 them wait on a daemon, a lock or a clock)
#   TEST_TIMEOUT  seconds a script may run before it is killed (300)
#   CI=true       a skipped check of a main feature (postgresql, live,
#                 chromium, root) fails...
#   ALLOW_SKIP    ...unless named here (ALLOW_SKIP="chromium live")
#
# A script fails when it prints no plan ("1..N") or one after its first
# check, fewer or more checks than its plan (each missing one counts as
# failed), a "not ok", exits non-zero or runs past TEST_TIMEOUT. A skip
# is printed as "ok # skip FEATURE: reason", or "# skip rest FEATURE:
# reason" for the rest of the plan; skips are counted, never silent.
set -u
O=${O:-build}
export O
JOBS=${JOBS:-$((2 * $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)))}
TEST_TIMEOUT=${TEST_TIMEOUT:-300}
QUICK=${QUICK:-0}
MAIN="postgresql live chromium root"
ALLOW_SKIP=${ALLOW_SKIP:-}
case ${CI:-} in true|1|yes) ci=1 ;; *) ci=0 ;; esac
# A test runs the same under make check as on its own: no jobserver.
unset MAKEFLAGS MFLAGS MAKELEVEL 2>/dev/null

while [ $# -gt 0 ]; do
	case $1 in
	-q|--quick) QUICK=1 ;;
	-h|--help) sed -n '2,24s/^# \{0,1\}//p' "$0"; exit 0 ;;
	-*) echo "run.sh: unknown option $1; see tests/run.sh --help" >&2
	    exit 64 ;;
	*) break ;;
	esac
	shift
done
case $JOBS in ''|*[!0-9]*|0) JOBS=1 ;; esac
case $TEST_TIMEOUT in ''|*[!0-9]*|0)
	echo "run.sh: TEST_TIMEOUT=$TEST_TIMEOUT is not a number of seconds" >&2
	exit 64 ;;
esac
if [ ! -f tests/lib.sh ]; then
	echo "run.sh: run it from the project root" >&2
	exit 64
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tlsrpt-run.XXXXXX") || exit 1

# tags FILE: the words of its "runner:" line (slow, alone), if any.
tags() {
	sed -n '1,40s/^\(#\| \*\|\/\*\) runner: \([a-z ,]*\).*/\2/p' "$1" |
	    tr ',' ' '
}

# The list, in the order the results are printed: INDEX NAME KIND TAGS.
n=0
: > "$tmp/list"
add() { # NAME KIND SOURCE [ONLY]: ONLY the names asked for, if any
	t=" $(tags "$3") "
	if [ $# -gt 3 ] && [ -n "$4" ]; then
		case " $4 " in *" $1 "*) ;; *) return ;; esac
	fi
	if [ "$QUICK" = 1 ]; then
		case $t in *" slow "*)
			echo "$1" >> "$tmp/left-out"
			return ;;
		esac
	fi
	n=$((n + 1))
	echo "$n $1 $2 $t" >> "$tmp/list"
}
only="$*"
for src in tests/unit/t-*.c; do
	[ -e "$src" ] && add "$(basename "$src" .c)" unit "$src" "$only"
done
add fixtures fixtures tests/fixtures.sh "$only"
for src in tests/e2e/*.sh; do
	[ -e "$src" ] && add "$(basename "$src" .sh)" e2e "$src" "$only"
done
if [ -n "$only" ]; then
	for w in $only; do
		grep -q "^[0-9]* $w " "$tmp/list" || {
			echo "run.sh: no test named $w" >&2
			rm -rf "$tmp"
			exit 64
		}
	done
fi

# The verdict on one script's output: its counts, what is wrong with it.
cat > "$tmp/verdict.awk" <<'AWK'
function feature(s) {
	sub(/^[ \t]+/, "", s)
	if (match(s, /^[A-Za-z0-9_.-]+:/))
		return tolower(substr(s, 1, RLENGTH - 1))
	return "unnamed"
}
function reason(s) {
	sub(/^[ \t]+/, "", s)
	sub(/^[A-Za-z0-9_.-]+:[ \t]*/, "", s)
	return s
}
function prob(s) {
	problems++
	print "not ok - " name ": " s
	print name ": " s >> failfile
}
/^1\.\.[0-9]+/ {
	plans++
	if (plans == 1) {
		planned = substr($0, 4) + 0
		late = results
		if (planned == 0 &&
		    match($0, /#[ \t]*[Ss][Kk][Ii][Pp]([ \t:]|$)/)) {
			s = substr($0, RSTART + RLENGTH)
			allfeat = feature(s)
			why[allfeat] = reason(s)
		}
	}
	next
}
/^not ok([ \t]|$)/ {
	results++
	failed++
	print name ": " $0 >> failfile
	next
}
/^ok([ \t]|$)/ {
	results++
	if (match($0, /#[ \t]*[Ss][Kk][Ii][Pp]([ \t:]|$)/)) {
		s = substr($0, RSTART + RLENGTH)
		f = feature(s)
		skipped[f]++
		why[f] = reason(s)
		nskip++
	} else
		passed++
	next
}
/^# skip rest / {
	s = substr($0, 13)
	restfeat = feature(s)
	why[restfeat] = reason(s)
	next
}
END {
	results += 0
	passed += 0
	failed += 0
	nskip += 0
	missing = 0
	if (plans == 0) {
		prob("prints no plan: a script prints 1..N, N the checks it " \
		    "runs, before its first check (tests/README)")
	} else if (plans > 1) {
		prob("prints " plans " plans, not one")
	} else if (late > 0 && kind != "unit") {
		prob("prints its plan after " late " checks: it must come " \
		    "first (tests/README)")
	}
	if (plans >= 1) {
		if (allfeat != "") {
			skipped[allfeat]++
			nskip++
		}
		if (results < planned && restfeat != "" && rc == 0 && !timedout) {
			skipped[restfeat] += planned - results
			nskip += planned - results
		} else if (results < planned) {
			missing = planned - results
			prob("printed " results " of the " planned " checks of " \
			    "its plan: " missing " counted failed")
		} else if (results > planned) {
			prob("printed " results " checks, more than the " \
			    planned " of its plan")
		}
	}
	if (timedout)
		prob("killed after " limit " s (TEST_TIMEOUT=" limit ")")
	else if (rc != 0)
		prob("exited with status " rc)
	cifail = 0
	for (f in skipped) {
		if (ci && index(" " main " ", " " f " ") && \
		    !index(" " allow " ", " " f " ")) {
			prob("skipped " skipped[f] " " f " checks on CI (" why[f] \
			    "): install what they need, or set ALLOW_SKIP=" f)
			cifail += skipped[f]
			nskip -= skipped[f]
		} else
			print f, skipped[f], name, why[f] >> skipfile
	}
	failed += missing + cifail
	if (problems && failed == 0)
		failed = 1
	printf "# %s: %d passed, %d failed, %d skipped in %.1f s\n", name, \
	    passed, failed, nskip, ms / 1000
	print passed + 0, failed + 0, nskip + 0 > resfile
}
AWK

# The slots: a token per job that may run, read before a start and
# written back at the end (fd 9, closed in the tests).
mkfifo "$tmp/slots" || exit 1
exec 9<>"$tmp/slots"
i=0
while [ $i -lt "$JOBS" ]; do
	echo >&9
	i=$((i + 1))
done

stop_all() {
	for f in "$tmp"/*.pid; do
		[ -e "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null
	done
	wait
	rm -rf "$tmp"
	exit 130
}
trap stop_all INT TERM HUP

# start INDEX NAME KIND TAGS: take a slot (all of them for "alone") and
# run the test in the background under timeout, which kills its whole
# process group at TEST_TIMEOUT (the scripts' traps clean up).
start() {
	slots=1
	case " $4 " in *" alone "*) slots=$JOBS ;; esac
	k=0
	while [ $k -lt $slots ]; do
		read -r _ <&9
		k=$((k + 1))
	done
	case $3 in
	unit) set -- "$1" "$2" "$slots" "$O/tests/$2" ;;
	fixtures) set -- "$1" "$2" "$slots" sh tests/fixtures.sh ;;
	e2e) set -- "$1" "$2" "$slots" sh "tests/e2e/$2.sh" ;;
	esac
	(
		j=$1 slots=$3
		shift 3
		t0=$(date +%s%N)
		if [ -x "$1" ] || [ "$1" = sh ]; then
			timeout -k 10 "$TEST_TIMEOUT" "$@" > "$tmp/$j.out" 2>&1 \
			    < /dev/null 9>&- &
			echo $! > "$tmp/$j.pid"
			wait $!
			rc=$?
		else
			echo "# $1 is not built (make tests)" > "$tmp/$j.out"
			rc=127
		fi
		t1=$(date +%s%N)
		rm -f "$tmp/$j.pid"
		echo "$rc $(( (t1 - t0) / 1000000 ))" > "$tmp/$j.rc.new"
		mv "$tmp/$j.rc.new" "$tmp/$j.rc"
		k=0
		while [ $k -lt "$slots" ]; do
			echo >&9
			k=$((k + 1))
		done
	) &
	eval "pid_$1=\$!"
}

passed=0 failed=0 skipped=0
: > "$tmp/failed"
: > "$tmp/skipped"
# report INDEX: the output of a finished test, and its verdict.
report() {
	set -- $(sed -n "$1p" "$tmp/list")
	read -r rc ms < "$tmp/$1.rc"
	timedout=0
	if { [ "$rc" = 124 ] || [ "$rc" = 137 ]; } &&
	    [ "$ms" -ge $((TEST_TIMEOUT * 1000)) ]; then
		timedout=1
	fi
	echo "# $2"
	cat "$tmp/$1.out"
	awk -v name="$2" -v kind="$3" -v rc="$rc" -v ms="$ms" \
	    -v timedout=$timedout -v limit="$TEST_TIMEOUT" -v ci=$ci \
	    -v main="$MAIN" -v allow="$(echo "$ALLOW_SKIP" | tr ',' ' ')" \
	    -v failfile="$tmp/failed" -v skipfile="$tmp/skipped" \
	    -v resfile="$tmp/$1.res" -f "$tmp/verdict.awk" "$tmp/$1.out"
	read -r p f s < "$tmp/$1.res"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	rm -f "$tmp/$1.out"
}

# Scripts marked alone start first, while nothing else runs; then those
# marked slow, so that the last to end are short ones; the rest in order.
t_start=$(date +%s)
echo "# $n tests, $JOBS at a time, each printed whole in this order as it ends"
{
	grep ' alone ' "$tmp/list"
	grep -v ' alone ' "$tmp/list" | grep ' slow '
	grep -v -e ' alone ' -e ' slow ' "$tmp/list"
} > "$tmp/order"
next=1
while read -r idx name kind tags; do
	start "$idx" "$name" "$kind" "$tags"
	while [ $next -le $n ] && [ -e "$tmp/$next.rc" ]; do
		report $next
		next=$((next + 1))
	done
done < "$tmp/order"
while [ $next -le $n ]; do
	eval "wait \$pid_$next"
	report $next
	next=$((next + 1))
done
exec 9>&-
t_end=$(date +%s)

echo
if [ -s "$tmp/left-out" ]; then
	echo "# quick: left out the slow $(tr '\n' ' ' < "$tmp/left-out")"
fi
if [ -s "$tmp/skipped" ]; then
	# FEATURE COUNT NAME REASON...: one line per feature.
	sort "$tmp/skipped" | awk '
	    { c[$1] += $2; if (!($1 in w)) { r = $0; sub(/^[^ ]* [^ ]* [^ ]* /, "", r); w[$1] = r }
	      if (index(" " s[$1] " ", " " $3 " ") == 0) s[$1] = s[$1] " " $3 }
	    END { for (f in c) printf "# skipped %d %s checks (%s): %s\n", c[f], f, substr(s[f], 2), w[f] }' |
	    sort
fi
sed 's/^/FAILED: /' "$tmp/failed"
echo "# $n scripts in $((t_end - t_start)) s, $JOBS at a time"
echo "$passed passed, $failed failed, $skipped skipped"
rm -rf "$tmp"
[ "$failed" -eq 0 ]

#!/bin/sh
# Every option a program's --help names is in its man page, and every man
# page renders without a warning: what a user reads agrees with what the
# program takes.
. tests/lib.sh
plan 12

for p in tlsrptd:8 tlsrpt-import:1 tlsrpt-summary:1 tlsrpt-check:1; do
	name=${p%:*}
	page=man/$name.${p#*:}
	missing=
	for o in $("$BIN/$name" --help 2>&1 |
	    grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
		# In roff a dash is written \- ; either spelling counts.
		roff=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
		grep -q -e "$roff" -e "$o" "$page" || missing="$missing $o"
	done
	check_eq "$name: every option of --help is in $page" "$missing" ""
	check "$name: --help names at least one option" sh -c \
	    "'$BIN/$name' --help 2>&1 | grep -q -- '--'"
	warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 \
	    > /dev/null)
	check_eq "$page renders without a warning" "$warn" ""
done

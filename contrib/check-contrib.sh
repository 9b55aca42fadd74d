#!/bin/sh
# Check the MTA and MDA snippets and the systemd unit of contrib/ with the
# real tools, where they are installed (Debian: postfix, dovecot-sieve,
# procmail, systemd). TAP: the number of checks first ("1..14"), then one
# line per check: "ok - ...", "not ok - ...", or, when its tool is
# missing, "ok # skip TOOL: how to install it". Exit 1 if any failed.
#
#   contrib/check-contrib.sh
set -u

cd "$(dirname "$0")/.." || exit 1
failed=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

pass() { echo "ok - $1"; }
fail() { echo "not ok - $1"; failed=1; }
# skip COUNT TOOL: REASON: the checks of a tool that is not installed.
skip() {
	i=0
	while [ $i -lt "$1" ]; do
		echo "ok # skip $2"
		i=$((i + 1))
	done
}

echo "1..14"

# --- Postfix: master.cf service and the main.cf lines of its comment. ---
if command -v postconf > /dev/null 2>&1; then
	mkdir "$tmp/postfix"
	cp contrib/postfix/master.cf.example "$tmp/postfix/master.cf"
	: > "$tmp/postfix/main.cf"
	if out=$(postconf -c "$tmp/postfix" -M tlsrpt/unix 2> "$tmp/err") &&
	    [ ! -s "$tmp/err" ] &&
	    printf '%s\n' "$out" | grep -q 'pipe flags=Rq user=tlsrpt argv=.*tlsrpt-import .* -$'; then
		pass "postfix: master.cf.example is a valid pipe service"
	else
		fail "postfix: master.cf.example: $(cat "$tmp/err")"
	fi

	# The main.cf lines shown in the comment, uncommented.
	sed -n '/# \/etc\/postfix\/main.cf/,/^#$/p' \
	    contrib/postfix/master.cf.example |
	    sed -n 's/^#  *\([a-z_]* = .*\)$/\1/p' > "$tmp/postfix/main.cf"
	if [ -s "$tmp/postfix/main.cf" ] &&
	    postconf -c "$tmp/postfix" -n > /dev/null 2> "$tmp/err" &&
	    [ ! -s "$tmp/err" ]; then
		pass "postfix: the main.cf lines of the comment are known parameters"
	else
		fail "postfix: main.cf lines: $(cat "$tmp/err")"
	fi
else
	skip 2 "postfix: postconf not installed (apt-get install postfix)"
fi

# --- Dovecot Pigeonhole: compile the script with the pipe extension. ---
if command -v sievec > /dev/null 2>&1; then
	cat > "$tmp/dovecot.conf" <<EOF
plugin {
  sieve_plugins = sieve_extprograms
  sieve_global_extensions = +vnd.dovecot.pipe
  sieve_pipe_bin_dir = $tmp
}
EOF
	if sievec -c "$tmp/dovecot.conf" contrib/dovecot/tlsrpt.sieve \
	    "$tmp/tlsrpt.svbin" > "$tmp/err" 2>&1; then
		pass "dovecot: tlsrpt.sieve compiles with vnd.dovecot.pipe"
	else
		fail "dovecot: tlsrpt.sieve: $(cat "$tmp/err")"
	fi
else
	skip 1 "dovecot: sievec not installed (apt-get install dovecot-sieve)"
fi

# --- procmail: run the recipe with a stand-in for tlsrpt-import. ---
if command -v procmail > /dev/null 2>&1; then
	# procmail clears the environment: the stand-in reads its exit
	# code from a file.
	printf '#!/bin/sh\ncat > /dev/null\nexit $(cat "%s/stub-rc")\n' \
	    "$tmp" > "$tmp/stub"
	chmod 755 "$tmp/stub"
	sed "s|/usr/local/bin/tlsrpt-import|$tmp/stub|" \
	    contrib/procmail/procmailrc.example > "$tmp/procmailrc"
	chmod 600 "$tmp/procmailrc"

	# stand-in exit, message, procmail exit wanted, copy in DEFAULT?
	while read -r rc msg want kept what; do
		echo "$rc" > "$tmp/stub-rc"
		rm -f "$tmp/mbox"
		procmail -m DEFAULT="$tmp/mbox" "$tmp/procmailrc" \
		    < "fixtures/mail/$msg" 2> "$tmp/err"
		got=$?
		have=no
		[ -f "$tmp/mbox" ] && have=yes
		if [ "$got" = "$want" ] && [ "$have" = "$kept" ]; then
			pass "procmail: $what"
		else
			fail "procmail: $what (exit $got, in mailbox: $have)"
		fi
	done <<EOF
0 google-multipart.eml 0 no accepted report is delivered
75 google-multipart.eml 75 no busy store: exit 75, the MTA defers
65 single-part.eml 0 no rejected report counts as delivered
64 crlf.eml 75 no a broken setup defers too
75 text-only.eml 0 yes a message that is no report is left alone
EOF
else
	skip 5 "procmail: procmail not installed (apt-get install procmail)"
fi

# --- systemd: the unit's sandbox, as systemd-analyze rates it. ---
if command -v systemd-analyze > /dev/null 2>&1; then
	unit=contrib/systemd/tlsrptd.service
	out=$(systemd-analyze security --offline=true "$unit" 2> "$tmp/err")
	score=$(printf '%s\n' "$out" |
	    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	if [ -n "$score" ] &&
	    awk -v s="$score" 'BEGIN { exit !(s <= 1.5) }'; then
		pass "systemd: tlsrptd.service exposure $score (1.5 or better)"
	else
		fail "systemd: tlsrptd.service exposure ${score:-unknown}, over 1.5"
	fi
	# A misspelt directive is only a warning: none may be there.
	if grep -q -i -e 'unknown' -e 'failed to parse' -e 'invalid' \
	    "$tmp/err"; then
		fail "systemd: tlsrptd.service: $(cat "$tmp/err")"
	else
		pass "systemd: every directive of tlsrptd.service is known"
	fi
	for d in 'MemoryMax=' 'ProtectProc=invisible' 'ProcSubset=pid' \
	    'SystemCallFilter=~@privileged @resources'; do
		if grep -q "^$d" "$unit"; then
			pass "systemd: $d"
		else
			fail "systemd: no $d in tlsrptd.service"
		fi
	done
else
	skip 6 "systemd: systemd-analyze not installed"
fi

exit $failed

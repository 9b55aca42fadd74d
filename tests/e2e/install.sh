#!/bin/sh
# make install honours PREFIX and DESTDIR, and what it installs runs.
. tests/lib.sh
# One check per man page, as make install copies them.
pages=$(ls man/*.1 man/*.5 man/*.8 | wc -l)
plan $((11 + pages))
make -s install O="$O" DESTDIR="$T/root" PREFIX=/usr > "$T/install.log" 2>&1
check_eq "make install DESTDIR=... PREFIX=/usr: exit 0" "$?" 0
for f in usr/bin/tlsrpt-import usr/bin/tlsrpt-summary usr/sbin/tlsrptd \
    usr/share/man/man1/tlsrpt-import.1 usr/share/man/man1/tlsrpt-summary.1 \
    usr/share/man/man5/tlsrptd.conf.5 usr/share/man/man8/tlsrptd.8 \
    usr/share/tlsrptd/schema/sqlite/001-initial.sql; do
	check "installed $f" test -s "$T/root/$f"
done
"$T/root/usr/bin/tlsrpt-summary" --version | grep -q '^tlsrpt-summary '
check_eq "the installed tlsrpt-summary runs" "$?" 0
"$T/root/usr/sbin/tlsrptd" --version | grep -q '^tlsrptd '
check_eq "the installed tlsrptd runs" "$?" 0
if command -v man >/dev/null 2>&1; then
	for m in "$T"/root/usr/share/man/man*/*; do
		MANWIDTH=80 man -l "$m" 2>"$T/manerr" | grep -q '^NAME'
		rc=$?
		check "man page renders without warnings: $(basename "$m")" \
		    test $rc -eq 0 -a ! -s "$T/manerr"
	done
else
	skip "$pages" man "man is not installed"
fi

#!/bin/sh
# make install honours PREFIX and DESTDIR, and what it installs runs: the
# programs, the man pages, the systemd unit with the PREFIX's paths, and
# the example config as /etc/tlsrptd.conf, made once, never overwritten.
. tests/lib.sh
# One check per man page, as make install copies them.
pages=$(ls man/*.1 man/*.5 man/*.8 | wc -l)
plan $((29 + pages))
make -s install O="$O" DESTDIR="$T/root" PREFIX=/usr > "$T/install.log" 2>&1
check_eq "make install DESTDIR=... PREFIX=/usr: exit 0" "$?" 0
for f in usr/bin/tlsrpt-import usr/bin/tlsrpt-summary usr/sbin/tlsrptd \
    usr/share/man/man1/tlsrpt-import.1 usr/share/man/man1/tlsrpt-summary.1 \
    usr/share/man/man5/tlsrptd.conf.5 usr/share/man/man8/tlsrptd.8 \
    usr/share/tlsrptd/schema/sqlite/001-initial.sql; do
	check "installed $f" test -s "$T/root/$f"
done
# Run where there is no store: --version and --help say theirs and stop.
for p in bin/tlsrpt-import bin/tlsrpt-summary bin/tlsrpt-check sbin/tlsrptd; do
	(cd "$T" && "$T/root/usr/$p" --version > "$T/v.out" 2> "$T/v.err")
	rc=$?
	check "the installed $(basename $p) --version: exit 0, its version only" \
	    test $rc -eq 0 -a ! -s "$T/v.err" -a \
	    "$(cut -d' ' -f1 "$T/v.out")" = "$(basename $p)"
done
(cd "$T" && "$T/root/usr/bin/tlsrpt-summary" --help > "$T/v.out" 2> "$T/v.err")
rc=$?
check "tlsrpt-summary --help: exit 0, the usage only" \
    test $rc -eq 0 -a ! -s "$T/v.err" -a "$(head -c 22 "$T/v.out")" = "usage: tlsrpt-summary "

# The unit: where systemd looks for a package's units, naming the
# programs where PREFIX=/usr put them.
unit="$T/root/usr/lib/systemd/system/tlsrptd.service"
check_eq "the unit's ExecStart: PREFIX's tlsrptd, the config in /etc" \
    "$(grep '^ExecStart' "$unit")" \
    "ExecStartPre=/usr/sbin/tlsrptd -n --config /etc/tlsrptd.conf
ExecStart=/usr/sbin/tlsrptd --foreground --config /etc/tlsrptd.conf"
check_eq "... and no line of it names /usr/local" \
    "$(grep -c '/usr/local' "$unit")" 0
if command -v systemd-analyze > /dev/null 2>&1; then
	# Verified in a root of its own: the installed tree, the system's
	# units (the targets the unit names) and kill (ExecReload).
	units=
	for dir in /usr/lib/systemd/system /lib/systemd/system; do
		[ -f "$dir/sysinit.target" ] && units=$dir && break
	done
	mkdir -p "$T/verify"
	cp -a "$T/root/." "$T/verify/"
	mkdir -p "$T/verify/bin"
	cp -n "$units"/*.target "$units"/*.service "$T/verify/usr/lib/systemd/system/" 2>/dev/null
	cp /bin/kill "$T/verify/bin/kill"
	systemd-analyze verify --man=no --root="$T/verify" tlsrptd.service \
	    > "$T/verify.out" 2>&1
	rc=$?
	sed 's/^/#   /' "$T/verify.out"
	check "systemd-analyze verify: the unit, as installed, has no error or warning" \
	    test $rc -eq 0 -a ! -s "$T/verify.out"
else
	skip 1 systemd "systemd-analyze is not installed (apt-get install systemd)"
fi

# The config: the example, root:tlsrpt 0640 (the group when it exists).
conf="$T/root/etc/tlsrptd.conf"
check "the example config installed as /etc/tlsrptd.conf" \
    cmp -s contrib/tlsrptd.conf.example "$conf"
check "... and beside the schema, for later versions to compare" \
    cmp -s contrib/tlsrptd.conf.example "$T/root/usr/share/tlsrptd/tlsrptd.conf.example"
check_eq "... mode 0640: no one but root and its group reads it" \
    "$(stat -c %a "$conf")" 640
if getent group tlsrpt > /dev/null 2>&1; then
	check_eq "... group tlsrpt, who runs the service and the MTA's pipe" \
	    "$(stat -c %G "$conf")" tlsrpt
else
	check "... no group tlsrpt here: the install says to chgrp it" \
	    grep -q "no group tlsrpt here yet: once it exists, chgrp tlsrpt $conf" "$T/install.log"
fi
"$T/root/usr/sbin/tlsrptd" -n --config "$conf" > "$T/n.out" 2>&1
check "tlsrptd -n reads it (and names what is to do: the certificate)" \
    grep -q "tlsrptd: .*/etc/tlsrptd/cert.pem" "$T/n.out"

# The modes the docs give, as the service's user meets them: nobody in
# tlsrpt's place, its group in tlsrpt's.
if [ "$(id -u)" -eq 0 ] && id nobody > /dev/null 2>&1 &&
    command -v setpriv > /dev/null 2>&1; then
	chmod 755 "$T" "$T/root" "$T/root/etc"
	as_service() {
		setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
		    "$T/root/usr/sbin/tlsrptd" -n --config "$conf" > "$T/n.out" 2>&1
		grep -q "$1" "$T/n.out"
	}
	chgrp "$(id -g nobody)" "$conf"
	check "root:GROUP 0640: the service's user reads it (tlsrptd -n)" \
	    as_service "tlsrptd: .*/etc/tlsrptd/cert.pem"
	chgrp root "$conf"
	check "root:root 0640: the service's user cannot, and -n says what to do" \
	    as_service "Permission denied; this user may not read it: make it root:tlsrpt, mode 0640"
	# The MTA's pipe, as the same user: tlsrpt-import says the same.
	setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
	    "$T/root/usr/bin/tlsrpt-import" --config "$conf" - < /dev/null \
	    > "$T/i.out" 2>&1
	check "... and so does tlsrpt-import, the MTA's pipe" \
	    grep -q "Permission denied; this user may not read it" "$T/i.out"
else
	skip 3 root "not root, or no user nobody or setpriv: no other user to read as"
fi

# An admin's config survives the next install, a link in its place too.
echo "# edited" >> "$conf"
cp "$conf" "$T/edited"
make -s install O="$O" DESTDIR="$T/root" PREFIX=/usr > "$T/install2.log" 2>&1
check_eq "make install again: exit 0" "$?" 0
check "... the edited config is kept" cmp -s "$T/edited" "$conf"
check "... and the install says so" grep -q "$conf exists: kept" "$T/install2.log"
mv "$conf" "$T/root/etc/tlsrptd.conf.real"
ln -s tlsrptd.conf.real "$conf"
make -s install O="$O" DESTDIR="$T/root" PREFIX=/usr > /dev/null 2>&1
check_eq "... a link in its place is kept, and what it points to" \
    "$(readlink "$conf") $(cmp -s "$T/edited" "$T/root/etc/tlsrptd.conf.real" && echo same)" \
    "tlsrptd.conf.real same"

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

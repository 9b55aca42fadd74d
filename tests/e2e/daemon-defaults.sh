#!/bin/sh
# `make run`: tlsrptd with no config file makes a self-signed certificate
# under ./var/ on first start, keeps the store and a maildir there, and
# prints the next steps (a curl command posting a report of yesterday,
# the summary command, the page), each working as printed; and with a
# real config it prints none of them; plain HTTP behind a
# proxy, where X-Forwarded-For counts only from trusted-proxies; IPv6.
. tests/lib.sh
. tests/daemon-lib.sh
plan 27

mkdir -p "$T/run"
cd "$T/run" || exit 1
if ! start_daemon; then
	fail "daemon starts on the embedded defaults"
	cat "$T/daemon.log"
	exit 1
fi
pass "daemon starts on the embedded defaults"
check "self-signed certificate made in var/tls" test -s var/tls/cert.pem -a -s var/tls/key.pem
check_eq "key readable by its owner only" "$(stat -c %a var/tls/key.pem)" 600
openssl x509 -noout -text -in var/tls/cert.pem > "$T/x509" 2>&1
check "certificate for localhost" grep -q 'CN *= *localhost' "$T/x509"
check "certificate names 127.0.0.1 and ::1" grep -q 'IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1' "$T/x509"
check "store in var/" test -f var/tlsrpt.db
check "maildir in var/" test -d var/maildir/new -a -d var/maildir/cur -a -d var/maildir/tmp
check "start prints the URL" grep -q "senders post to https://127.0.0.1:$PORT/v1/tlsrpt" "$T/daemon.out"
cmd=$(grep '^  curl ' "$T/daemon.out")
check "start prints a curl command" test -n "$cmd"
code=$(eval "$cmd -s -o /dev/null -w '%{http_code}'")
check_eq "the printed curl command: 201" "$code" 201
# The next step as printed: the summary counts the demo report, dated
# yesterday, in today's window.
sum=$(grep '^  .*tlsrpt-summary --db ' "$T/daemon.out" | sed 's/^  //')
check "start prints the summary command with its --db" \
    test -n "$sum" -a -x "${sum%% *}"
out=$(eval "$sum --format json")
check_eq "the printed summary: one domain, one report, in today's window" \
    "$(echo "$out" | python3 -c 'import json, sys; d = json.load(sys.stdin)["domains"]; print(len(d), d[0]["domain"], d[0]["reports"], d[0]["days_with_reports"])')" \
    "1 demo.example 1 1"
page=$(sed -n 's/^  the action plan page: //p' "$T/daemon.out")
check_eq "the printed page URL answers" \
    "$(curl -s -o /dev/null -w '%{http_code}' "$page")" 200
fp1=$(fingerprint var/tls/cert.pem)
stop_daemon
check_eq "SIGTERM: exit 0" "$?" 0
start_daemon
check_eq "second start keeps the certificate" "$(fingerprint var/tls/cert.pem)" "$fp1"
stop_daemon
cd "$TOP" || exit 1

# A real config: no demo, no first steps on standard output.
printf 'database = %s/real.db\nmaildir =\n' "$T" > "$T/real.conf"
: > "$T/daemon.out"
start_daemon --config "$T/real.conf" || { fail "daemon starts on a config"; exit 1; }
check "a real config prints no demo" sh -c "! grep -q 'Try it' '$T/daemon.out'"
stop_daemon

# Plain HTTP behind a proxy: the peer is 127.0.0.1, trusted.
cat > "$T/plain.conf" <<CONF
database = $T/plain.db
trusted-proxies = 10.0.0.0/8, 127.0.0.1
CONF
start_daemon --config "$T/plain.conf" || { fail "plain daemon starts"; exit 1; }
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/tlsrpt+gzip' \
    -H 'X-Forwarded-For: 198.51.100.7, 10.1.2.3' -A 'test-sender/1.0' \
    --data-binary @fixtures/reports/accept/gzip.json.gz "http://127.0.0.1:$PORT/v1/tlsrpt")
check_eq "plain HTTP: 201" "$code" 201
check_eq "X-Forwarded-For from a trusted proxy: the client behind it" \
    "$(sql "$T/plain.db" "select source || ' ' || peer || ' ' || user_agent from payload")" \
    "http 198.51.100.7 test-sender/1.0"
stop_daemon

# The same with the proxy not trusted: the header is ignored.
printf 'database = %s/plain2.db\ntrusted-proxies = 192.0.2.1\n' "$T" > "$T/plain2.conf"
start_daemon --config "$T/plain2.conf" || { fail "plain daemon starts"; exit 1; }
curl -s -o /dev/null -H 'Content-Type: application/tlsrpt+gzip' \
    -H 'X-Forwarded-For: 198.51.100.7' \
    --data-binary @fixtures/reports/accept/gzip.json.gz "http://127.0.0.1:$PORT/v1/tlsrpt"
check_eq "X-Forwarded-For from anyone else: ignored" \
    "$(sql "$T/plain2.db" "select peer from payload")" "127.0.0.1"
stop_daemon

# IPv6 loopback, when the machine has it.
if [ -s /proc/net/if_inet6 ] && grep -q '^00000000000000000000000000000001' /proc/net/if_inet6; then
	p6=$(( ( $(od -An -N2 -tu2 /dev/urandom) % 20000 ) + 20000 ))
	start_daemon --config "$T/plain2.conf" --listen "[::1]:$p6" || { fail "IPv6 daemon starts"; exit 1; }
	code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/tlsrpt+json' \
	    --data-binary @fixtures/reports/accept/plain-rfc.json "http://[::1]:$p6/v1/tlsrpt")
	check_eq "IPv6 listener: 201" "$code" 201
	check_eq "IPv6 peer stored" \
	    "$(sql "$T/plain2.db" "select peer from payload order by id desc limit 1")" "::1"
	stop_daemon
else
	skip 2 ipv6 "no ::1 on this machine"
fi

# -n checks what the start needs of the file system, as the daemon's user.
printf 'database = %s/nowhere/db\nmaildir =\n' "$T" > "$T/n1.conf"
"$BIN/tlsrptd" -n --config "$T/n1.conf" > /dev/null 2> "$T/n1.err"
check_eq "-n: a database folder that does not exist: exit 66" "$?" 66
check "... naming it" grep -q "database $T/nowhere/db: $T/nowhere: No such file" "$T/n1.err"
printf 'database = %s/n2.db\nmaildir = %s/md-parent/none/md\n' "$T" "$T" > "$T/n2.conf"
"$BIN/tlsrptd" -n --config "$T/n2.conf" > /dev/null 2> "$T/n2.err"
check_eq "-n: a maildir whose parent does not exist: exit 71" "$?" 71
if [ "$(id -u)" -eq 0 ] && id nobody > /dev/null 2>&1; then
	mkdir "$T/rootonly"
	chmod 755 "$T"
	printf 'database = %s/rootonly/db\nmaildir =\nuser = nobody\n' "$T" > "$T/n3.conf"
	"$BIN/tlsrptd" -n --config "$T/n3.conf" > /dev/null 2> "$T/n3.err"
	check_eq "-n as root, user = nobody, a folder only root may write: exit 66" "$?" 66
	check "... naming the user" grep -q 'as user nobody' "$T/n3.err"
else
	skip 2 root "-n as another user: not root"
fi
printf 'database = %s/n4.db\nmaildir =\n' "$T" > "$T/n4.conf"
check "-n: a folder that can be written: ok" sh -c \
    "'$BIN/tlsrptd' -n --config '$T/n4.conf' | grep -q 'ok$'"

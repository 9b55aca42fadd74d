#!/bin/sh
# tlsrptd's life: options and -n, SIGHUP reloading the certificate while
# an upload is in flight (it completes; new handshakes see the new
# certificate), a bad certificate on reload (the old one stays), SIGTERM
# while posts are in flight (each completes, then exit 0; new connections
# are refused).
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
. tests/daemon-lib.sh
plan 29

acc=fixtures/reports/accept
d="$BIN/tlsrptd"

# Options and config checks.
out=$("$d" --bogus 2>&1); rc=$?
check_eq "unknown option: exit 64" "$rc" 64
check_eq "unknown option: one line naming it" "$out" \
    "tlsrptd: unknown option --bogus; see tlsrptd --help"
out=$("$d" --listen 2>&1); rc=$?
check_eq "option without its value: exit 64" "$rc" 64
"$d" --help | grep -q '^usage: tlsrptd'; check_eq "--help" "$?" 0
"$d" --version | grep -q '^tlsrptd [0-9]'; check_eq "--version" "$?" 0
printf 'database = %s/db\n# fine so far\nmax-body = lots\n' "$T" > "$T/bad.conf"
out=$("$d" -n --config "$T/bad.conf" 2>&1); rc=$?
check_eq "-n with a bad value: exit 78" "$rc" 78
check "-n names file and line" sh -c "echo '$out' | grep -q 'bad.conf:3: max-body'"
printf 'databse = x\n' > "$T/typo.conf"
out=$("$d" -n --config "$T/typo.conf" 2>&1); rc=$?
check_eq "-n with an unknown key: exit 78" "$rc" 78
check "-n names the key and line" sh -c "echo '$out' | grep -q 'typo.conf:1: unknown setting \"databse\"'"
printf 'trusted-proxies = 10.0.0.0/8 nonsense\n' > "$T/proxy.conf"
"$d" -n --config "$T/proxy.conf" 2>"$T/err"; rc=$?
check_eq "-n with a bad trusted-proxies: 78" "$rc" 78
check "-n names the bad proxy" grep -q 'trusted-proxies: "nonsense"' "$T/err"
sed "/^tls-/d; s|/var/lib/tlsrptd|$T|" contrib/tlsrptd.conf.example > "$T/ex.conf"
"$d" -n --config "$T/ex.conf" >/dev/null; rc=$?
check_eq "-n on contrib/tlsrptd.conf.example: 0" "$rc" 0
make_cert a
make_cert b
printf 'database = %s/db\ntls-cert = %s/a.crt\ntls-key = %s/b.key\n' "$T" "$T" "$T" > "$T/mismatch.conf"
"$d" -n --config "$T/mismatch.conf" 2>"$T/err"; rc=$?
check_eq "-n with a key of another certificate: 78" "$rc" 78
check "-n says the key does not belong" grep -q 'does not belong' "$T/err"

# The daemon on certificate a, served from files we swap later.
cp "$T/a.crt" "$T/cert.pem"
cp "$T/a.key" "$T/key.pem"
cat > "$T/tlsrptd.conf" <<CONF
database = $T/db
tls-cert = $T/cert.pem
tls-key = $T/key.pem
CONF
out=$("$d" -n --config "$T/tlsrptd.conf"); rc=$?
check_eq "-n with a good config: exit 0" "$rc" 0
must_start "daemon starts" --config "$T/tlsrptd.conf"
check_eq "serves certificate a" "$(served_fingerprint)" "$(fingerprint "$T/a.crt")"

# slow_report ID: a valid report padded to ~300 KB, sent at 100 KB/s.
slow_report() {
	sed "s/plain-rfc\"/$1\"/" "$acc/plain-rfc.json" > "$T/$1.json"
	head -c 300000 /dev/zero | tr '\0' ' ' >> "$T/$1.json"
}
slow_post() {
	curl -s -o "$T/$1.body" -w '%{http_code}' --max-time 30 \
	    --limit-rate 100K --cacert "$2" -H 'Content-Type: application/tlsrpt+json' \
	    --data-binary "@$T/$1.json" "https://127.0.0.1:$PORT/v1/tlsrpt" \
	    > "$T/$1.code"
}

# SIGHUP with an upload in flight: the upload completes, the new
# certificate is served to new connections.
slow_report hup
slow_post hup "$T/a.crt" &
slow=$!
sleep 1
cp "$T/b.crt" "$T/cert.pem.new" && mv "$T/cert.pem.new" "$T/cert.pem"
cp "$T/b.key" "$T/key.pem.new" && mv "$T/key.pem.new" "$T/key.pem"
kill -HUP "$D_PID"
sleep 0.5
check_eq "after SIGHUP: serves certificate b" "$(served_fingerprint)" "$(fingerprint "$T/b.crt")"
wait $slow
check_eq "upload in flight across SIGHUP: 201" "$(cat "$T/hup.code")" 201
check "daemon still running after SIGHUP" kill -0 "$D_PID"
check "only the certificate changed: no restart asked for" \
    sh -c "! grep -q 'only with a restart' '$T/daemon.log'"
code=$(CA="$T/b.crt" post "$acc/gzip.json.gz" -H 'Content-Type: application/tlsrpt+gzip')
check_eq "a new post trusts b: 201" "$code" 201

# A reload with a broken key keeps the certificate in use; a receiver
# of events added, and a limit changed: the receiver waits for a restart,
# and the log names it alone.
echo garbage > "$T/key.pem"
printf 'notify-webhook = http://127.0.0.1:9/x\nmax-body = 1M\n' \
    >> "$T/tlsrptd.conf"
kill -HUP "$D_PID"
sleep 0.5
check_eq "bad key on reload: still serving b" "$(served_fingerprint)" "$(fingerprint "$T/b.crt")"
check "bad key on reload: logged" grep -q 'keeping the certificate in use' "$T/daemon.log"
check "a webhook added on reload: the log says it needs a restart" \
    grep -q 'warning: reload: notify-webhook: changed, but these take effect only with a restart' \
    "$T/daemon.log"

# SIGTERM with two posts in flight: both complete, exit 0, port closed.
slow_report term1
slow_report term2
slow_post term1 "$T/b.crt" &
p1=$!
slow_post term2 "$T/b.crt" &
p2=$!
sleep 1
kill -TERM "$D_PID"
sleep 0.3
curl -s -o /dev/null --max-time 5 --cacert "$T/b.crt" \
    "https://127.0.0.1:$PORT/v1/tlsrpt"
check_eq "after SIGTERM: new connections refused" "$?" 7
wait $p1 $p2
check_eq "in-flight post 1 completed: 201" "$(cat "$T/term1.code")" 201
check_eq "in-flight post 2 completed: 201" "$(cat "$T/term2.code")" 201
wait "$D_PID"
rc=$?
D_PID=
check_eq "SIGTERM: exit 0" "$rc" 0
check_eq "both are in the store" \
    "$(sql "$T/db" "select count(*) from report where report_id like '%term%'")" 2

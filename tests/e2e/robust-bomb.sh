#!/bin/sh
# A 2 GiB gzip bomb over HTTPS (32 gzip members of 64 MiB of zeros each,
# about 2 MB on the wire): 413, whether it is the report or the
# Content-Encoding, with the daemon's memory (VmHWM) under 256 MiB; the
# daemon keeps serving afterwards.
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
. tests/daemon-lib.sh
plan 9

acc=fixtures/reports/accept
https_conf "$T/tlsrptd.conf" "$T/db"

head -c 67108864 /dev/zero | gzip -9 > "$T/member.gz"
for i in 1 2 3 4 5 6 7 8; do cat "$T/member.gz"; done > "$T/eighth.gz"
cat "$T/eighth.gz" "$T/eighth.gz" "$T/eighth.gz" "$T/eighth.gz" > "$T/bomb.gz"
check_eq "the bomb is 32 members of 64 MiB: 2 GiB inflated" \
    "$(gzip -dc "$T/member.gz" | wc -c | tr -d ' ') $(( $(wc -c < "$T/bomb.gz") / $(wc -c < "$T/member.gz") ))" \
    "67108864 32"
echo "# bomb: $(wc -c < "$T/bomb.gz" | tr -d ' ') bytes"

must_start "daemon starts" --config "$T/tlsrptd.conf"
hwm_kb() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$D_PID/status"; }
# ASan's shadow memory and quarantine multiply what a process holds.
bound=$((256 * 1024))
grep -q __asan_init "$BIN/tlsrptd" 2>/dev/null && bound=$((1024 * 1024))

code=$(post "$T/bomb.gz" -H 'Content-Type: application/tlsrpt+gzip')
check_eq "2 GiB gzip bomb as the report: 413" "$code" 413
check "413 says which limit" grep -q 'limit' "$T/body"
code=$(post "$T/bomb.gz" -H 'Content-Type: application/tlsrpt+json' \
    -H 'Content-Encoding: gzip')
check_eq "2 GiB gzip bomb as Content-Encoding: 413" "$code" 413
code=$(post "$T/bomb.gz" -H 'Content-Type: application/tlsrpt+gzip' \
    -H 'Content-Encoding: gzip')
check_eq "... and both at once: 413" "$code" 413
hwm=$(hwm_kb)
echo "# VmHWM after three bombs: $hwm kB"
check "VmHWM $hwm kB under $((bound / 1024)) MiB" test "$hwm" -lt "$bound"
check_eq "the bombs are on record (quarantine)" \
    "$(sql "$T/db" "select count(*) from quarantine")" 3
code=$(post "$acc/plain-rfc.json" -H 'Content-Type: application/tlsrpt+json')
check_eq "a real report afterwards: 201" "$code" 201
stop_daemon
check_eq "the daemon stops cleanly" "$?" 0

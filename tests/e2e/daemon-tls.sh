#!/bin/sh
# The public listener's edges (doc/http.md), from a client's side:
# TLS 1.2 and 1.3 only, forward-secret AEAD suites only, in the server's
# order, tls-priority to change it (openssl s_client); and framing as RFC
# 9112 says, answered at once over TLS (tests/raw-request.py): two
# Content-Length values or one with Transfer-Encoding 400, a transfer
# coding other than chunked 501.
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
. tests/daemon-lib.sh
plan 28

raw=tests/raw-request.py
https_conf "$T/tlsrptd.conf" "$T/db"

# hello ARGS...: an openssl s_client handshake with $PORT; prints
# "PROTOCOL CIPHER", or "refused" when it fails. The client's own floor
# is lowered (@SECLEVEL=0), so that a refusal is the server's.
hello() {
	openssl s_client -connect "127.0.0.1:$PORT" "$@" < /dev/null \
	    > "$T/hello" 2>&1 || { echo refused; return; }
	# "New, " names the suite's own version; the session, when printed
	# (not with TLS 1.3), the one spoken.
	proto=$(sed -n 's/^ *Protocol *: *//p' "$T/hello")
	[ -n "$proto" ] ||
	    proto=$(sed -n 's/^New, \([^,]*\), .*/\1/p' "$T/hello")
	echo "$proto $(sed -n 's/^New, .*, Cipher is //p' "$T/hello")"
}

must_start "daemon starts" --config "$T/tlsrptd.conf"
low='DEFAULT:@SECLEVEL=0'
check_eq "TLS 1.0: refused" "$(hello -tls1 -cipher "$low")" refused
check_eq "TLS 1.1: refused" "$(hello -tls1_1 -cipher "$low")" refused
check_eq "TLS 1.2 with a CBC suite: refused" \
    "$(hello -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA)" refused
check_eq "TLS 1.2 with a CBC-SHA256 suite: refused" \
    "$(hello -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA256)" refused
check_eq "TLS 1.2 with AES-GCM: taken" \
    "$(hello -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256)" \
    "TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256"
check_eq "TLS 1.2 with ChaCha20-Poly1305: taken" \
    "$(hello -tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305)" \
    "TLSv1.2 ECDHE-ECDSA-CHACHA20-POLY1305"
check_eq "TLS 1.3: taken" "$(hello -tls1_3 | cut -d' ' -f1)" TLSv1.3
check_eq "the server's order, not the client's" \
    "$(hello -tls1_2 -cipher \
    ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384)" \
    "TLSv1.2 ECDHE-ECDSA-AES256-GCM-SHA384"
check_eq "a report over TLS 1.2 with AES-GCM: 201" \
    "$(post fixtures/mail/report-sts.json.gz --tlsv1.2 --tls-max 1.2 \
    --ciphers ECDHE-ECDSA-AES128-GCM-SHA256 \
    -H 'Content-Type: application/tlsrpt+gzip')" 201

# --- Framing (RFC 9112 section 6), over TLS. ---
body='{"a": 1}'
# send REQUEST: through raw-request.py, "STATUS first line of the body".
send() { printf "$1" | python3 "$raw" --tls "$PORT"; }
# says TEXT: the last answer has it.
says() { printf '%s\n' "$out" | grep -q -- "$1"; }
out=$(send "POST /v1/tlsrpt HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 8\r\nContent-Length: 80\r\n\r\n$body")
check_eq "two Content-Length values: 400, before any body is read" \
    "${out%% *}" 400
check "... saying why" says 'two Content-Length values, 8 and 80'
out=$(send "POST /v1/tlsrpt HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 8\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n$body\r\n0\r\n\r\n")
check_eq "Content-Length with Transfer-Encoding: 400" "${out%% *}" 400
check "... saying why" says 'Content-Length together with Transfer-Encoding'
out=$(send "POST /v1/tlsrpt HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: xchunked\r\n\r\n8\r\n$body\r\n0\r\n\r\n")
check_eq "Transfer-Encoding xchunked: 501 at once (no wait for a body)" \
    "${out%% *}" 501
check "... naming the coding" says 'transfer coding "xchunked" is not implemented'
out=$(send "POST /v1/tlsrpt HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n")
check_eq "Transfer-Encoding gzip, chunked: 501" "${out%% *}" 501
out=$(send "POST /v1/tlsrpt HTTP/1.0\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n$body\r\n0\r\n\r\n")
check_eq "Transfer-Encoding in HTTP/1.0: 400" "${out%% *}" 400
out=$(send "POST /v1/tlsrpt HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n")
check_eq "chunked twice: 400" "${out%% *}" 400
out=$(send "POST /v1/tlsrpt HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 8\r\nContent-Length: 8\r\nConnection: close\r\n\r\n$body")
check_eq "the same Content-Length twice: read as one (400 for the body)" \
    "$out" "400 400 rejected: date-range: missing"
out=$(send "POST /v1/tlsrpt HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: Chunked\r\nConnection: close\r\n\r\n8\r\n$body\r\n0\r\n\r\n")
check_eq "Transfer-Encoding: Chunked alone is fine (400 for the body)" \
    "$out" "400 400 rejected: date-range: missing"
out=$(printf 'GET /healthz HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: xchunked\r\n\r\n' |
    python3 "$raw" "$APIPORT")
check_eq "the API listener too: xchunked 501" "${out%% *}" 501
check_eq "the daemon still answers" "$(api /healthz)" 200
stop_daemon

# tls-priority changes it: GnuTLS's NORMAL takes TLS 1.1 and CBC again.
printf 'tls-priority = NORMAL\n' >> "$T/tlsrptd.conf"
must_start "daemon starts with tls-priority = NORMAL" \
    --config "$T/tlsrptd.conf"
check_eq "tls-priority = NORMAL: TLS 1.1 taken" \
    "$(hello -tls1_1 -cipher "$low" | cut -d' ' -f1)" TLSv1.1
check_eq "tls-priority = NORMAL: a CBC suite taken" \
    "$(hello -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA)" \
    "TLSv1.2 ECDHE-ECDSA-AES128-SHA"
stop_daemon

# A static-RSA key exchange (no forward secrecy) needs an RSA key.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/r.key" \
    -out "$T/r.crt" -days 2 -subj "/CN=r" 2>/dev/null
if start_daemon --db "$T/db" --tls-cert "$T/r.crt" --tls-key "$T/r.key"; then
	check_eq "RSA key: static-RSA key exchange refused" \
	    "$(hello -tls1_2 -cipher AES128-GCM-SHA256)" refused
	check_eq "RSA key: ECDHE-RSA with AES-GCM taken" \
	    "$(hello -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256)" \
	    "TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256"
	stop_daemon
else
	fail "daemon starts with an RSA key"
	tail -5 "$T/daemon.log"
fi

# A priority string GnuTLS cannot read is a configuration error.
printf 'database = %s\ntls-priority = NORMAL:+NO-SUCH-THING\n' "$T/db" \
    > "$T/bad.conf"
"$BIN/tlsrptd" -n --config "$T/bad.conf" > /dev/null 2> "$T/bad.err"
check_eq "tls-priority GnuTLS cannot read: -n exits 78" "$?" 78
check "... naming the setting and where it stopped" \
    grep -q 'tls-priority "NORMAL:+NO-SUCH-THING".* at +NO-SUCH-THING' "$T/bad.err"

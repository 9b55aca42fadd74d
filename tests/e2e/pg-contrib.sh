#!/bin/sh
# contrib/cluster/: two tlsrptd nodes behind nginx sharing one PostgreSQL.
# The node configurations pass `tlsrptd -n`, agree with each other and
# with nginx.conf (ports, body limit), nginx.conf passes `nginx -t` when
# nginx is installed; then both nodes run from their configurations (the
# store, and free ports, given on the command line, which wins) on a
# throwaway cluster, in plain HTTP behind a "proxy" on 127.0.0.1: the
# same report posted to both is stored once, with the sender's address
# from X-Forwarded-For.
# runner: slow (make check-quick leaves it out)
. tests/lib.sh
. tests/daemon-lib.sh
. tests/pg-lib.sh
plan 26

C=contrib/cluster
# conf_get FILE KEY: the value of KEY in a tlsrptd configuration.
conf_get() {
	sed -n "s/^$2 *= *//p" "$1" | tail -n 1
}

for n in 1 2; do
	# -n checks the spool's folder can be written: here, under $T.
	sed "s|^spool-dir = .*|spool-dir = $T/spool-node$n|" \
	    "$C/node$n.conf" > "$T/node$n.conf"
	check "$C/node$n.conf passes tlsrptd -n (its spool-dir under \$T)" \
	    sh -c "'$BIN/tlsrptd' -n --config $T/node$n.conf >/dev/null"
	if [ ! -e /var/lib/tlsrptd ]; then
		check "$C/node$n.conf as it is, here: -n names the spool-dir's missing folder" \
		    sh -c "'$BIN/tlsrptd' -n --config $C/node$n.conf 2>&1 >/dev/null | grep -q '^tlsrptd: spool-dir /var/lib/tlsrptd/spool-node$n: /var/lib/tlsrptd: No such file'"
	else
		skip 1 installed "/var/lib/tlsrptd exists on this machine"
	fi
	check "node$n: the store is a postgresql:// URI" \
	    sh -c "sed -n 's/^database *= *//p' $C/node$n.conf | grep -q '^postgresql://'"
	check "node$n: plain HTTP (no tls-cert) on loopback, trusted-proxies set" \
	    sh -c "! grep -q '^tls-' $C/node$n.conf && grep -q '^listen = 127.0.0.1:' $C/node$n.conf && grep -q '^trusted-proxies = 127.0.0.1' $C/node$n.conf"
done
s1=$(conf_get $C/node1.conf spool-dir) s2=$(conf_get $C/node2.conf spool-dir)
check "the nodes have a spool-dir each" test -n "$s1" -a "$s1" != "$s2"
check_eq "both nodes name the same store" \
    "$(conf_get $C/node1.conf database)" "$(conf_get $C/node2.conf database)"
l1=$(conf_get $C/node1.conf listen) l2=$(conf_get $C/node2.conf listen)
a1=$(conf_get $C/node1.conf api-listen) a2=$(conf_get $C/node2.conf api-listen)
check "the nodes' four ports differ" sh -c \
    "[ \$(printf '%s\n' $l1 $l2 $a1 $a2 | sort -u | wc -l) -eq 4 ]"
check "nginx.conf: the upstream holds both nodes' listen addresses" sh -c \
    "grep -q 'server $l1[ ;]' $C/nginx.conf && grep -q 'server $l2[ ;]' $C/nginx.conf"
check "nginx.conf: the API upstream holds both nodes' API addresses" sh -c \
    "grep -q 'server $a1[ ;]' $C/nginx.conf && grep -q 'server $a2[ ;]' $C/nginx.conf"
mb=$(conf_get $C/node1.conf max-body | tr 'M' 'm')
check_eq "nginx.conf: client_max_body_size is the nodes' max-body" \
    "$(sed -n 's/^[[:space:]]*client_max_body_size \(.*\);/\1/p' $C/nginx.conf)" "$mb"
check "nginx.conf: TLS on nginx, X-Forwarded-For passed on" sh -c \
    "grep -q 'listen 443 ssl' $C/nginx.conf && grep -q 'X-Forwarded-For \$proxy_add_x_forwarded_for' $C/nginx.conf"
check "README.md has the section \"Several nodes, one store\"" \
    grep -q '^## Several nodes, one store' README.md

NGINX=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null)
if [ -n "$NGINX" ]; then
	make_cert ngx
	mkdir -p "$T/ngx/logs"
	sed -e "s|/etc/letsencrypt/live/tlsrpt.example.com/fullchain.pem|$T/ngx.crt|" \
	    -e "s|/etc/letsencrypt/live/tlsrpt.example.com/privkey.pem|$T/ngx.key|" \
	    -e "s|/var/log/nginx/|$T/ngx/logs/|" -e "s|/run/nginx.pid|$T/ngx/pid|" \
	    $C/nginx.conf > "$T/ngx/nginx.conf"
	check "nginx -t accepts contrib/cluster/nginx.conf" \
	    "$NGINX" -t -q -p "$T/ngx" -c "$T/ngx/nginx.conf"
else
	skip 1 nginx "nginx -t on contrib/cluster/nginx.conf: nginx is not installed"
fi

pg_start
uri=$(pg_createdb tlsrpt)
# Plain HTTP, as behind nginx: the post helper with http://.
hpost() {
	curl -s -o "$T/body" -w '%{http_code}' --max-time 30 \
	    -H "X-Forwarded-For: $2" \
	    -H 'Content-Type: application/tlsrpt+json' --data-binary "@$1" \
	    "http://127.0.0.1:$PORT/v1/tlsrpt"
}
# Each node's spool-dir moved into $T (the rest as written).
for n in 1 2; do
	sed "s|^spool-dir *= .*|spool-dir = $T/spool-node$n|" $C/node$n.conf \
	    > "$T/node$n.conf"
done
must_start "node 1 starts from node1.conf" --config "$T/node1.conf" --db "$uri"
P1=$D_PID PORT1=$PORT API1=$APIPORT
D_PID=
if ! start_daemon --config "$T/node2.conf" --db "$uri"; then
	kill -KILL "$P1"
	fail "node 2 starts from node2.conf"
	cat "$T/daemon.log"
	exit 1
fi
P2=$D_PID PORT2=$PORT
pass "both nodes run from their configurations on one PostgreSQL store"
f=fixtures/reports/accept/plain-rfc.json
PORT=$PORT1; c1=$(hpost $f 192.0.2.7)
PORT=$PORT2; c2=$(hpost $f 192.0.2.8)
check_eq "the same report through both nodes: 201 then 200" "$c1 $c2" "201 200"
check_eq "stored once, the senders' addresses from X-Forwarded-For" \
    "$(psql_q tlsrpt "select (select count(*) from report), string_agg(peer || ' ' || outcome, ',' order by id) from payload")" \
    "1|192.0.2.7 accepted,192.0.2.8 duplicate"

# PostgreSQL stopped: node 1 keeps the post in its spool (202), and
# stores it once the server is back.
pg_stop
PORT=$PORT1; c1=$(hpost fixtures/reports/accept/gzip.json.gz 192.0.2.9)
check_eq "server down: 202, the body kept in the node's spool" "$c1" 202
check "... the spool holds it" test -n "$(ls "$T/spool-node1")"
pg_ctl_start
pg_stored() {
	[ "$(psql_q tlsrpt "select count(*) from report")" = 2 ]
}
check "server back: the node stores it by itself" wait_for 30 pg_stored
check_eq "... from the sender's address" \
    "$(psql_q tlsrpt "select peer from payload order by id desc limit 1")" \
    192.0.2.9

kill -TERM "$P1"
wait "$P1"
check_eq "node 1 stops cleanly" "$?" 0
D_PID=$P2
stop_daemon
check_eq "node 2 stops cleanly" "$?" 0

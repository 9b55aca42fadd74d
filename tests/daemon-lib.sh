# Helpers for the tlsrptd end-to-end scripts (tests/e2e/daemon-*.sh):
# sourced after tests/lib.sh, never run. They start the real daemon on
# loopback ports picked at random (another try on a port in use), wait for
# it with a bounded loop, and always stop it at exit.
D_PID=
PORT=
APIPORT=

d_cleanup() {
	if [ -n "$D_PID" ] && kill -0 "$D_PID" 2>/dev/null; then
		kill -KILL "$D_PID" 2>/dev/null
		wait "$D_PID" 2>/dev/null
	fi
	rm -rf "$T"
}
trap d_cleanup EXIT
trap 'exit 1' INT TERM

# make_cert NAME: a self-signed certificate for 127.0.0.1 and localhost
# in $T/NAME.crt and $T/NAME.key.
make_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/$1.key" -out "$T/$1.crt" -days 2 -subj "/CN=$1" \
	    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
	    -addext "basicConstraints=critical,CA:TRUE" 2>/dev/null
}

# fingerprint FILE: the SHA-256 fingerprint of a PEM certificate.
fingerprint() {
	openssl x509 -noout -fingerprint -sha256 -in "$1" | sed 's/.*=//'
}

# served_fingerprint: the fingerprint of the certificate served on $PORT.
served_fingerprint() {
	openssl s_client -connect "127.0.0.1:$PORT" </dev/null 2>/dev/null |
	    openssl x509 -noout -fingerprint -sha256 | sed 's/.*=//'
}

# ours PORT: the socket listening on PORT is the daemon's ($D_PID), not
# one of another test's daemon that took the port first: tests run side
# by side, and that one would answer /healthz too.
ours() {
	command -v ss > /dev/null 2>&1 || return 0
	ss -Hltnp "sport = :$1" 2> /dev/null | grep -q "pid=$D_PID,"
}

# pick_ports: two loopback ports picked at random, $PORT and $APIPORT
# ($PORT + 1); a start that finds one taken picks again.
pick_ports() {
	PORT=$(( ( $(od -An -N2 -tu2 /dev/urandom) % 20000 ) + 20000 ))
	APIPORT=$((PORT + 1))
}

# start_daemon ARGS...: tlsrptd in the foreground on two free loopback
# ports ($PORT public, $APIPORT API), logging to $T/daemon.log; returns
# once its own /healthz answers. 1 when it does not start.
start_daemon() {
	tries=0
	while [ $tries -lt 5 ]; do
		tries=$((tries + 1))
		pick_ports
		"$BIN/tlsrptd" --foreground --listen "127.0.0.1:$PORT" \
		    --api-listen "127.0.0.1:$APIPORT" "$@" \
		    >>"$T/daemon.out" 2>>"$T/daemon.log" &
		D_PID=$!
		n=0
		while [ $n -lt 150 ]; do
			if ! kill -0 "$D_PID" 2>/dev/null; then
				break
			fi
			if curl -s -o /dev/null --max-time 2 \
			    "http://127.0.0.1:$APIPORT/healthz" &&
			    ours "$APIPORT"; then
				return 0
			fi
			sleep 0.1
			n=$((n + 1))
		done
		if kill -0 "$D_PID" 2>/dev/null; then
			kill -KILL "$D_PID"
			wait "$D_PID" 2>/dev/null
			D_PID=
			return 1
		fi
		wait "$D_PID" 2>/dev/null
		D_PID=
		grep -q "cannot listen" "$T/daemon.log" || return 1
	done
	return 1
}

# must_start WHAT ARGS...: start_daemon ARGS...; when the daemon does not
# start, the check WHAT fails, its log is shown and the script stops.
must_start() {
	what=$1
	shift
	start_daemon "$@" && return 0
	fail "$what"
	cat "$T/daemon.log"
	exit 1
}

# stop_daemon: SIGTERM, and the exit status.
stop_daemon() {
	kill -TERM "$D_PID"
	wait "$D_PID"
	rc=$?
	D_PID=
	return $rc
}

# post FILE [CURL ARGS...]: POST the file to the ingest path over HTTPS
# ($CA trusted); prints the status; the body lands in $T/body and the
# headers in $T/headers.
post() {
	f=$1
	shift
	curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' --max-time 30 \
	    --cacert "$CA" "$@" --data-binary "@$f" \
	    "https://127.0.0.1:$PORT/v1/tlsrpt"
}

# header NAME: a header of the last answer, without the CR.
header() {
	grep -i "^$1:" "$T/headers" | head -n 1 | sed 's/^[^:]*: *//' |
	    tr -d '\r'
}

# api PATH [CURL ARGS...]: GET on the API; status printed, body in
# $T/api.
api() {
	p=$1
	shift
	curl -s -o "$T/api" -w '%{http_code}' --max-time 10 "$@" \
	    "http://127.0.0.1:$APIPORT$p"
}

# events_parse FILE: every "report" line of the log FILE reads as
# key="value" pairs to its end, a quote inside a value escaped (log.h);
# 1 when one does not, shown.
events_parse() {
	grep -E '^[^ ]+ [a-z]+: report ' "$1" > "$T/events" || return 1
	grep -Ev '^[^ ]+ [a-z]+: report( [a-z-]+="([^"\\]|\\.)*")+$' \
	    "$T/events" > "$T/events.bad"
	sed 's/^/#   not key="value": /' "$T/events.bad"
	[ ! -s "$T/events.bad" ]
}

# wait_for SECONDS COMMAND...: until the command succeeds, or 1.
wait_for() {
	limit=$(( $1 * 10 ))
	shift
	n=0
	while [ $n -lt $limit ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n + 1))
	done
	return 1
}

# https_conf FILE DATABASE [SETTINGS]: FILE a config for a daemon that
# stores in DATABASE and serves HTTPS with the certificate $T/a.crt and
# $T/a.key (made by the first call; $CA trusts it), SETTINGS (lines,
# "key = value") after those.
https_conf() {
	[ -e "$T/a.crt" ] || make_cert a
	CA="$T/a.crt"
	cat > "$1" <<CONF
database = $2
tls-cert = $T/a.crt
tls-key = $T/a.key
${3:-}
CONF
}

# maildir_conf DIR: $T/tlsrptd.conf (https_conf) for a daemon that
# watches the maildir DIR (rescanned every second) and stores in $T/db.
maildir_conf() {
	https_conf "$T/tlsrptd.conf" "$T/db" "maildir = $1
maildir-rescan = 1s"
}

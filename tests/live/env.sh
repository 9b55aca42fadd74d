# The offline world of the live-check tests, sourced by tests/e2e/live-*.sh
# before anything else. It re-runs the calling script inside a private
# network and mount namespace (loopback only: nothing can leave the
# machine), then builds, at test time, in $T:
# - a test CA and leaf certificates (certtool): valid, expired, expiring
#   in two days, wrong name, self-signed;
# - the zone "test." signed with ldns-signzone (its DS is the trust
#   anchor; one MX record is altered after signing, so it is bogus) and
#   the unsigned child zone plain.test, served by nsd on 127.0.0.53;
# - HTTPS policy hosts on 127.0.1.x:443 and SMTP hosts on 127.0.2.x:25,
#   and two resolvers in front of nsd: 127.0.0.54 clears the DNSSEC OK
#   bit of every query (no signature comes back, as behind many home
#   routers), 127.0.0.55 answers SERVFAIL (tests/live/servers.py).
# live_start starts the servers; they are killed by pid at exit. The
# script says its plan between sourcing this and live_start: where
# namespaces are not allowed or a tool is missing, live_start skips the
# whole plan with the reason (skip_rest live), a failure on CI unless
# ALLOW_SKIP=live. Each script has its network of its own: scripts run
# side by side.

LIVE_SKIP=
if [ -z "${TLSRPT_LIVE_NS:-}" ]; then
	TLSRPT_LIVE_NS=1
	export TLSRPT_LIVE_NS
	for how in "unshare --net --mount" \
	    "unshare --user --map-root-user --net --mount"; do
		if $how true 2>/dev/null; then
			exec $how sh "$0" "$@"
		fi
	done
	LIVE_SKIP="no private network namespace here (unshare --net is not
allowed); the live checks need one so that nothing leaves the machine"
fi
for tool in nsd ldns-signzone ldns-keygen certtool jq; do
	if ! command -v $tool >/dev/null 2>&1 && [ ! -x /usr/sbin/$tool ]; then
		LIVE_SKIP="${LIVE_SKIP:-$tool is missing (make deps)}"
	fi
done

. tests/lib.sh
PY=/usr/bin/python3
LIVE_PIDS=
# Each server waited for once killed: nsd still writes its state files
# into $T as it stops.
trap 'for p in $LIVE_PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
rm -rf "$T"' EXIT

# The options every check run uses.
LIVE="--resolver 127.0.0.53 --trust-anchor $T/dns/anchor.ds --ca-file $T/pki/ca.pem --dns-timeout 2 --http-timeout 2 --smtp-timeout 3"

# --- certificates -----------------------------------------------------------
mkpki() {
	d=$T/pki
	mkdir -p "$d"
	certtool -p --key-type=ecdsa --outfile "$d/ca.key" 2>/dev/null
	printf 'cn = "tlsrpt test CA"\nca\ncert_signing_key\nexpiration_days = 30\n' \
	    > "$d/ca.tmpl"
	certtool -s --load-privkey "$d/ca.key" --template "$d/ca.tmpl" \
	    --outfile "$d/ca.pem" 2>/dev/null
}

# leaf NAME KIND DNSNAME...: KIND valid, expired, soon, selfsigned.
leaf() {
	name=$1 kind=$2
	shift 2
	d=$T/pki
	{
		echo "cn = \"$1\""
		for n in "$@"; do echo "dns_name = \"$n\""; done
		echo "tls_www_server"
		echo "signing_key"
		case $kind in
		expired) echo 'activation_date = "2020-01-01 00:00:00"'
			 echo 'expiration_date = "2020-03-01 00:00:00"' ;;
		soon)	 echo "expiration_days = 2" ;;
		*)	 echo "expiration_days = 30" ;;
		esac
	} > "$d/$name.tmpl"
	certtool -p --key-type=ecdsa --outfile "$d/$name.key" 2>/dev/null
	if [ "$kind" = selfsigned ]; then
		certtool -s --load-privkey "$d/$name.key" \
		    --template "$d/$name.tmpl" --outfile "$d/$name.pem" 2>/dev/null
	else
		certtool -c --load-privkey "$d/$name.key" \
		    --load-ca-certificate "$d/ca.pem" \
		    --load-ca-privkey "$d/ca.key" \
		    --template "$d/$name.tmpl" --outfile "$d/$name.pem" 2>/dev/null
	fi
}

# The SHA-256 of a certificate's public key: TLSA 3 1 1 data.
spki_sha256() {
	certtool --pubkey-info --outder --load-privkey "$T/pki/$1.key" \
	    2>/dev/null | sha256sum | cut -d' ' -f1
}

# --- DNS ------------------------------------------------------------------
P=.test
POLICY_DOMAINS="good mxmiss wild twosts badid notlsrpt pbad nostarttls
expired wrongname soon selfsigned shop rot plain danebad"
FETCH_DOMAINS="p404 predir pbig pslow pcert"

mkzones() {
	d=$T/dns
	mkdir -p "$d"
	{
		cat <<ZONE
\$ORIGIN test.
\$TTL 300
@ SOA ns.test. hostmaster.test. 1 3600 600 86400 300
@ NS ns.test.
ns A 127.0.0.53
plain NS ns.test.
; good: all fine, TXT in two strings, a wildcard pattern, DANE
good MX 10 mx1.good
good MX 20 mx2.good
mx1.good A 127.0.2.1
mx2.good A 127.0.2.2
_mta-sts.good TXT "v=STSv1; " "id=20240101000000"
_smtp._tls.good TXT "v=TLSRPTv1; rua=mailto:tlsrpt@good.test"
_25._tcp.mx1.good TLSA 3 1 1 $(spki_sha256 mx1.good)
mxmiss MX 10 mx1.mxmiss
mxmiss MX 20 backup.mxmiss
wild MX 10 c.wild
wild MX 20 a.b.wild
twosts MX 10 mx1.good.test.
_mta-sts.twosts TXT "v=STSv1; id=one"
_mta-sts.twosts TXT "v=STSv1; id=two"
badid MX 10 mx1.good.test.
_mta-sts.badid TXT "v=STSv1; id=not-valid!"
notlsrpt MX 10 mx1.good.test.
pbad MX 10 mx.pbad
nostarttls MX 10 mx.nostarttls
mx.nostarttls A 127.0.2.3
expired MX 10 mx.expired
mx.expired A 127.0.2.4
wrongname MX 10 mx.wrongname
mx.wrongname A 127.0.2.5
soon MX 10 mx.soon
mx.soon A 127.0.2.6
selfsigned MX 10 mx.selfsigned
mx.selfsigned A 127.0.2.7
shop MX 10 mx.shop
mx.shop A 127.0.2.8
rot MX 10 mx.shop.test.
danebad MX 10 mx.danebad
mx.danebad A 127.0.2.9
_25._tcp.mx.danebad TLSA 3 1 1 0000000000000000000000000000000000000000000000000000000000000000
p404 MX 10 mx.p404
mta-sts.p404 A 127.0.1.2
predir MX 10 mx.predir
mta-sts.predir A 127.0.1.3
pbig MX 10 mx.pbig
mta-sts.pbig A 127.0.1.4
pslow MX 10 mx.pslow
mta-sts.pslow A 127.0.1.5
pcert MX 10 mx.pcert
mta-sts.pcert A 127.0.1.6
bogus MX 10 mx.bogus
_mta-sts.bogus TXT "v=STSv1; id=1"
ZONE
		for x in $POLICY_DOMAINS $FETCH_DOMAINS; do
			[ "$x" = plain ] && continue
			case " $FETCH_DOMAINS " in *" $x "*) ;; *)
				echo "mta-sts.$x A 127.0.1.1" ;; esac
			case $x in good|twosts|badid) ;; *)
				echo "_mta-sts.$x TXT \"v=STSv1; id=abc$x\"" ;; esac
			case $x in good|notlsrpt) ;; *)
				echo "_smtp._tls.$x TXT \"v=TLSRPTv1;rua=mailto:r@$x.test\"" ;;
			esac
		done
	} > "$d/test.zone"
	cat > "$d/plain.zone" <<ZONE
\$ORIGIN plain.test.
\$TTL 300
@ SOA ns.test. hostmaster.test. 1 3600 600 86400 300
@ NS ns.test.
@ MX 10 mx1.good.test.
_mta-sts TXT "v=STSv1; id=plain1"
_smtp._tls TXT "v=TLSRPTv1; rua=mailto:r@plain.test"
mta-sts A 127.0.1.1
ZONE
	(cd "$d" && ldns-keygen -k -a ECDSAP256SHA256 test. > key.name) ||
	    return 1
	k=$(cat "$d/key.name")
	cp "$d/$k.ds" "$d/anchor.ds"
	(cd "$d" && ldns-signzone -o test. test.zone "$k") || return 1
	# bogus.test: the MX changed after signing, its signature no longer fits
	sed -i '/^bogus\.test\..*MX/s/mx\.bogus\.test\./evil.bogus.test./' \
	    "$d/test.zone.signed"
	grep -q 'evil.bogus.test' "$d/test.zone.signed" || return 1
	cat > "$d/nsd.conf" <<CONF
server:
	ip-address: 127.0.0.53
	port: 53
	username: ""
	chroot: ""
	database: ""
	zonelistfile: "$d/zone.list"
	xfrdfile: "$d/xfrd.state"
	pidfile: "$d/nsd.pid"
	logfile: "$d/nsd.log"
	server-count: 1
	verbosity: 1
remote-control:
	control-enable: no
zone:
	name: "test."
	zonefile: "$d/test.zone.signed"
zone:
	name: "plain.test."
	zonefile: "$d/plain.zone"
CONF
}

# --- servers --------------------------------------------------------------
mkservers() {
	pki=$T/pki
	names=
	for x in $POLICY_DOMAINS $FETCH_DOMAINS; do
		[ "$x" = pcert ] || names="$names mta-sts.$x.test"
	done
	# shellcheck disable=SC2086
	leaf policyhost valid $names
	leaf wrongpolicy valid mta-sts.other.test
	leaf mx1.good valid mx1.good.test
	leaf mx2.good valid mx2.good.test
	leaf mx.nostarttls valid mx.nostarttls.test
	leaf mx.expired expired mx.expired.test
	leaf mx.wrongname valid mx.somewhere-else.test
	leaf mx.soon soon mx.soon.test
	leaf mx.selfsigned selfsigned mx.selfsigned.test
	leaf mx.shop.expired expired mx.shop.test
	leaf mx.shop.valid valid mx.shop.test
	leaf mx.danebad valid mx.danebad.test
	cp "$pki/mx.shop.expired.pem" "$pki/mx.shop.pem"
	cp "$pki/mx.shop.expired.key" "$pki/mx.shop.key"
	$PY - "$T" <<'PYEOF'
import json, sys
T = sys.argv[1]
pki = T + "/pki/"
def pol(mode, *mx, age=604800):
    return "".join(["version: STSv1\r\n", "mode: %s\r\n" % mode] +
                   ["mx: %s\r\n" % m for m in mx] + ["max_age: %d\r\n" % age])
policies = {
    "good": pol("testing", "*.good.test", age=86400),
    "mxmiss": pol("testing", "mx1.mxmiss.test", "old.mxmiss.test"),
    "wild": pol("testing", "*.wild.test"),
    "twosts": pol("testing", "mx1.good.test"),
    "badid": pol("testing", "mx1.good.test"),
    "notlsrpt": pol("testing", "mx1.good.test"),
    "pbad": "version: STSv2\nmode: enforcing\nmx: mx.pbad.test\nmax_age: 99999999999\n",
    "shop": pol("testing", "mx.shop.test"),
    "rot": pol("testing", "mx.shop.test"),
    "plain": pol("testing", "mx1.good.test"),
}
for x in ("p404", "predir", "pbig", "pslow", "pcert"):
    policies[x] = pol("testing", "mx.%s.test" % x)
for x in ("nostarttls", "expired", "wrongname", "soon", "selfsigned", "danebad"):
    policies[x] = pol("testing", "mx.%s.test" % x)
hosts = {"mta-sts.%s.test" % k: v for k, v in policies.items()}
def https(addr, mode, cert="policyhost"):
    return {"addr": addr, "mode": mode, "cert": pki + cert + ".pem",
            "key": pki + cert + ".key", "policies": hosts, "delay": 4}
def smtp(addr, name, cert, starttls=True):
    return {"addr": addr, "name": name, "cert": pki + cert + ".pem",
            "key": pki + cert + ".key", "starttls": starttls}
conf = {"ready": T + "/servers.ready",
        "dns": [{"addr": "127.0.0.54", "mode": "nodnssec"},
                {"addr": "127.0.0.55", "mode": "servfail"}],
        "https": [https("127.0.1.1", "policy"), https("127.0.1.2", "404"),
                  https("127.0.1.3", "redirect"), https("127.0.1.4", "big"),
                  https("127.0.1.5", "slow"),
                  https("127.0.1.6", "policy", "wrongpolicy")],
        "smtp": [smtp("127.0.2.1", "mx1.good.test", "mx1.good"),
                 smtp("127.0.2.2", "mx2.good.test", "mx2.good"),
                 smtp("127.0.2.3", "mx.nostarttls.test", "mx.nostarttls", False),
                 smtp("127.0.2.4", "mx.expired.test", "mx.expired"),
                 smtp("127.0.2.5", "mx.wrongname.test", "mx.wrongname"),
                 smtp("127.0.2.6", "mx.soon.test", "mx.soon"),
                 smtp("127.0.2.7", "mx.selfsigned.test", "mx.selfsigned"),
                 smtp("127.0.2.8", "mx.shop.test", "mx.shop"),
                 smtp("127.0.2.9", "mx.danebad.test", "mx.danebad"),
                 smtp("127.0.0.1", "mx1.good.test", "mx1.good")]}
conf["smtp"][-1]["port"] = 2525
json.dump(conf, open(T + "/servers.json", "w"))
PYEOF
}

# Build the world and start nsd and the servers; wait until they listen.
live_start() {
	[ -z "$LIVE_SKIP" ] || skip_rest live "$(echo $LIVE_SKIP)"
	ip link set lo up || exit 1
	# A private resolv.conf: the default resolver is nowhere.
	echo "nameserver 127.0.0.9" > "$T/resolv.conf"
	mount --bind "$T/resolv.conf" /etc/resolv.conf 2>/dev/null || true
	mkpki && mkservers && mkzones || { fail "live test world built"; exit 1; }
	/usr/sbin/nsd -d -c "$T/dns/nsd.conf" > "$T/dns/nsd.out" 2>&1 &
	LIVE_PIDS="$LIVE_PIDS $!"
	$PY tests/live/servers.py "$T/servers.json" > "$T/servers.out" 2>&1 &
	LIVE_PIDS="$LIVE_PIDS $!"
	i=0
	while [ $i -lt 100 ]; do
		if [ -e "$T/servers.ready" ] &&
		    ss -Hlun 2>/dev/null | grep -q '127.0.0.53:53'; then
			return 0
		fi
		sleep 0.05
		i=$((i + 1))
	done
	fail "live test servers started"
	cat "$T/dns/nsd.out" "$T/dns/nsd.log" "$T/servers.out" 2>/dev/null |
	    sed 's/^/#   /'
	exit 1
}

# run_live NAME [options] DOMAIN: run tlsrpt-check --format json into
# $T/NAME.json, its exit code into $T/NAME.rc.
run_live() {
	name=$1
	shift
	# shellcheck disable=SC2086
	"$BIN/tlsrpt-check" --format json $LIVE "$@" > "$T/$name.json" \
	    2> "$T/$name.err"
	echo $? > "$T/$name.rc"
}

# jqv NAME FILTER: one value of $T/NAME.json, raw.
jqv() { jq -r "$2" "$T/$1.json" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }

# The codes of the findings of the first domain, sorted, space-separated.
codes() { jq -r '.domains[0].findings[].code' "$T/$1.json" 2>/dev/null |
	sort -u | tr '\n' ' ' | sed 's/ $//'; }

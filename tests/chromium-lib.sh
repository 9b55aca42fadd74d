# Headless Chromium for the end-to-end scripts that look at a page
# (tests/e2e/page.sh, tests/e2e/notify.sh): sourced after tests/lib.sh,
# never run. $chrome is the browser, "" when it is not installed.
chrome=$(command -v chromium || command -v chromium-browser || true)

# The trap is Chromium's proxy: it logs the host of every request. The
# browser's own update and time checks (Google hosts) are not the page's.
# Each page gets a trap of its own, so that a late request of one load is
# never taken for another's.
start_trap() { # NAME: a trap logging to $T/NAME.hosts; its port in $port
	rm -f "$T/$1.port"
	python3 - "$T/$1" <<'PY' &
import re, socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
open(sys.argv[1] + ".port", "w").write(str(s.getsockname()[1]))
own = re.compile(r"(^|\.)(google\.com|googleapis\.com|gvt1\.com|gstatic\.com)$")
while True:
    c, _ = s.accept()
    c.settimeout(2)
    try:
        line = c.recv(4096).split(b"\r\n")[0].decode("latin-1")
    except OSError:
        line = ""
    c.close()
    m = re.match(r"\S+ (?:\w+://)?([^/:\s]+)", line)
    host = m.group(1) if m else "?"
    if not own.search(host):
        with open(sys.argv[1] + ".hosts", "a") as f:
            f.write(host + "\n")
PY
	trap_pid=$!
	i=0
	while [ ! -s "$T/$1.port" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	port=$(cat "$T/$1.port")
}

# chrome_run NAME PROXYPORT ARGS...: headless Chromium, a profile of its
# own ($T/chrome-NAME), quiet (no update, sync or extension traffic),
# every request through the proxy on loopback port PROXYPORT.
chrome_run() {
	profile=$1 proxy=$2
	shift 2
	timeout 60 "$chrome" --headless --no-sandbox --disable-gpu \
	    --disable-quic --no-first-run --disable-background-networking \
	    --disable-component-update --disable-sync --disable-extensions \
	    --user-data-dir="$T/chrome-$profile" \
	    --proxy-server="http://127.0.0.1:$proxy" "$@"
}

# shoot NAME URL PNG [WIDTH [BYPASS]]: a screenshot of URL, WIDTH (1000)
# by SHOT_HEIGHT (2600) pixels, every request the page makes sent to the
# trap NAME. BYPASS is Chromium's proxy bypass list: '<-loopback>' (the
# default) sends loopback requests to the trap too; '' lets a page served
# on loopback (the daemon's API) load while the trap still sees any other
# host.
shoot() {
	start_trap "$1"
	chrome_run "$1" "$port" --proxy-bypass-list="${5-<-loopback>}" \
	    --window-size="${4:-1000},${SHOT_HEIGHT:-2600}" \
	    --screenshot="$3" "$2" > /dev/null 2>&1
	sleep 0.5
	kill $trap_pid 2>/dev/null
	wait $trap_pid 2>/dev/null
}

# png_shown FILE WIDTH HEIGHT: FILE is a PNG of WIDTH by HEIGHT pixels
# that shows something. A picture of one colour, whatever the filter of
# each of its rows, has at most a handful of distinct rows once deflated
# (each of the five filters of a uniform row, the first row apart); a
# page with text has hundreds. Says what is wrong on stderr.
png_shown() {
	python3 - "$@" <<'PY'
import struct, sys, zlib
f, w, h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
try:
    data = open(f, "rb").read()
except OSError as e:
    sys.exit("%s: %s" % (f, e))
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit("%s: not a PNG" % f)
pos, idat, ihdr = 8, b"", None
while pos + 8 <= len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        ihdr = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
if ihdr is None:
    sys.exit("%s: no IHDR" % f)
if ihdr[:2] != (w, h):
    sys.exit("%s: %dx%d, not %dx%d" % (f, ihdr[0], ihdr[1], w, h))
if ihdr[2] != 8 or ihdr[3] not in (2, 6) or ihdr[6] != 0:
    sys.exit("%s: not 8-bit RGB(A) without interlace" % f)
raw = zlib.decompress(idat)
stride = 1 + w * (3 if ihdr[3] == 2 else 4)
if len(raw) != stride * h:
    sys.exit("%s: %d bytes of pixels, not %d" % (f, len(raw), stride * h))
rows = len({raw[i:i + stride] for i in range(0, len(raw), stride)})
if rows < 50:
    sys.exit("%s: blank (%d distinct rows)" % (f, rows))
PY
}

# chrome_dom URL: the page's DOM as Chromium built it, on stdout; pages
# on loopback only (every other host goes to a proxy that is not there).
chrome_dom() {
	chrome_run dom 9 --dump-dom "$1" 2> /dev/null
}

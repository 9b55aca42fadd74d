#!/bin/sh
# /healthz when the store cannot take writes (doc/http.md): 503 with
# the file and the reason, 200 again once it can, without a restart and
# without a write per check. The store's folder goes read-only under the
# running daemon through a read-only bind mount of the folder over
# itself (a mount with files open for writing cannot be made read-only,
# a new one can), then the file and the folder are made immutable (root
# ignores modes, not that), then, with user = nobody, the folder's modes
# shut the user out. Root only, in a mount namespace of its own so that
# no mount outlives the script.
if [ -z "${TLSRPT_HEALTHZ_NS:-}" ] && [ "$(id -u)" -eq 0 ] &&
    unshare -m --propagation private true 2> /dev/null; then
	TLSRPT_HEALTHZ_NS=1 exec unshare -m --propagation private sh "$0"
fi
. tests/lib.sh
. tests/daemon-lib.sh
plan 15
[ "$(id -u)" -eq 0 ] || skip_rest root "the store is shut by mounts and chattr"
[ -n "${TLSRPT_HEALTHZ_NS:-}" ] ||
    skip_rest mount "cannot make a mount namespace (unshare -m)"

# A process that gave up root cannot be stopped by LeakSanitizer at exit.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
s="$T/s"
h_cleanup() {
	umount "$s" 2> /dev/null
	chattr -i "$s/db" "$s" 2> /dev/null
	chmod 755 "$s" 2> /dev/null
	d_cleanup
}
trap h_cleanup EXIT

mkdir "$s"
https_conf "$T/tlsrptd.conf" "$s/db"
must_start "daemon starts" --config "$T/tlsrptd.conf"
check_eq "a writable store: 200" "$(api /healthz)" 200
check_eq "... ok" "$(cat "$T/api")" ok

if mount --bind "$s" "$s" && mount -o remount,bind,ro "$s"; then
	check_eq "the store's folder read-only: 503" "$(api /healthz -D "$T/h")" 503
	check_eq "... saying which file and why" "$(cat "$T/api")" \
	    "the store cannot take writes: $s/db: Read-only file system"
	check "... with Retry-After" grep -qi '^Retry-After: [0-9]' "$T/h"
	umount "$s"
	check_eq "writable again: 200, no restart" "$(api /healthz)" 200
else
	skip 4 mount "read-only bind mount refused"
fi

if chattr +i "$s/db" 2> /dev/null; then
	check_eq "the store file immutable (root too cannot write): 503" \
	    "$(api /healthz)" 503
	check_eq "... saying so" "$(cat "$T/api")" \
	    "the store cannot take writes: $s/db: Operation not permitted"
	chattr -i "$s/db"
	chattr +i "$s"
	check_eq "its folder immutable: 503" "$(api /healthz)" 503
	check_eq "... naming the folder" "$(cat "$T/api")" \
	    "the store cannot take writes: $s: Operation not permitted"
	chattr -i "$s"
	check_eq "writable again: 200" "$(api /healthz)" 200
else
	skip 5 chattr "chattr +i refused on this file system"
fi
stop_daemon

# With user = nobody, modes count: a folder nobody may not write.
if id nobody > /dev/null 2>&1; then
	chmod 755 "$T"
	chown nobody "$s"
	rm -rf "$s"/db* "$s/spool"
	printf 'user = nobody\n' >> "$T/tlsrptd.conf"
	if start_daemon --config "$T/tlsrptd.conf"; then
		check_eq "user = nobody, a writable store: 200" \
		    "$(api /healthz)" 200
		chmod 555 "$s"
		check_eq "the folder shut to nobody: 503" "$(api /healthz)" 503
		check_eq "... saying so" "$(cat "$T/api")" \
		    "the store cannot take writes: $s: Permission denied"
		chmod 755 "$s"
		check_eq "open again: 200" "$(api /healthz)" 200
		stop_daemon
	else
		fail "daemon starts with user = nobody"
		cat "$T/daemon.log"
	fi
else
	skip 4 root "no user nobody to run as"
fi

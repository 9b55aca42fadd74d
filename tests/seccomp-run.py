#!/usr/bin/env python3
"""Run a program under a system call allow list, as systemd's
SystemCallFilter= does, for tests/e2e/daemon-seccomp.sh: never run by the
suite on its own.

  seccomp-run.py [--user NAME] LIST PROGRAM ARGS...

LIST holds the names of the calls allowed, one a line; any other call
kills the process (SIGSYS), as it would kill the service. With --user
(as root) the program runs as that user and its group, without
supplementary groups, as systemd's User= starts it. Through libseccomp,
with ctypes: no compiler or headers needed.
"""
import ctypes
import ctypes.util
import os
import pwd
import sys

SCMP_ACT_KILL_PROCESS = 0x80000000
SCMP_ACT_ALLOW = 0x7fff0000


def main():
    args = sys.argv[1:]
    user = None
    if len(args) > 1 and args[0] == "--user":
        user = pwd.getpwnam(args[1])
        args = args[2:]
    if len(args) < 2:
        sys.exit(__doc__)
    names = open(args[0]).read().split()
    path = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    lib = ctypes.CDLL(path, use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32,
                                     ctypes.c_int, ctypes.c_uint]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    if user is not None:
        os.setgroups([])
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)
    ctx = lib.seccomp_init(SCMP_ACT_KILL_PROCESS)
    if not ctx:
        sys.exit("seccomp_init failed")
    for name in names:
        nr = lib.seccomp_syscall_resolve_name(name.encode())
        if nr < 0:
            continue    # not a call of this architecture
        if lib.seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) != 0:
            sys.exit("seccomp_rule_add %s failed" % name)
    if lib.seccomp_load(ctx) != 0:
        sys.exit("seccomp_load failed")
    os.execv(args[1], args[1:])


main()

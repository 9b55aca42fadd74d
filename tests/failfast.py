"""Imported by the Python drivers of the tests (tests/robust.py,
tests/e2e/*.py): an exception in any thread fails the whole program, as
one in the main thread does, so that the script running it sees the
failure (tests/README, "Python drivers")."""
import os
import sys
import threading


def thread_died(args):
    threading.__excepthook__(args)
    sys.stdout.flush()
    os._exit(1)


threading.excepthook = thread_died

#!/bin/sh
# The contrib/ examples checked with the tools that read them, when
# installed; that script prints its plan and its skips.
exec sh contrib/check-contrib.sh

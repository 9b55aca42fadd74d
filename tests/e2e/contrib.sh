#!/bin/sh
# The contrib/ examples checked with the tools that read them, when installed.
exec sh contrib/check-contrib.sh

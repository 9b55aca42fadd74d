#!/bin/sh
# make install: the example config becomes FILE only when there is none,
# so that an admin's config is never overwritten; root:tlsrpt 0640, so
# that the service (user tlsrpt) and an MTA's pipe running as tlsrpt can
# read it and nobody else can (it may hold api-token).
#
#   scripts/install-config.sh EXAMPLE FILE
set -u
example=$1
file=$2

if [ -e "$file" ] || [ -L "$file" ]; then
	echo "$file exists: kept; the example of this version is installed" \
	    "beside the schema (tlsrptd.conf.example)"
	exit 0
fi
install -m 640 "$example" "$file" || exit 1
if chgrp tlsrpt "$file" 2> /dev/null; then
	echo "$file installed from the example: root:tlsrpt 0640; edit it"
else
	echo "$file installed from the example, mode 0640; no group tlsrpt" \
	    "here yet: once it exists, chgrp tlsrpt $file (tlsrptd.conf(5))"
fi

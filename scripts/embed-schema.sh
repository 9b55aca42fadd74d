#!/bin/sh
# Turn schema/<backend>/NNN-name.sql into a C table of migrations.
set -eu
dir=${1:-schema}
echo '/* Generated from schema/ by scripts/embed-schema.sh. Do not edit. */'
echo '#include <stddef.h>'
echo '#include "schema.h"'
echo 'const struct schema_migration schema_migrations[] = {'
for f in "$dir"/*/[0-9][0-9][0-9]-*.sql; do
	[ -e "$f" ] || continue
	backend=$(basename "$(dirname "$f")")
	name=$(basename "$f")
	num=$(echo "$name" | sed 's/^0*\([0-9][0-9]*\)-.*/\1/')
	printf '\t{ "%s", %s, "%s",\n' "$backend" "$num" "$name"
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t  "/' -e 's/$/\\n"/' "$f"
	printf '\t},\n'
done
echo '	{ NULL, 0, NULL, NULL },'
echo '};'

/*
 * fuzz-filename: any bytes, made a C string, through
 * report_filename_parse(); what it fills must be terminated strings.
 */
#include <stdlib.h>
#include <string.h>

#include "filename.h"
#include "fuzz.h"
#include "banned.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct report_filename f;
	char *name;

	if ((name = malloc(size + 1)) == NULL)
		return 0;
	memcpy(name, data, size);
	name[size] = '\0';
	if (report_filename_parse(name, &f) == 0) {
		if (memchr(f.receiver, '\0', sizeof(f.receiver)) == NULL ||
		    memchr(f.policy_domain, '\0',
		    sizeof(f.policy_domain)) == NULL ||
		    memchr(f.unique_id, '\0', sizeof(f.unique_id)) == NULL ||
		    memchr(f.extension, '\0', sizeof(f.extension)) == NULL)
			__builtin_trap();
		if (strcmp(f.extension, "json") != 0 &&
		    strcmp(f.extension, "json.gz") != 0)
			__builtin_trap();
	}
	free(name);
	return 0;
}

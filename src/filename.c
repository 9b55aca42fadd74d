/* filename: see include/filename.h. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "dnsname.h"
#include "filename.h"
#include "banned.h"

#define FIELDS_MAX 5

/*
 * The last second of year 9999: a timestamp beyond it is no report period
 * but a wrong or hostile name.
 */
#define TIMESTAMP_MAX 253402300799LL

/* A DNS name, normalised as the reports' names are (dnsname.h). */
static int
copy_domain(char dst[BOUND_DNS_NAME + 1], const char *s, size_t n)
{
	char name[BOUND_DNS_TEXT + 1];
	struct error err;

	if (n > BOUND_DNS_TEXT)
		return -1;
	memcpy(name, s, n);
	name[n] = '\0';
	return dnsname_normalise(name, dst, &err);
}

/* Decimal digits only: no sign, no space, no leading "0x". */
static int
parse_timestamp(const char *s, size_t n, int64_t *t)
{
	int64_t v = 0;
	size_t i;

	if (n == 0 || n > 12)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v > TIMESTAMP_MAX)
		return -1;
	*t = v;
	return 0;
}

/*
 * RFC 8460 5.1 has unique-id = 1*(ALPHA / DIGIT); senders also use '-',
 * '_' and '.', which are harmless.
 */
static int
copy_unique_id(char *dst, size_t size, const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n >= size)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_' && s[i] != '.')
			return -1;
		dst[i] = s[i];
	}
	dst[n] = '\0';
	return 0;
}

int
report_filename_parse(const char *name, struct report_filename *f)
{
	const char *field[FIELDS_MAX], *p, *end;
	size_t len[FIELDS_MAX], n, nfields = 0;

	if (name == NULL)
		return -1;
	memset(f, 0, sizeof(*f));
	n = strlen(name);
	if (n > 8 && strcasecmp(name + n - 8, ".json.gz") == 0) {
		memcpy(f->extension, "json.gz", sizeof("json.gz"));
		end = name + n - 8;
	} else if (n > 5 && strcasecmp(name + n - 5, ".json") == 0) {
		memcpy(f->extension, "json", sizeof("json"));
		end = name + n - 5;
	} else
		return -1;

	for (p = name; nfields < FIELDS_MAX; nfields++) {
		field[nfields] = p;
		while (p < end && *p != '!')
			p++;
		len[nfields] = (size_t)(p - field[nfields]);
		if (p == end)
			break;
		p++;
	}
	if (p != end || nfields + 1 < 4)
		return -1;
	nfields++;

	if (copy_domain(f->receiver, field[0], len[0]) == -1 ||
	    copy_domain(f->policy_domain, field[1], len[1]) == -1 ||
	    parse_timestamp(field[2], len[2], &f->begin) == -1 ||
	    parse_timestamp(field[3], len[3], &f->end) == -1 ||
	    f->begin > f->end)
		return -1;
	if (nfields == 5 && copy_unique_id(f->unique_id, sizeof(f->unique_id),
	    field[4], len[4]) == -1)
		return -1;
	return 0;
}

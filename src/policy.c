/* policy: see include/policy.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy.h"
#include "banned.h"

void
sts_policy_init(struct sts_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->max_age = -1;
}

void
sts_policy_release(struct sts_policy *p)
{
	size_t i;

	for (i = 0; i < p->nmx; i++)
		free(p->mx[i]);
	sts_policy_init(p);
}

char *
domain_normalise(char *s)
{
	size_t n;
	char *c;

	for (c = s; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	n = (size_t)(c - s);
	if (n > 0 && s[n - 1] == '.')
		s[n - 1] = '\0';
	return s;
}

static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

static void
copy_lower(char *dst, size_t dstlen, const char *src, size_t n)
{
	size_t i;

	if (n >= dstlen)
		n = dstlen - 1;
	for (i = 0; i < n; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[n] = '\0';
}

static int
add_one(struct sts_policy *p, const char *line, size_t n, struct error *err)
{
	const char *colon, *val;
	size_t klen, vlen;
	char key[16], *mx;

	trim(&line, &n);
	colon = memchr(line, ':', n);
	if (colon == NULL)
		return 0;
	klen = (size_t)(colon - line);
	val = colon + 1;
	vlen = n - klen - 1;
	trim(&line, &klen);
	trim(&val, &vlen);
	if (klen == 0 || klen >= sizeof(key))
		return 0;
	copy_lower(key, sizeof(key), line, klen);

	if (strcmp(key, "version") == 0) {
		if (vlen >= sizeof(p->version))
			vlen = sizeof(p->version) - 1;
		memcpy(p->version, val, vlen);
		p->version[vlen] = '\0';
	} else if (strcmp(key, "mode") == 0) {
		copy_lower(p->mode, sizeof(p->mode), val, vlen);
	} else if (strcmp(key, "max_age") == 0) {
		int64_t v = 0;
		size_t i;

		for (i = 0; i < vlen && i < 18; i++) {
			if (!isdigit((unsigned char)val[i]))
				break;
			v = v * 10 + (val[i] - '0');
		}
		p->max_age = (i == vlen && vlen > 0) ? v : -1;
	} else if (strcmp(key, "mx") == 0) {
		if (vlen == 0 || p->nmx >= STS_MX_MAX)
			return 0;
		mx = strndup(val, vlen);
		if (mx == NULL)
			return error_set(err, ERR_NOMEM, "out of memory");
		p->mx[p->nmx++] = domain_normalise(mx);
	}
	return 0;
}

int
sts_policy_add_line(struct sts_policy *p, const char *line, struct error *err)
{
	const char *end;

	while (*line) {
		end = line + strcspn(line, "\r\n");
		if (add_one(p, line, (size_t)(end - line), err) < 0)
			return -1;
		line = end;
		while (*line == '\r' || *line == '\n')
			line++;
	}
	return 0;
}

static size_t
name_len(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && s[n - 1] == '.' ? n - 1 : n;
}

int
sts_mx_match(const char *pattern, const char *host)
{
	size_t pl = name_len(pattern), hl = name_len(host);
	const char *dot;

	if (pl == 0 || hl == 0)
		return 0;
	if (pl > 2 && pattern[0] == '*' && pattern[1] == '.') {
		/* The host's first label, then the rest must equal the
		 * pattern's suffix: one label only. */
		dot = memchr(host, '.', hl);
		if (dot == NULL || dot == host)
			return 0;
		return (size_t)(host + hl - dot) == pl - 1 &&
		    strncasecmp(dot, pattern + 1, pl - 1) == 0;
	}
	return pl == hl && strncasecmp(pattern, host, pl) == 0;
}

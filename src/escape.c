/* escape: see include/escape.h. */
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "banned.h"

size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and past U+10FFFF. */
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 ||
	    c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/*
 * The escape of the character at s into esc (at least 8 bytes), or "" when
 * it passes as it is; *len is the character's length in s.
 */
void
escape_hex(char *out, char kind, uint32_t v, int digits)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	out[0] = '\\';
	out[1] = kind;
	for (i = 0; i < digits; i++)
		out[2 + i] = hex[(v >> (4 * (digits - 1 - i))) & 15];
	out[2 + digits] = '\0';
}

/* A character that moves or hides text on a terminal though it prints
 * nothing of its own: the C1 controls and the bidirectional overrides
 * and isolates. Written as \uXXXX. */
static int
hidden(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069);
}

void
escape_quote(char *out, size_t size, const char *in)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0, n = strlen(in), k;
	uint32_t cp;

	/* Room for the longest escape, then "..." and the NUL. */
	while (i < n && i < QUOTE_MAX && o + 11 <= size) {
		k = utf8_decode(s + i, n - i, &cp);
		if (k == 1 && s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' &&
		    s[i] != '\\') {
			out[o++] = (char)s[i++];
		} else if (k > 1 && hidden(cp)) {
			escape_hex(out + o, 'u', cp, 4);
			o += 6;
			i += k;
		} else if (k > 1) {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
		} else {
			escape_hex(out + o, 'x', s[i++], 2);
			o += 4;
		}
	}
	if (i < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static void
escape_one(const char *s, int flags, char *esc, size_t *len)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp;

	esc[0] = '\0';
	*len = utf8_decode(u, strnlen(s, 4), &cp);
	if (*len == 0) {
		*len = 1;
		escape_hex(esc, 'x', u[0], 2);
		return;
	}
	if ((flags & ESCAPE_KEEP_NEWLINE) && (cp == '\n' || cp == '\t'))
		return;
	if ((flags & ESCAPE_QUOTED) && (cp == '\\' || cp == '"')) {
		esc[0] = '\\';
		esc[1] = (char)cp;
		esc[2] = '\0';
	} else if (cp < 0x20 || cp == 0x7f) {
		escape_hex(esc, 'x', cp, 2);
	} else if (hidden(cp)) {
		escape_hex(esc, 'u', cp, 4);
	}
}

size_t
escape_fputs(FILE *f, const char *s, int flags)
{
	char esc[8];
	size_t len, n = 0;

	while (*s) {
		escape_one(s, flags, esc, &len);
		if (esc[0]) {
			fputs(esc, f);
			n += strlen(esc);
		} else {
			fwrite(s, 1, len, f);
			n += len;
		}
		s += len;
	}
	return n;
}

/* Printable ASCII that passes as it is under flags: most of every
 * string, copied a run at a time instead of decoded a character at a
 * time (BENCHMARKS.md, "The overview of 10,000 domains"). */
static int
plain(unsigned char c, int flags)
{
	return c >= 0x20 && c < 0x7f && !((flags & ESCAPE_QUOTED) &&
	    (c == '\\' || c == '"'));
}

size_t
escape_string(char *out, size_t size, const char *s, int flags)
{
	char esc[8];
	size_t len, run, need = 0, piece;
	const char *from;
	int full = 0;

	if (size > 0)
		out[0] = '\0';
	while (*s) {
		for (run = 0; plain((unsigned char)s[run], flags); run++)
			;
		if ((len = run) > 0)
			esc[0] = '\0';
		else
			escape_one(s, flags, esc, &len);
		from = esc[0] ? esc : s;
		piece = esc[0] ? strlen(esc) : len;
		if (!full && need + piece < size) {
			memcpy(out + need, from, piece);
			out[need + piece] = '\0';
		} else if (!full) {
			/* A run of ASCII is cut at any byte; an escape or a
			 * character of several bytes is left out whole. */
			if (run > 0 && need + 1 < size) {
				memcpy(out + need, from, size - 1 - need);
				out[size - 1] = '\0';
			}
			full = 1;
		}
		need += piece;
		s += len;
	}
	return need;
}

json_t *
escape_json_copy(const json_t *v)
{
	const char *key;
	json_t *out, *item;
	size_t i, need;
	char *esc;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if ((out = json_object()) == NULL)
			return NULL;
		json_object_foreach((json_t *)v, key, item)
			if (json_object_set_new(out, key,
			    escape_json_copy(item)) < 0) {
				json_decref(out);
				return NULL;
			}
		return out;
	case JSON_ARRAY:
		if ((out = json_array()) == NULL)
			return NULL;
		json_array_foreach(v, i, item)
			if (json_array_append_new(out,
			    escape_json_copy(item)) < 0) {
				json_decref(out);
				return NULL;
			}
		return out;
	case JSON_STRING:
		need = escape_string(NULL, 0, json_string_value(v), 0);
		if ((esc = malloc(need + 1)) == NULL)
			return NULL;
		escape_string(esc, need + 1, json_string_value(v), 0);
		out = json_string(esc);
		free(esc);
		return out;
	default:
		return json_deep_copy(v);
	}
}

void
escape_csv_cell(FILE *f, const char *s, int last)
{
	int formula = strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0';

	if (formula || strpbrk(s, ",\"\r\n") != NULL) {
		fputc('"', f);
		if (formula)
			fputc('\'', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputc(last ? '\n' : ',', f);
}

json_t *
escape_json_text(const char *s)
{
	json_t *j;
	size_t need;
	char *e;

	if ((j = json_string(s)) != NULL)
		return j;
	need = escape_string(NULL, 0, s, ESCAPE_KEEP_NEWLINE) + 1;
	if ((e = malloc(need)) == NULL)
		return NULL;
	escape_string(e, need, s, ESCAPE_KEEP_NEWLINE);
	j = json_string(e);
	free(e);
	return j;
}

/*
 * escape: report fields are written by anyone who can post a report, so
 * whatever reaches a terminal, a log or a spreadsheet goes through here
 * (doc/output.md).
 *
 * The controls a reader's terminal or editor would act on are shown as
 * visible escapes instead: C0 controls (newline and tab kept only where
 * the caller allows them), DEL and C1 controls as \xNN, and the
 * bidirectional controls U+202A to U+202E and U+2066 to U+2069 as \uNNNN.
 * A backslash stays as it is (unless ESCAPE_QUOTED), so an escape cannot
 * be told from a literal one; that is fine for a person's eyes, and
 * machine-readable outputs (JSON) carry the exact value. Bytes that are not valid UTF-8 are shown
 * as \xNN too.
 */
#ifndef TLSRPT_ESCAPE_H
#define TLSRPT_ESCAPE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bounds.h"

/*
 * The length of the valid UTF-8 sequence at s, of at most n bytes (1 to
 * 4), with its code point in *cp; 0 when it is not one (a stray or
 * missing continuation byte, an overlong form, a surrogate, past
 * U+10FFFF).
 */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Flags. */
#define ESCAPE_KEEP_NEWLINE	1	/* newline and tab pass as they are */
#define ESCAPE_QUOTED		2	/* \ and " as \\ and \": a value
					 * between double quotes (logs) */

/*
 * Write s to f with the controls above escaped. Returns the number of
 * bytes written.
 */
size_t escape_fputs(FILE *f, const char *s, int flags);

/*
 * The escape of v as these write it: a backslash, kind ('x' or 'u'), v in
 * digits (2 or 4) lower-case hex digits, then a NUL, into out (at least
 * digits + 3 bytes).
 */
void escape_hex(char *out, char kind, uint32_t v, int digits);

/*
 * The same into out (size bytes, always terminated): the result is cut at
 * a whole escape or character when it does not fit. Returns the length
 * that the whole escaped string needs (as snprintf does).
 */
size_t escape_string(char *out, size_t size, const char *s, int flags);

/*
 * A value from outside as a message quotes it between double quotes
 * (the caller writes the quotes): printable ASCII and whole UTF-8
 * characters as they are; a double quote, a backslash, a control, a byte
 * that is not UTF-8 as \xNN, a C1 or bidirectional control as \uNNNN;
 * cut after QUOTE_MAX bytes of s with "...". So the quoted value ends at
 * the first double quote that follows, in a log line, an answer to a
 * sender or JSON. out is at least ESCAPE_QUOTE_SIZE bytes.
 */
#define ESCAPE_QUOTE_SIZE	(QUOTE_MAX * 4 + 8)
void escape_quote(char *out, size_t size, const char *s);

/*
 * A deep copy of v with every string (object keys aside) escaped, newline
 * included: what the text, CSV and page formatters print from, so that no
 * field of theirs can reach the reader raw. NULL when memory runs out.
 */
json_t *escape_json_copy(const json_t *v);

/*
 * s as a JSON string: its exact value when it is UTF-8, else escaped as
 * escape_string() does (a byte that is not UTF-8 as \xNN), since JSON
 * cannot carry it; for names from outside (file names, message ids,
 * mail part names) that must not drop a field or a line of JSON output.
 * NULL when memory runs out.
 */
json_t *escape_json_text(const char *s);

/*
 * A CSV cell that a spreadsheet would read as a formula (it starts with =,
 * +, -, @, tab or carriage return) gets a leading '. Writes the cell to f
 * quoted as RFC 4180 says when it needs quotes; last ends the row.
 */
void escape_csv_cell(FILE *f, const char *s, int last);

#endif

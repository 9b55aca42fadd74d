/*
 * escape: report fields are written by anyone who can post a report, so
 * whatever reaches a terminal, a log or a spreadsheet goes through here
 * (doc/output.md).
 *
 * The controls a reader's terminal or editor would act on are shown as
 * visible escapes instead: C0 controls (newline and tab kept only where
 * the caller allows them), DEL and C1 controls as \xNN, and the
 * bidirectional controls U+202A to U+202E and U+2066 to U+2069 as \uNNNN.
 * A backslash stays as it is, so an escape cannot be told from a literal
 * one; that is fine for a person's eyes, and machine-readable outputs
 * (JSON) carry the exact value. Bytes that are not valid UTF-8 are shown
 * as \xNN too.
 */
#ifndef TLSRPT_ESCAPE_H
#define TLSRPT_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

/* Flags. */
#define ESCAPE_KEEP_NEWLINE	1	/* newline and tab pass as they are */

/*
 * Write s to f with the controls above escaped. Returns the number of
 * bytes written.
 */
size_t escape_fputs(FILE *f, const char *s, int flags);

/*
 * The same into out (size bytes, always terminated): the result is cut at
 * a whole escape or character when it does not fit. Returns the length
 * that the whole escaped string needs (as snprintf does).
 */
size_t escape_string(char *out, size_t size, const char *s, int flags);

#endif

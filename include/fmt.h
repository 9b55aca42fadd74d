/*
 * fmt: snprintf checked for truncation, so that no text is ever cut
 * without someone noticing.
 *
 * fmt_whole() is for text that must be whole (paths, names, keys,
 * numbers): it returns -1 when the text does not fit, and the caller
 * fails or chooses otherwise. fmt_cut() is for text meant for a person (messages, log
 * lines, labels), where its start is better than nothing: a text that
 * does not fit is cut, before a whole UTF-8 character, and ends with
 * "...", so that the reader sees it was. Both leave dst a terminated string ("" when the format itself
 * failed); size must be at least 4 for fmt_cut().
 */
#ifndef TLSRPT_FMT_H
#define TLSRPT_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* 0, or -1 when the text did not fit in size bytes or failed. */
int fmt_whole(char *dst, size_t size, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

/* 0, or -1 when the text was cut (ending "...") or failed (""). */
int fmt_cut(char *dst, size_t size, const char *format, ...)
	__attribute__((format(printf, 3, 4)));
int vfmt_cut(char *dst, size_t size, const char *format, va_list ap)
	__attribute__((format(printf, 3, 0)));

#endif

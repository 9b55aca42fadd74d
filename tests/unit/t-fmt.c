/*
 * t-fmt: the checked snprintf (fmt.h), and the words every answer uses
 * for an input over a limit (error_too_big()) and for a cut message.
 */
#include <stdint.h>
#include <string.h>

#include "error.h"
#include "escape.h"
#include "fmt.h"
#include "tap.h"

static void
test_whole(void)
{
	char b[8];

	is_int(fmt_whole(b, sizeof(b), "%s", "1234567"), 0,
	    "whole: seven bytes and the NUL fit eight");
	is_str(b, "1234567", "whole: as written");
	is_int(fmt_whole(b, sizeof(b), "%s", "12345678"), -1,
	    "whole: eight bytes do not fit eight");
	ok(strlen(b) < sizeof(b), "whole: cut, still terminated");
	is_int(fmt_whole(b, 0, "%s", "x"), -1, "whole: no room at all");
	is_int(fmt_whole(b, sizeof(b), "%d-%d", 12, 34), 0,
	    "whole: numbers");
	is_str(b, "12-34", "whole: numbers as written");
}

static void
test_cut(void)
{
	char b[8];

	is_int(fmt_cut(b, sizeof(b), "%s", "short"), 0, "cut: fits");
	is_str(b, "short", "cut: as written");
	is_int(fmt_cut(b, sizeof(b), "%s", "much too long"), -1,
	    "cut: says it cut");
	is_str(b, "much...", "cut: the cut is marked");
	/* "ab" then the euro sign (3 bytes): the mark at byte 4 would
	 * split it. */
	fmt_cut(b, sizeof(b), "%s", "ab\xe2\x82\xac\xe2\x82\xac");
	is_str(b, "ab...", "cut: a character is left out whole");
	fmt_cut(b, sizeof(b), "%s", "a\xf0\x9f\x98\x80" "bcd");
	is_str(b, "a...", "cut: a character of 4 bytes left out whole");
	fmt_cut(b, sizeof(b), "%s", "a\xe2\x82\xac" "bcdef");
	is_str(b, "a\xe2\x82\xac...", "cut: a character that fits is kept");
	is_int(fmt_cut(b, 3, "%s", "abc"), -1, "cut: no room for the mark");
	is_str(b, "", "cut: then nothing, terminated");
}

static void
test_too_big(void)
{
	struct error err;

	is_int(error_too_big(&err, "body", 0, 12, 10), -1,
	    "too big: returns -1");
	is_int(err.kind, ERR_TOO_BIG, "too big: ERR_TOO_BIG");
	is_str(err.msg, "body of 12 bytes over the limit of 10 bytes",
	    "too big: the size and the limit");
	error_too_big(&err, "input", 1, 40, 10);
	is_str(err.msg, "input of more than 40 bytes over the limit of 10 "
	    "bytes", "too big: only part of it was counted");
	error_too_big(&err, "body", 0, 0, 10);
	is_str(err.msg, "body over the limit of 10 bytes",
	    "too big: the size not known yet");
}

static void
test_error(void)
{
	char longer[ERROR_MSG_MAX * 2];
	struct error err;

	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	error_set(&err, ERR_INPUT, "%s", longer);
	is_int(strlen(err.msg), ERROR_MSG_MAX - 1,
	    "error: a long message fills the buffer");
	is_str(err.msg + ERROR_MSG_MAX - 4, "...",
	    "error: and ends with the mark of its cut");
	error_set(&err, ERR_IO, "cannot open");
	error_prefix(&err, "%s", "store");
	is_str(err.msg, "store: cannot open", "error: a prefix");
	is_int(err.kind, ERR_IO, "error: the prefix keeps the kind");
}

/* escape_string: runs of plain ASCII between the characters it escapes,
 * and the cut when the result does not fit. */
static void
test_escape_string(void)
{
	const char *s = "a\x1b[31m \xe2\x80\xae\"q\"\\ \xc3\xa9t\xc3\xa9 \xff.";
	char b[64];

	is_int(escape_string(b, sizeof(b), s, 0), 32,
	    "escape_string: the length the whole needs");
	is_str(b, "a\\x1b[31m \\u202e\"q\"\\ \xc3\xa9t\xc3\xa9 \\xff.",
	    "escape_string: controls escaped, the rest as it is");
	escape_string(b, sizeof(b), s, ESCAPE_QUOTED);
	is_str(b, "a\\x1b[31m \\u202e\\\"q\\\"\\\\ \xc3\xa9t\xc3\xa9 \\xff.",
	    "escape_string: quoted, \\ and \" escaped too");
	escape_string(b, sizeof(b), "a\nb\tc", ESCAPE_KEEP_NEWLINE);
	is_str(b, "a\nb\tc", "escape_string: newline and tab kept");
	escape_string(b, sizeof(b), "a\nb\tc", 0);
	is_str(b, "a\\x0ab\\x09c", "escape_string: newline and tab escaped");
	is_int(escape_string(b, 4, "abcdef", 0), 6,
	    "escape_string: cut, the length the whole needs");
	is_str(b, "abc", "escape_string: a run of ASCII cut at a byte");
	escape_string(b, 4, "ab\x1b", 0);
	is_str(b, "ab", "escape_string: an escape that does not fit left out");
	escape_string(b, 4, "ab\xc3\xa9", 0);
	is_str(b, "ab", "escape_string: a character that does not fit left "
	    "out whole");
	escape_string(b, 4, "ab\x1b" "c", 0);
	is_str(b, "ab", "escape_string: nothing after what was left out");
	is_int(escape_string(NULL, 0, "ab\x1b", 0), 6,
	    "escape_string: no room, the length");
}

static void
test_escape_hex(void)
{
	char b[8];

	escape_hex(b, 'x', 0x1b, 2);
	is_str(b, "\\x1b", "escape_hex: a control");
	escape_hex(b, 'u', 0x202e, 4);
	is_str(b, "\\u202e", "escape_hex: a bidirectional control");
	escape_hex(b, 'x', 0xff, 2);
	is_str(b, "\\xff", "escape_hex: a byte");
}

/* A value quoted in a message: nothing in it can end the quotes. */
static void
test_escape_quote(void)
{
	char q[ESCAPE_QUOTE_SIZE], in[QUOTE_MAX * 2 + 1];
	size_t i;

	escape_quote(q, sizeof(q), "a\"b\\c");
	is_str(q, "a\\x22b\\x5cc", "escape_quote: a quote and a backslash");
	escape_quote(q, sizeof(q), "\xc3\xa9t\xc3\xa9\x1b\xff");
	is_str(q, "\xc3\xa9t\xc3\xa9\\x1b\\xff",
	    "escape_quote: UTF-8 kept, a control and a stray byte escaped");
	escape_quote(q, sizeof(q), "x\xe2\x80\xaey");
	is_str(q, "x\\u202ey", "escape_quote: a bidirectional control");
	for (i = 0; i < sizeof(in) - 1; i++)
		in[i] = '"';
	in[i] = '\0';
	escape_quote(q, sizeof(q), in);
	ok(strlen(q) == QUOTE_MAX * 4 + 3 &&
	    strcmp(q + QUOTE_MAX * 4, "...") == 0,
	    "escape_quote: cut after QUOTE_MAX bytes, with \"...\"");
}

int
main(void)
{
	test_whole();
	test_cut();
	test_too_big();
	test_error();
	test_escape_string();
	test_escape_hex();
	test_escape_quote();
	return tap_done();
}

/*
 * decode: from the bytes a sender sent to the JSON text of a report.
 *
 * The format is told from the bytes, never from a file name or a header:
 * gzip by its magic number, JSON by its first non-blank character. Gzip is
 * inflated in a streaming loop into a buffer capped both in size and in
 * ratio to the compressed size, so a decompression bomb costs at most the
 * cap. Bytes after the last gzip member are ignored (some senders pad);
 * concatenated members are inflated one after the other (RFC 1952 2.2).
 */
#ifndef TLSRPT_DECODE_H
#define TLSRPT_DECODE_H

#include <stddef.h>

#include "budget.h"
#include "buf.h"
#include "error.h"

enum payload_format {
	PAYLOAD_GZIP,
	PAYLOAD_JSON,
	PAYLOAD_OTHER,
};

struct decode_limits {
	size_t inflated_max;	/* bytes of JSON after inflating */
	unsigned ratio;		/* inflated bytes per compressed byte */
	/* Charged for every buffer inflating grows, before it grows (the
	 * daemon's decode budget); NULL: nothing is metered. */
	struct budget_hold *hold;
};

/* The defaults of bounds.h. */
void decode_limits_default(struct decode_limits *lim);

/* Tell the format from the first bytes. */
enum payload_format decode_sniff(const void *p, size_t n);

/* A name for the format ("gzip", "json", "other"). */
const char *decode_format_name(enum payload_format f);

/*
 * An upper bound of the memory that parsing the JSON text json takes (the
 * JSON library's tree, and the report built from it), charged to the
 * decode budget before parsing: a few hundred bytes per object and a
 * hundred per value, and the text twice for the strings it copies. Only
 * the text up to the first byte that JSON never holds (a control
 * character other than blanks, as in padding of NUL bytes) counts: the
 * parser stops there.
 */
size_t decode_parse_cost(const char *json, size_t len);

/*
 * Turn a payload into JSON text. For gzip the text is inflated into out
 * (which the caller has initialised and later releases); for JSON it points
 * into in, with a UTF-8 byte order mark skipped. On success *json and
 * *jsonlen describe the text. On failure: ERR_INPUT (not gzip or JSON,
 * corrupt or truncated gzip) or ERR_TOO_BIG (a limit), message naming it;
 * ERR_NOMEM when lim->hold refused a charge (or memory ran out).
 */
int decode_payload(const void *in, size_t inlen,
		   const struct decode_limits *lim, struct buf *out,
		   const char **json, size_t *jsonlen, struct error *err);

#endif

/*
 * mail_bounds: what a message would cost GMime, counted over its raw bytes
 * before GMime builds its tree (doc/mail-bounds.md).
 *
 * GMime keeps an object of about 1.3 KB for every MIME part, however
 * empty, and a copy of every header: 32 MiB of "--b" lines are millions
 * of parts (BENCHMARKS.md has the figures). This pass walks the bytes
 * once, in time
 * linear in their length, and counts what GMime would build, never less:
 * every line GMime could take for a header is taken for one here, and
 * every boundary any Content-Type header declares counts, whichever
 * multipart it belongs to. A message within the bounds of bounds.h
 * (BOUND_MIME_PARTS, BOUND_MIME_HEADERS, BOUND_MIME_FIELDS,
 * BOUND_MIME_BOUNDARY_TESTS) is then parsed by GMime at a cost in
 * proportion.
 */
#ifndef TLSRPT_MAIL_BOUNDS_H
#define TLSRPT_MAIL_BOUNDS_H

#include <stddef.h>

#include "error.h"

struct mail_bounds {
	/* Parts after a boundary line, and messages forwarded inside a
	 * part (message/rfc822); the top of the message is not counted. */
	size_t parts;
	/* Bytes of every header block, folded lines and line ends
	 * included, the blank line that ends a block not. */
	size_t header_bytes;
	/* Header fields (a folded one once), in every block. */
	size_t fields;
	/* Lines starting with "--", each times the multiparts declared
	 * before it: what GMime's boundary tests cost at most. */
	size_t boundary_tests;
};

/*
 * Count the parts and headers of len bytes of a message (as GMime will be
 * handed them: after any mbox "From " line; GMime started, mail_init()).
 * Returns 0 with the counts in *out (may be NULL), or -1 with ERR_TOO_BIG
 * naming the limit passed (counting stops there), or ERR_NOMEM.
 */
int mail_bounds_check(const void *bytes, size_t len, struct mail_bounds *out,
		      struct error *err);

#endif

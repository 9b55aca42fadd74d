/*
 * fuzz-mail: any bytes as a mail message through mail_parse() (GMime
 * started once), the DKIM rule read off its Authentication-Results, and
 * every part handed back read through.
 */
#include <string.h>

#include "fuzz.h"
#include "mail.h"
#include "banned.h"

/* Small, so that a part over it is found often. */
#define FUZZ_PART_MAX	(64 * 1024)

static size_t
touch(const char *s)
{
	return s ? strlen(s) : 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int started;
	struct mail_message m;
	struct error err;
	char dkim[256];
	size_t i, j, n = 0;

	if (!started) {
		mail_init();
		started = 1;
	}
	error_clear(&err);
	memset(&m, 0, sizeof(m));
	(void)mail_sniff(data, size);
	if (mail_parse(data, size, FUZZ_PART_MAX, &m, &err) == 0) {
		if (m.nparts > MAIL_PARTS_MAX)
			__builtin_trap();
		n += touch(m.message_id) + touch(m.subject) + touch(m.date) +
		    touch(m.report_domain) + touch(m.report_submitter) +
		    touch(m.from);
		for (i = 0; i < m.nparts; i++) {
			if (m.parts[i].len > FUZZ_PART_MAX)
				__builtin_trap();
			for (j = 0; j < m.parts[i].len; j++)
				n += m.parts[i].data[j];
			n += touch(m.parts[i].content_type) +
			    touch(m.parts[i].filename);
		}
		if (mail_dkim_verify(&m, "mx.example.net", dkim,
		    sizeof(dkim), &err) == 0)
			n += strlen(dkim);
		else if (err.kind != ERR_INPUT && err.kind != ERR_NOMEM)
			__builtin_trap();
	} else if (err.kind != ERR_INPUT && err.kind != ERR_TOO_BIG &&
	    err.kind != ERR_NOMEM) {
		__builtin_trap();
	}
	mail_release(&m);
	return (int)(n & 0);
}

/*
 * fuzz-decode: any bytes through decode_payload(), with limits small
 * enough that a decompression bomb hits them within the time budget.
 */
#include <string.h>

#include "decode.h"
#include "fuzz.h"
#include "banned.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decode_limits lim = { .inflated_max = 256 * 1024, .ratio = 50 };
	struct error err;
	struct buf out;
	const char *json;
	size_t jsonlen, i;
	unsigned sum = 0;

	error_clear(&err);
	buf_init(&out, lim.inflated_max);
	(void)decode_format_name(decode_sniff(data, size));
	if (decode_payload(data, size, &lim, &out, &json, &jsonlen,
	    &err) == 0) {
		/* Touch every byte handed back, for ASan to check. */
		for (i = 0; i < jsonlen; i++)
			sum += (unsigned char)json[i];
		if (jsonlen > lim.inflated_max)
			__builtin_trap();
	} else if (err.kind != ERR_INPUT && err.kind != ERR_TOO_BIG &&
	    err.kind != ERR_NOMEM) {
		__builtin_trap();
	}
	buf_release(&out);
	return (int)(sum & 0);
}

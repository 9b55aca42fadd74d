/* Unit tests: decode (sniffing, capped and metered inflate). */
#include <stdlib.h>
#include <zlib.h>

#include "decode.h"
#include "tap.h"

/* gzip of n bytes of c, as one member. */
static unsigned char *
gzip_of(char c, size_t n, size_t *outlen)
{
	unsigned char *in = malloc(n), *out;
	size_t cap = n / 100 + 1024;
	z_stream zs = { 0 };

	memset(in, c, n);
	out = malloc(cap);
	deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9,
	    Z_DEFAULT_STRATEGY);
	zs.next_in = in;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	deflate(&zs, Z_FINISH);
	*outlen = cap - zs.avail_out;
	deflateEnd(&zs);
	free(in);
	return out;
}

int
main(void)
{
	struct decode_limits lim;
	struct buf out;
	struct error err;
	const char *json;
	size_t jlen, glen;
	unsigned char *g;

	ok(decode_sniff("\x1f\x8b\x08", 3) == PAYLOAD_GZIP, "gzip magic");
	ok(decode_sniff(" \r\n\t{", 5) == PAYLOAD_JSON, "JSON after blanks");
	ok(decode_sniff("\xef\xbb\xbf{", 4) == PAYLOAD_JSON, "JSON after a BOM");
	ok(decode_sniff("[1]", 3) == PAYLOAD_JSON, "a JSON array is JSON");
	ok(decode_sniff("From: x", 7) == PAYLOAD_OTHER, "a message is other");
	ok(decode_sniff("", 0) == PAYLOAD_OTHER, "nothing is other");
	ok(decode_sniff("\x1f", 1) == PAYLOAD_OTHER, "half a magic");

	decode_limits_default(&lim);
	buf_init(&out, 0);
	ok(decode_payload("{\"a\":1}", 7, &lim, &out, &json, &jlen, &err) == 0
	    && jlen == 7 && out.data == NULL, "JSON passes through uncopied");

	/* 1 MiB of spaces inflates fine under both limits. */
	g = gzip_of(' ', 1 << 20, &glen);
	ok(decode_payload(g, glen, &lim, &out, &json, &jlen, &err) == 0 &&
	    jlen == 1 << 20, "1 MiB inflates (%zu compressed)", glen);
	buf_release(&out);

	/* The same under a 1000:1 ratio on ~1 KiB input is over the ratio. */
	lim.ratio = 100;
	ok(decode_payload(g, glen, &lim, &out, &json, &jlen, &err) < 0 &&
	    err.kind == ERR_TOO_BIG, "ratio limit: %s", err.msg);
	buf_release(&out);
	decode_limits_default(&lim);
	lim.inflated_max = 1000;
	ok(decode_payload(g, glen, &lim, &out, &json, &jlen, &err) < 0 &&
	    err.kind == ERR_TOO_BIG && out.len <= 1000, "size limit: %s",
	    err.msg);
	buf_release(&out);
	decode_limits_default(&lim);
	lim.inflated_max = 1 << 20;
	ok(decode_payload(g, glen, &lim, &out, &json, &jlen, &err) == 0,
	    "exactly at the size limit is allowed");
	buf_release(&out);
	decode_limits_default(&lim);
	free(g);
	g = gzip_of(' ', 1000, &glen);
	ok(decode_payload(g, glen - 5, &lim, &out, &json, &jlen, &err) < 0 &&
	    err.kind == ERR_INPUT, "truncated: %s", err.msg);
	buf_release(&out);
	free(g);

	/* The trailer's size is only a hint for the first piece of the
	 * buffer: told too small, too large or far too large (then only
	 * the limits bound it), or padded out of place, the text is the
	 * same. */
	{
		static const unsigned char lies[][4] = {
			{ 10, 0, 0, 0 }, { 0x10, 0x27, 0, 0 },
			{ 0xff, 0xff, 0xff, 0xff }, { 0, 0, 0, 0 },
		};
		unsigned char *p;
		size_t i, j, n;

		g = gzip_of('x', 5000, &glen);
		p = malloc(glen + 16);
		for (i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
			memcpy(p, g, glen);
			memcpy(p + glen - 4, lies[i], 4);
			ok(decode_payload(p, glen, &lim, &out, &json, &jlen,
			    &err) < 0 && err.kind == ERR_INPUT,
			    "a trailer whose size lies (%zu) fails its check: "
			    "%s", i, err.msg);
			buf_release(&out);
		}
		memcpy(p, g, glen);
		memset(p + glen, 0, 16);	/* padding: the hint reads 0 */
		n = 0;
		ok(decode_payload(p, glen + 16, &lim, &out, &json, &jlen,
		    &err) == 0 && jlen == 5000, "padded after the trailer");
		for (j = 0; j < jlen; j++)
			n += json[j] == 'x';
		is_int((long long)n, 5000, "padded: the same text");
		buf_release(&out);
		lim.inflated_max = 4096;
		ok(decode_payload(g, glen, &lim, &out, &json, &jlen, &err) < 0
		    && err.kind == ERR_TOO_BIG && out.len <= 4096, "a true "
		    "size over the limit is refused: %s", err.msg);
		buf_release(&out);
		decode_limits_default(&lim);
		free(p);
		free(g);
	}

	ok(decode_payload("\x1f\x8bxxxxxxxxxxxx", 14, &lim, &out, &json, &jlen,
	    &err) < 0 && err.kind == ERR_INPUT, "garbage after the magic: %s",
	    err.msg);
	buf_release(&out);
	ok(decode_payload("hello", 5, &lim, &out, &json, &jlen, &err) < 0 &&
	    err.kind == ERR_INPUT, "neither: %s", err.msg);
	/* With a hold, each buffer is charged before it grows. */
	{
		struct budget b;
		struct budget_hold h1, h2;

		g = gzip_of('\0', 1 << 20, &glen);
		budget_init(&b, 1 << 20);
		budget_hold_init(&h1, &b, 0);
		budget_hold_init(&h2, &b, 0);
		budget_hold_charge(&h2, 1, &err);	/* h1 is not alone */
		decode_limits_default(&lim);
		lim.hold = &h1;
		error_clear(&err);
		is_int(decode_payload(g, glen, &lim, &out, &json, &jlen, &err),
		    -1, "1 MiB inflated in a budget of 1 MiB, another hold "
		    "in it: refused");
		ok(err.kind == ERR_NOMEM && strstr(err.msg, "decode budget"),
		    "... ERR_NOMEM: %s", err.msg);
		is_int(out.alloc, 0, "... before allocating");
		budget_hold_end(&h1);
		budget_hold_end(&h2);
		budget_set_max(&b, 4 << 20);
		is_int(decode_payload(g, glen, &lim, &out, &json, &jlen, &err),
		    0, "in a budget of 4 MiB: inflated");
		ok(h1.held >= out.alloc && h1.held <= 2 * out.alloc,
		    "the hold holds the buffer's allocation (%zu for %zu)",
		    h1.held, out.alloc);
		budget_hold_end(&h1);
		buf_release(&out);
		budget_release(&b);
		free(g);
		decode_limits_default(&lim);
	}

	/* What parsing would take. */
	ok(decode_parse_cost("{\"a\":1}", 7) < 1024,
	    "parse cost: a small text costs little");
	ok(decode_parse_cost("[{\"a\":0},{\"a\":0}]", 17) >
	    decode_parse_cost("[0,        0    ]", 17),
	    "parse cost: objects cost more than numbers");
	{
		size_t n = 1 << 20;
		char *pad = malloc(n);

		memset(pad, ' ', n);
		memcpy(pad, "{\"a\":1}", 7);
		ok(decode_parse_cost(pad, n) < 1024,
		    "parse cost: blanks around the text cost nothing");
		memset(pad + 7, '\0', n - 7);
		ok(decode_parse_cost(pad, n) < 1024,
		    "parse cost: nor what follows a NUL byte (the parser "
		    "stops there)");
		memset(pad, ',', n);
		ok(decode_parse_cost(pad, n) > 64 * n,
		    "parse cost: a million values cost tens of MB");
		free(pad);
	}
	return tap_done();
}

/* decode: see include/decode.h. */
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "bounds.h"
#include "decode.h"
#include "banned.h"

/* Inflate output grows by this much at a time. */
#define INFLATE_CHUNK (64 * 1024)
/*
 * What the JSON library's tree and the report take per object and per
 * value, at most (measured: 1e6 one-member objects take about 170 bytes
 * a value, 1e6 numbers about 40; failure details about 6 times their
 * text).
 */
#define DECODE_COST_OBJECT	384
#define DECODE_COST_VALUE	96

void
decode_limits_default(struct decode_limits *lim)
{
	lim->inflated_max = BOUND_INFLATED_MAX;
	lim->ratio = BOUND_INFLATE_RATIO;
	lim->hold = NULL;
}

/* Grow out by n, charging lim's hold for the allocation first. */
static int
grow_metered(const struct decode_limits *lim, struct buf *out, size_t n,
	     size_t *charged, struct error *err)
{
	size_t alloc = buf_alloc_for(out, n);

	if (alloc > *charged) {
		if (budget_hold_charge(lim->hold, alloc - *charged, err) < 0)
			return error_prefix(err, "gzip");
		*charged = alloc;
	}
	return buf_grow(out, n, err);
}

size_t
decode_parse_cost(const char *json, size_t len)
{
	size_t i, text = 0, objects = 0, values = 1;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)json[i];
		if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			continue;
		if (c < 0x20)
			break;
		text++;
		if (c == '{')
			objects++;
		if (c == '{' || c == '[' || c == ',')
			values++;
	}
	return 2 * text + DECODE_COST_OBJECT * objects +
	    DECODE_COST_VALUE * values;
}

static size_t
skip_bom(const unsigned char *p, size_t n)
{
	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		return 3;
	return 0;
}

enum payload_format
decode_sniff(const void *in, size_t n)
{
	const unsigned char *p = in;
	size_t i;

	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return PAYLOAD_GZIP;
	for (i = skip_bom(p, n); i < n; i++) {
		if (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')
			continue;
		return p[i] == '{' || p[i] == '[' ? PAYLOAD_JSON
		    : PAYLOAD_OTHER;
	}
	return PAYLOAD_OTHER;
}

const char *
decode_format_name(enum payload_format f)
{
	switch (f) {
	case PAYLOAD_GZIP:	return "gzip";
	case PAYLOAD_JSON:	return "json";
	case PAYLOAD_OTHER:	return "other";
	}
	return "other";
}

/*
 * The size the gzip trailer states (ISIZE: the last member's, modulo
 * 2^32), or 0. Only a hint for the first piece of the buffer: a sender may
 * pad or lie, and the loop grows the buffer as usual then.
 */
static size_t
gzip_size_hint(const unsigned char *in, size_t inlen)
{
	const unsigned char *p = in + inlen - 4;

	if (inlen < 18)	/* header (10), empty deflate (2), trailer (8) */
		return 0;
	return (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 |
	    (size_t)p[3] << 24;
}

/*
 * Inflate with Z_FINISH: when the whole text fits in the room given (the
 * trailer's size was right), zlib inflates it in one call and never
 * allocates its 32 KiB window. Z_BUF_ERROR with the room full only asks
 * for more room.
 */
static int
inflate_gzip(const unsigned char *in, size_t inlen,
	     const struct decode_limits *lim, struct buf *out,
	     struct error *err)
{
	z_stream zs;
	size_t limit, room, hint, charged = out->alloc;
	int rc, ret = -1;

	/* The smaller of the two limits applies; the ratio is to the whole
	 * compressed input, so it is known before inflating starts. */
	limit = lim->inflated_max;
	if (lim->ratio > 0 && inlen <= limit / lim->ratio &&
	    inlen * lim->ratio < limit)
		limit = inlen * lim->ratio;
	out->cap = limit;
	hint = gzip_size_hint(in, inlen);

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return error_set(err, ERR_NOMEM, "gzip: cannot start inflate");
	zs.next_in = (unsigned char *)in;
	zs.avail_in = inlen > UINT32_MAX ? UINT32_MAX : (uInt)inlen;

	for (;;) {
		room = out->cap - out->len;
		if (room == 0) {
			/* Full: any further output breaks the limit. */
			unsigned char probe;

			zs.next_out = &probe;
			zs.avail_out = 1;
			rc = inflate(&zs, Z_FINISH);
			if (zs.avail_out == 0) {
				error_set(err, ERR_TOO_BIG,
				    "gzip: inflated report over the limit of "
				    "%zu bytes (%zu compressed, at most %u:1 "
				    "and %zu bytes)", limit, inlen, lim->ratio,
				    lim->inflated_max);
				goto done;
			}
		} else {
			if (out->len == 0 && hint > 0 && hint < room)
				room = hint;
			else if (room > INFLATE_CHUNK)
				room = INFLATE_CHUNK;
			if (grow_metered(lim, out, room, &charged, err) < 0)
				goto done;
			zs.next_out = (unsigned char *)out->data + out->len;
			zs.avail_out = (uInt)room;
			rc = inflate(&zs, Z_FINISH);
			out->len += room - zs.avail_out;
			out->data[out->len] = '\0';
		}
		if (rc == Z_STREAM_END) {
			/* Another member follows: go on; anything else
			 * after the member is padding and ignored. */
			if (zs.avail_in >= 2 && zs.next_in[0] == 0x1f &&
			    zs.next_in[1] == 0x8b) {
				if (inflateReset(&zs) != Z_OK)
					break;
				continue;
			}
			ret = 0;
			goto done;
		}
		if (rc == Z_OK || (rc == Z_BUF_ERROR && zs.avail_out == 0))
			continue;
		if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
			error_set(err, ERR_INPUT,
			    "gzip: truncated after %zu inflated bytes",
			    out->len);
			goto done;
		}
		if (rc == Z_MEM_ERROR) {
			error_set(err, ERR_NOMEM, "gzip: out of memory");
			goto done;
		}
		break;
	}
	error_set(err, ERR_INPUT, "gzip: corrupt data: %s",
	    zs.msg ? zs.msg : "inflate failed");
done:
	inflateEnd(&zs);
	return ret;
}

int
decode_payload(const void *in, size_t inlen, const struct decode_limits *lim,
	       struct buf *out, const char **json, size_t *jsonlen,
	       struct error *err)
{
	struct decode_limits def;
	size_t bom;

	if (lim == NULL) {
		decode_limits_default(&def);
		lim = &def;
	}
	switch (decode_sniff(in, inlen)) {
	case PAYLOAD_GZIP:
		if (inflate_gzip(in, inlen, lim, out, err) < 0)
			return -1;
		*json = out->data ? out->data : "";
		*jsonlen = out->len;
		bom = skip_bom((const unsigned char *)*json, *jsonlen);
		*json += bom;
		*jsonlen -= bom;
		return 0;
	case PAYLOAD_JSON:
		if (inlen > lim->inflated_max)
			return error_set(err, ERR_TOO_BIG,
			    "report over the limit of %zu bytes",
			    lim->inflated_max);
		bom = skip_bom(in, inlen);
		*json = (const char *)in + bom;
		*jsonlen = inlen - bom;
		return 0;
	case PAYLOAD_OTHER:
		break;
	}
	if (inlen == 0)
		return error_set(err, ERR_INPUT, "empty payload");
	return error_set(err, ERR_INPUT,
	    "not a report: neither gzip nor JSON (first byte 0x%02x)",
	    ((const unsigned char *)in)[0]);
}

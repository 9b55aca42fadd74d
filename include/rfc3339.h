/*
 * rfc3339: report datetimes to and from Unix seconds, UTC only.
 *
 * Reports should carry RFC 3339 date-times (RFC 8460 4.4), but real ones
 * come without an offset (Microsoft), with a space for the 'T', with
 * fractional seconds. A missing offset means UTC. No locale, no time zone
 * database, no shared state.
 */
#ifndef TLSRPT_RFC3339_H
#define TLSRPT_RFC3339_H

#include <stddef.h>
#include <stdint.h>

/* "2024-01-09T00:00:00Z" and a NUL. */
#define RFC3339_LEN 21

/*
 * Parse s (a date-time, or a bare date meaning its midnight UTC) into *t.
 * Fractional seconds are dropped. Returns 0, or -1 when s is not one.
 */
int rfc3339_parse(const char *s, int64_t *t);

/* Write t as "YYYY-MM-DDTHH:MM:SSZ" into out (RFC3339_LEN bytes). */
void rfc3339_format(int64_t t, char out[RFC3339_LEN]);

/* Days since 1970-01-01 of a civil date, and back. */
int64_t rfc3339_days_from_civil(int64_t y, unsigned m, unsigned d);
void rfc3339_civil_from_days(int64_t z, int64_t *y, unsigned *m,
			     unsigned *d);

#endif

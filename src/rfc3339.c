/* rfc3339: see include/rfc3339.h. */
#include <stdio.h>
#include <string.h>

#include "fmt.h"
#include "rfc3339.h"
#include "banned.h"

/* The civil-calendar conversions of H. Hinnant's "chrono-compatible
 * low-level date algorithms": exact for every Gregorian date. */
int64_t
rfc3339_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
rfc3339_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
rfc3339_parse(const char *s, int64_t *t)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om, sign;
	int64_t off = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (digits(s, 4, &y) < 0 || s[4] != '-' ||
	    digits(s + 5, 2, &mo) < 0 || s[7] != '-' ||
	    digits(s + 8, 2, &d) < 0)
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap(y)))
		return -1;
	s += 10;
	if (*s == 'T' || *s == 't' || (*s == ' ' && s[1] >= '0' &&
	    s[1] <= '9')) {
		s++;
		if (digits(s, 2, &h) < 0 || s[2] != ':' ||
		    digits(s + 3, 2, &mi) < 0)
			return -1;
		s += 5;
		if (*s == ':') {
			if (digits(s + 1, 2, &sec) < 0)
				return -1;
			s += 3;
		}
		/* 23:59:60 is a leap second; 24:00:00 is the next midnight. */
		if (h > 24 || mi > 59 || sec > 60 ||
		    (h == 24 && (mi != 0 || sec != 0)))
			return -1;
		if (*s == '.' || *s == ',') {
			s++;
			if (*s < '0' || *s > '9')
				return -1;
			while (*s >= '0' && *s <= '9')
				s++;
		}
		if (*s == 'Z' || *s == 'z') {
			s++;
		} else if (*s == '+' || *s == '-') {
			sign = *s == '-' ? -1 : 1;
			s++;
			if (digits(s, 2, &oh) < 0)
				return -1;
			s += 2;
			if (*s == ':')
				s++;
			if (digits(s, 2, &om) < 0 || oh > 23 || om > 59)
				return -1;
			s += 2;
			off = sign * ((int64_t)oh * 3600 + om * 60);
		}
	}
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s != '\0')
		return -1;
	*t = rfc3339_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    (int64_t)h * 3600 + mi * 60 + (sec == 60 ? 59 : sec) - off;
	return 0;
}

void
rfc3339_format(int64_t t, char out[RFC3339_LEN])
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t rem = t - days * 86400, y;
	unsigned m, d;

	rfc3339_civil_from_days(days, &y, &m, &d);
	/* Years 0 to 9999 fill the form exactly; others cannot be written. */
	if (y < 0 || y > 9999 || fmt_whole(out, RFC3339_LEN,
	    "%04d-%02u-%02uT%02d:%02d:%02dZ", (int)y, m, d, (int)(rem / 3600),
	    (int)(rem / 60 % 60), (int)(rem % 60)) < 0)
		memcpy(out, "0000-00-00T00:00:00Z", RFC3339_LEN);
}

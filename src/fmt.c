/* fmt: see include/fmt.h. */
#include <stdio.h>
#include <string.h>

#include "fmt.h"
#include "banned.h"

int
fmt_whole(char *dst, size_t size, const char *format, ...)
{
	va_list ap;
	int n;

	if (size == 0)
		return -1;
	va_start(ap, format);
	n = vsnprintf(dst, size, format, ap);
	va_end(ap);
	if (n < 0)
		dst[0] = '\0';
	return n >= 0 && (size_t)n < size ? 0 : -1;
}

int
vfmt_cut(char *dst, size_t size, const char *format, va_list ap)
{
	int n;

	if (size < 4) {
		if (size > 0)
			dst[0] = '\0';
		return -1;
	}
	n = vsnprintf(dst, size, format, ap);
	if (n < 0) {
		dst[0] = '\0';
		return -1;
	}
	if ((size_t)n < size)
		return 0;
	memcpy(dst + size - 4, "...", 4);
	return -1;
}

int
fmt_cut(char *dst, size_t size, const char *format, ...)
{
	va_list ap;
	int rc;

	va_start(ap, format);
	rc = vfmt_cut(dst, size, format, ap);
	va_end(ap);
	return rc;
}

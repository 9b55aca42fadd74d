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
	size_t cut, back;
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
	/* The mark replaces whole characters: a UTF-8 sequence cut in two
	 * is not text, and jansson refuses it (a reason naming a reporter
	 * would then be lost). A character is at most 4 bytes. */
	cut = size - 4;
	for (back = 0; back < 3 && cut > 0 &&
	    ((unsigned char)dst[cut] & 0xc0) == 0x80; back++)
		cut--;
	memcpy(dst + cut, "...", 4);
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

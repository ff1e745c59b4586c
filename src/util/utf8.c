/*
 * utf8.c: strict UTF-8 validation; see utf8.h.
 */
#include "util/utf8.h"

#include <string.h>

#include "util/buf.h"

size_t utf8_invalid_at(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned c = p[i];
		size_t n;
		unsigned cp, min;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1, cp = c & 0x1f, min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2, cp = c & 0x0f, min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return i;
		}
		if (len - i <= n)
			return i;
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += n + 1;
	}
	return UTF8_VALID;
}

char *utf8_repair(const char *s, size_t len, size_t *replaced)
{
	struct buf b = BUF_INIT;
	size_t n = 0;

	while (len) {
		size_t at = utf8_invalid_at(s, len);

		if (at == UTF8_VALID) {
			buf_add(&b, s, len);
			break;
		}
		buf_add(&b, s, at);
		buf_adds(&b, "\xef\xbf\xbd");
		n++;
		s += at + 1;
		len -= at + 1;
	}
	if (replaced)
		*replaced = n;
	if (!b.data)
		buf_adds(&b, "");
	return buf_detach(&b);
}

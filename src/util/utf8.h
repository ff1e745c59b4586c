/*
 * utf8.h: strict UTF-8 checks for text that enters the store (issue 15 #9).
 * Strict means what RFC 3629 allows: no overlong forms, no surrogates
 * (U+D800..U+DFFF), nothing above U+10FFFF.
 */
#ifndef NV_UTIL_UTF8_H
#define NV_UTIL_UTF8_H

#include <stddef.h>

#define UTF8_VALID ((size_t)-1)

/* Offset of the first byte of s[0..len) that is not valid UTF-8, or UTF8_VALID. */
size_t utf8_invalid_at(const char *s, size_t len);

/*
 * A NUL-terminated copy of s[0..len) in which every byte that does not start
 * a valid sequence becomes U+FFFD; *replaced (optional) counts them.
 */
char *utf8_repair(const char *s, size_t len, size_t *replaced);

#endif

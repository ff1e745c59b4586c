/*
 * xalloc.h: allocation that never returns NULL. An allocation failure in a
 * backup tool has no sensible recovery, so it prints one line and aborts.
 * Everything returned is owned by the caller and released with free().
 * jansson allocates through xmalloc() as well (json_set_alloc_funcs(),
 * set before main() runs).
 */
#ifndef NV_XALLOC_H
#define NV_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Returns a copy of s; xstrdup(NULL) returns NULL. */
char *xstrdup(const char *s);
/* Copy of at most n bytes of s, always NUL-terminated. */
char *xstrndup(const char *s, size_t n);
/* Grows an array so that it holds at least `need` elements of `elem` bytes. */
void *xgrow(void *ptr, size_t *cap, size_t need, size_t elem);
/* Overwrites a string with zeros before freeing it (for secrets). */
void xfree_secret(char *s);

#endif

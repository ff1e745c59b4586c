/*
 * xalloc.c: the xmalloc family; see xalloc.h.
 */
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die_oom(size_t size)
{
	fprintf(stderr, "nvault: out of memory (allocating %zu bytes)\n", size);
	abort();
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	if (!p)
		die_oom(size);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		die_oom(nmemb * size);
	return p;
}

void *xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);
	if (!p)
		die_oom(size);
	return p;
}

char *xstrdup(const char *s)
{
	return s ? xstrndup(s, strlen(s)) : NULL;
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void *xgrow(void *ptr, size_t *cap, size_t need, size_t elem)
{
	size_t n;

	if (need <= *cap)
		return ptr;
	n = *cap ? *cap : 8;
	while (n < need)
		n *= 2;
	ptr = xrealloc(ptr, n * elem);
	*cap = n;
	return ptr;
}

void xfree_secret(char *s)
{
	if (!s)
		return;
	/* volatile so the compiler cannot drop the wipe before free() */
	for (volatile char *p = s; *p; p++)
		*p = 0;
	free(s);
}

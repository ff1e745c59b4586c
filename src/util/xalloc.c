/*
 * xalloc.c: the xmalloc family; see xalloc.h. jansson allocates through it
 * too, so that a JSON value that cannot be allocated aborts with the same
 * message instead of coming back NULL where jansson's callers assume it
 * cannot (json_object_set_new(o, k, json_string(s)) drops a NULL silently).
 */
#include "util/xalloc.h"

#include <jansson.h>
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

/*
 * Runs before main() in every program linked with the library (nvault, the
 * fake server, tests, fuzz targets), before anything can allocate a JSON
 * value: jansson's values must be freed by the allocator that made them.
 * What jansson returns to callers (json_dumps() text) stays free()-able.
 */
__attribute__((constructor)) static void route_jansson(void)
{
	json_set_alloc_funcs(xmalloc, free);
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

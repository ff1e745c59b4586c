/*
 * buf.h: the one growable byte buffer, used for HTTP bodies, SQL, JSON-RPC
 * lines and messages. The contents are always NUL-terminated. A buffer may
 * carry a size cap (max, 0 = none): appends that would pass it fail with -1
 * and leave the buffer unchanged, so a hostile peer cannot grow it forever.
 *
 *   struct buf b = BUF_INIT;
 *   buf_addf(&b, "%d rows", n);
 *   use(b.data);
 *   buf_release(&b);
 */
#ifndef NV_BUF_H
#define NV_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data; /* never NULL after the first append; "" when empty */
	size_t len;
	size_t cap;
	size_t max; /* 0 = unlimited */
};

#define BUF_INIT                                                                                   \
	{                                                                                          \
		NULL, 0, 0, 0                                                                      \
	}

void buf_init(struct buf *b, size_t max);
/* Frees the contents; the buffer is BUF_INIT again (max is kept). */
void buf_release(struct buf *b);
/* Empties the buffer without freeing. */
void buf_reset(struct buf *b);
/* Returns the contents (caller frees) and resets the buffer. Never NULL. */
char *buf_detach(struct buf *b);
/* Appends; each returns 0, or -1 if the cap would be passed. */
int buf_add(struct buf *b, const void *data, size_t len);
int buf_adds(struct buf *b, const char *s);
int buf_addch(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Returns the contents as a C string ("" for an empty, unused buffer). */
const char *buf_str(const struct buf *b);

#endif

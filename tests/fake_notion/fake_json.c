/*
 * fake_json.c: a streaming JSON writer over struct buf. Result pages are
 * the fake's hot path (100 rows ≈ 400 KB of JSON); writing them straight
 * into one buffer instead of building and dumping jansson trees makes a
 * page a matter of a millisecond. The writer tracks commas per nesting
 * level; callers only say what comes next.
 */
#include "fake.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

void jw_reserve(struct buf *b, size_t n)
{
	buf_add(b, "", 0);
	if (b->cap < n) {
		b->data = xrealloc(b->data, n);
		b->cap = n;
	}
}

void jw_init(struct jw *w, struct buf *b)
{
	w->b = b;
	w->depth = 0;
	w->first = 1;
	w->after_key = 0;
}

/* Appends n bytes: a memcpy when there is room, struct buf's growth otherwise. */
static inline void put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 <= b->cap) {
		memcpy(b->data + b->len, s, n);
		b->len += n;
		b->data[b->len] = '\0';
	} else {
		buf_add(b, s, n);
	}
}

static inline void putc1(struct buf *b, char c)
{
	put(b, &c, 1);
}

/* Writes the separator a new value or key needs at the current level. */
static void sep(struct jw *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (w->first & (1ULL << w->depth))
		w->first &= ~(1ULL << w->depth);
	else
		putc1(w->b, ',');
}

static void open_level(struct jw *w, char c)
{
	sep(w);
	putc1(w->b, c);
	w->depth++;
	w->first |= 1ULL << w->depth;
}

static void close_level(struct jw *w, char c)
{
	w->depth--;
	putc1(w->b, c);
}

void jw_obj(struct jw *w)
{
	open_level(w, '{');
}

void jw_obj_end(struct jw *w)
{
	close_level(w, '}');
}

void jw_arr(struct jw *w)
{
	open_level(w, '[');
}

void jw_arr_end(struct jw *w)
{
	close_level(w, ']');
}

static void quoted(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;

	putc1(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[7];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(b, run, (size_t)(s - run));
		run = s + 1;
		esc[0] = '\\';
		switch (c) {
		case '"':
			put(b, "\\\"", 2);
			continue;
		case '\\':
			put(b, "\\\\", 2);
			continue;
		case '\n':
			put(b, "\\n", 2);
			continue;
		case '\t':
			put(b, "\\t", 2);
			continue;
		case '\r':
			put(b, "\\r", 2);
			continue;
		}
		esc[1] = 'u';
		esc[2] = '0';
		esc[3] = '0';
		esc[4] = hex[c >> 4];
		esc[5] = hex[c & 15];
		put(b, esc, 6);
	}
	put(b, run, (size_t)(s - run));
	putc1(b, '"');
}

void jw_key(struct jw *w, const char *k)
{
	sep(w);
	quoted(w->b, k);
	putc1(w->b, ':');
	w->after_key = 1;
}

void jw_str(struct jw *w, const char *s)
{
	sep(w);
	if (s)
		quoted(w->b, s);
	else
		put(w->b, "null", 4);
}

void jw_int(struct jw *w, long long v)
{
	sep(w);
	buf_addf(w->b, "%lld", v);
}

void jw_num(struct jw *w, double v)
{
	sep(w);
	if (!isfinite(v))
		put(w->b, "null", 4);
	else if (v == (double)(long long)v && fabs(v) < 1e15)
		buf_addf(w->b, "%lld", (long long)v);
	else
		buf_addf(w->b, "%.17g", v);
}

void jw_bool(struct jw *w, int v)
{
	sep(w);
	if (v)
		put(w->b, "true", 4);
	else
		put(w->b, "false", 5);
}

void jw_null(struct jw *w)
{
	sep(w);
	put(w->b, "null", 4);
}

void jw_json(struct jw *w, json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	sep(w);
	buf_adds(w->b, s ? s : "null");
	free(s);
}

void jw_kstr(struct jw *w, const char *k, const char *s)
{
	jw_key(w, k);
	jw_str(w, s);
}

void jw_kint(struct jw *w, const char *k, long long v)
{
	jw_key(w, k);
	jw_int(w, v);
}

void jw_kbool(struct jw *w, const char *k, int v)
{
	jw_key(w, k);
	jw_bool(w, v);
}

void jw_knull(struct jw *w, const char *k)
{
	jw_key(w, k);
	jw_null(w);
}

void make_request_id(char rid[FAKE_ID_LEN + 1])
{
	uint8_t bin[16];
	uint64_t a = mix64(++fake.request_counter ^ 0x72657175), b = mix64(a ^ fake.cursor_key[0]);

	for (int i = 0; i < 8; i++) {
		bin[i] = (uint8_t)(a >> (8 * i));
		bin[8 + i] = (uint8_t)(b >> (8 * i));
	}
	bin[6] = (uint8_t)((bin[6] & 0x0f) | 0x40);
	bin[8] = (uint8_t)((bin[8] & 0x3f) | 0x80);
	data_id_text(bin, rid);
}

void jw_request_id(struct jw *w)
{
	char rid[FAKE_ID_LEN + 1];

	make_request_id(rid);
	jw_kstr(w, "request_id", rid);
}

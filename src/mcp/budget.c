/*
 * budget.c: every tools/call reply fits a byte budget (SPEC §8):
 * NVAULT_MCP_MAX_REPLY bytes, default 256 KiB, never more than 10 MiB
 * (the official SDK client's read buffer; a longer line closes its
 * connection). A page of results stops before the budget (the tool then
 * answers truncated: true with a cursor to continue), a single oversized
 * string (a 1.5 MB description) is cut at a UTF-8 boundary with a marker
 * saying how much was left out, and a last pass over any result cuts its
 * longest strings until the whole reply fits.
 */
#include "mcp/mcp_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

#define DEFAULT_BUDGET (256u * 1024)
#define MIN_BUDGET (16u * 1024)
/* room for the envelope: jsonrpc, id, content wrapper, isError */
#define ENVELOPE 1024

size_t mcp_reply_budget(void)
{
	const char *v = getenv("NVAULT_MCP_MAX_REPLY");
	unsigned long long n;
	char *end;

	if (!v || !*v)
		return DEFAULT_BUDGET;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end || end == v) {
		log_warn("NVAULT_MCP_MAX_REPLY=%s is not a number of bytes; using %u", v,
			 DEFAULT_BUDGET);
		return DEFAULT_BUDGET;
	}
	if (n < MIN_BUDGET)
		return MIN_BUDGET;
	if (n > MCP_REPLY_HARD_MAX)
		return MCP_REPLY_HARD_MAX;
	return (size_t)n;
}

size_t mcp_json_size(const json_t *v)
{
	return json_dumpb(v, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* Bytes one byte of a string takes inside a JSON document. */
static size_t encoded_byte(unsigned char ch)
{
	if (ch == '"' || ch == '\\' || ch == '\n' || ch == '\r' || ch == '\t' || ch == '\b' ||
	    ch == '\f')
		return 2;
	return ch < 0x20 ? 6 : 1;
}

/* Bytes a string takes inside a JSON document (quotes and escapes). */
static size_t encoded_size(const char *s, size_t len)
{
	size_t n = 2;

	for (size_t i = 0; i < len; i++)
		n += encoded_byte((unsigned char)s[i]);
	return n;
}

size_t mcp_fitting_prefix(const char *s, size_t len, size_t room)
{
	size_t used = 2, i = 0;

	while (i < len && used + encoded_byte((unsigned char)s[i]) <= room)
		used += encoded_byte((unsigned char)s[i++]);
	/* end on a character boundary: not before a continuation byte */
	while (i > 0 && i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
		i--;
	return i;
}

/* Cuts string s to at most cap bytes (at a UTF-8 boundary) plus a marker. */
static void cut_string(json_t *s, size_t cap)
{
	const char *v = json_string_value(s);
	size_t len = json_string_length(s), keep = cap;
	struct buf b = BUF_INIT;

	while (keep > 0 && ((unsigned char)v[keep] & 0xC0) == 0x80)
		keep--;
	buf_add(&b, v, keep);
	buf_addf(&b,
		 " [... cut by nvault: %zu of %zu bytes left out to fit the reply; task_get with "
		 "field and offset %zu reads on]",
		 len - keep, len, keep);
	json_string_setn(s, b.data, b.len);
	buf_release(&b);
}

size_t mcp_cut_strings(json_t *v, size_t cap)
{
	size_t n = 0, i;
	const char *key;
	json_t *item;

	if (json_is_string(v)) {
		if (json_string_length(v) > cap) {
			cut_string(v, cap);
			return 1;
		}
		return 0;
	}
	if (json_is_array(v))
		json_array_foreach(v, i, item) n += mcp_cut_strings(item, cap);
	else if (json_is_object(v))
		json_object_foreach(v, key, item) n += mcp_cut_strings(item, cap);
	return n;
}

/* The longest string anywhere in v. */
static size_t longest_string(const json_t *v)
{
	size_t m = 0, i, l;
	const char *key;
	json_t *item;

	if (json_is_string(v))
		return json_string_length(v);
	if (json_is_array(v))
		json_array_foreach(v, i, item) if ((l = longest_string(item)) > m) m = l;
	if (json_is_object(v))
		json_object_foreach((json_t *)v, key, item) if ((l = longest_string(item)) > m) m =
			l;
	return m;
}

/* Shrinks v by cutting its longest strings until it takes at most room bytes. */
static void shrink_to(json_t *v, size_t room)
{
	size_t size = mcp_json_size(v);

	while (size > room) {
		size_t longest = longest_string(v);
		if (longest <= 64)
			break; /* nothing left worth cutting */
		mcp_cut_strings(v, longest / 2);
		size = mcp_json_size(v);
	}
}

void mcp_page_init(struct mcp_page *p, struct mcp_call *c, json_t *items)
{
	memset(p, 0, sizeof(*p));
	p->items = items;
	p->text = &c->text;
	p->budget = c->budget;
	/* the page gets what the envelope and the result's other fields leave */
	p->room = c->budget > 4 * ENVELOPE ? c->budget - 4 * ENVELOPE : c->budget / 2;
	/* no one field of a listed item may take more than a sixteenth of the reply */
	p->field_cap = c->budget / 16;
}

int mcp_page_add(struct mcp_page *p, json_t *item, const char *line)
{
	size_t size, tsize;

	if (p->full) {
		json_decref(item);
		return 1;
	}
	mcp_cut_strings(item, p->field_cap);
	size = mcp_json_size(item) + 1;
	tsize = line ? encoded_size(line, strlen(line)) : 0;
	if (size + tsize > p->room && p->n == 0) {
		/* the first item always goes in, cut further, so paging makes progress */
		shrink_to(item, p->room / 2);
		size = mcp_json_size(item) + 1;
	}
	if (size + tsize > p->room) {
		json_decref(item);
		p->full = 1;
		return 1;
	}
	p->room -= size + tsize;
	json_array_append_new(p->items, item);
	if (line)
		buf_addf(p->text, "\n%s", line);
	p->n++;
	return 0;
}

void mcp_page_end(struct mcp_call *c, const struct mcp_page *p, int more, const char *cursor)
{
	more = more && cursor;
	json_object_set_new(c->result, "count", json_integer((json_int_t)p->n));
	json_object_set_new(c->result, "hasMore", json_boolean(more));
	json_object_set_new(c->result, "truncated", json_boolean(p->full));
	json_object_set_new(c->result, "nextCursor", more ? json_string(cursor) : json_null());
	if (more)
		buf_addf(&c->text, "\n%s; more with cursor \"%s\".",
			 p->full ? "Reply size limit reached" : "Page full", cursor);
}

void mcp_fit_result(json_t *structured, struct buf *text, size_t budget)
{
	size_t tsize = encoded_size(text->data ? text->data : "", text->len);
	size_t room = budget > ENVELOPE ? budget - ENVELOPE : budget;

	if (tsize > room / 4) {
		/* the text is a summary; keep its head */
		size_t keep = room / 4;
		while (keep > 0 && ((unsigned char)text->data[keep] & 0xC0) == 0x80)
			keep--;
		text->len = keep;
		text->data[keep] = 0;
		buf_adds(text, "\n[... cut by nvault to fit the reply]");
		tsize = encoded_size(text->data, text->len);
	}
	if (structured)
		shrink_to(structured, room - tsize);
}

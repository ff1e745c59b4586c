/*
 * notion_json.c: tolerant reading of Notion answers; see notion_json.h.
 */
#include "notion/notion_json.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* memmem without _GNU_SOURCE */
static const char *find_bytes(const char *hay, size_t n, const char *needle, size_t m)
{
	if (!m)
		return hay;
	for (size_t i = 0; i + m <= n; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, m) == 0)
			return hay + i;
	return NULL;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		int c = (unsigned char)p[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v * 16 + (unsigned)d;
	}
	*out = v;
	return 0;
}

/* Whether a JSON number token is out of what jansson reads (int64, finite double). */
static int number_out_of_range(const char *tok, size_t n)
{
	char tmp[512];
	int real = memchr(tok, '.', n) || memchr(tok, 'e', n) || memchr(tok, 'E', n);

	if (n >= sizeof(tmp))
		return 1;
	memcpy(tmp, tok, n);
	tmp[n] = '\0';
	errno = 0;
	if (real) {
		double d = strtod(tmp, NULL);
		return errno == ERANGE || !isfinite(d);
	}
	(void)strtoll(tmp, NULL, 10);
	return errno == ERANGE;
}

/* One repair pass over the text; see notion_json.h. */
static char *repair(const char *s, size_t len, struct notion_json_repairs *rep)
{
	struct buf b = BUF_INIT;
	size_t i = 0;
	int in_str = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (!in_str) {
			if (c == '"') {
				in_str = 1;
				buf_add(&b, s + i++, 1);
			} else if (c == '-' || isdigit(c)) {
				size_t j = i + 1;

				while (j < len &&
				       (isdigit((unsigned char)s[j]) || s[j] == '.' ||
					s[j] == 'e' || s[j] == 'E' || s[j] == '+' || s[j] == '-'))
					j++;
				if (number_out_of_range(s + i, j - i)) {
					buf_adds(&b, "\"");
					buf_add(&b, s + i, j - i);
					buf_adds(&b, "\"");
					rep->numbers++;
				} else {
					buf_add(&b, s + i, j - i);
				}
				i = j;
			} else {
				buf_add(&b, s + i++, 1);
			}
			continue;
		}
		/* inside a string */
		if (c == '"') {
			in_str = 0;
			buf_add(&b, s + i++, 1);
		} else if (c == '\\' && i + 1 < len && s[i + 1] == 'u') {
			unsigned u, lo;

			if (i + 6 > len || hex4(s + i + 2, &u)) {
				buf_add(&b, s + i, 2); /* left to the parser to refuse */
				i += 2;
			} else if (u >= 0xd800 && u <= 0xdbff && i + 12 <= len &&
				   s[i + 6] == '\\' && s[i + 7] == 'u' && !hex4(s + i + 8, &lo) &&
				   lo >= 0xdc00 && lo <= 0xdfff) {
				buf_add(&b, s + i, 12);
				i += 12;
			} else if (u >= 0xd800 && u <= 0xdfff) {
				buf_adds(&b, "\\ufffd");
				rep->text++;
				i += 6;
			} else {
				buf_add(&b, s + i, 6);
				i += 6;
			}
		} else if (c == '\\' && i + 1 < len) {
			buf_add(&b, s + i, 2);
			i += 2;
		} else if (c < 0x20) {
			buf_addf(&b, "\\u%04x", c);
			rep->text++;
			i++;
		} else if (c < 0x80) {
			buf_add(&b, s + i++, 1);
		} else {
			size_t n = (c >= 0xf0) ? 4 : (c >= 0xe0) ? 3 : 2;

			if (n > len - i)
				n = len - i;
			if (utf8_invalid_at(s + i, n) == UTF8_VALID) {
				buf_add(&b, s + i, n);
				i += n;
			} else {
				buf_adds(&b, "\xef\xbf\xbd");
				rep->text++;
				i++;
			}
		}
	}
	if (!b.data)
		buf_adds(&b, "");
	return buf_detach(&b);
}

/* Index just past the JSON value starting at s[i] (brackets and strings only). */
static size_t skip_value(const char *s, size_t len, size_t i)
{
	int depth = 0, in_str = 0;

	for (; i < len; i++) {
		char c = s[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (depth == 0)
				return i;
			if (--depth == 0)
				return i + 1;
		} else if (depth == 0 && c == ',') {
			return i;
		}
	}
	return len;
}

/* The string value of "key" first found in s[0..len), if short and plain. */
static json_t *find_string(const char *s, size_t len, const char *key)
{
	struct buf pat = BUF_INIT;
	const char *p, *end = s + len;
	json_t *out = NULL;

	buf_addf(&pat, "\"%s\"", key);
	for (p = s; (p = find_bytes(p, (size_t)(end - p), pat.data, pat.len)); p += pat.len) {
		const char *q = p + pat.len, *v;

		while (q < end && isspace((unsigned char)*q))
			q++;
		if (q >= end || *q != ':')
			continue;
		q++;
		while (q < end && isspace((unsigned char)*q))
			q++;
		if (q >= end || *q != '"')
			continue;
		v = ++q;
		while (q < end && *q != '"' && *q != '\\' && q - v < 64)
			q++;
		if (q < end && *q == '"')
			out = json_stringn(v, (size_t)(q - v));
		break;
	}
	buf_release(&pat);
	return out;
}

/* A stub for a row that cannot be read, with what can be found of it. */
static json_t *unreadable_row(const char *s, size_t len, const char *why)
{
	json_t *row = json_object(), *v;

	json_object_set_new(row, "object", json_string("page"));
	json_object_set_new(row, "id", (v = find_string(s, len, "id")) ? v : json_null());
	if ((v = find_string(s, len, "last_edited_time")))
		json_object_set_new(row, "last_edited_time", v);
	json_object_set_new(row, NOTION_UNREADABLE_KEY, json_string(why));
	return row;
}

/* Reads "results" member by member; NULL when the envelope cannot be read. */
static json_t *read_by_row(const char *s, size_t len, struct notion_json_repairs *rep,
			   json_error_t *jerr)
{
	const char *key = "\"results\"";
	const char *p = find_bytes(s, len, key, strlen(key));
	size_t start, end, i;
	struct buf envelope = BUF_INIT;
	json_t *doc, *rows;

	if (!p)
		return NULL;
	i = (size_t)(p - s) + strlen(key);
	while (i < len && isspace((unsigned char)s[i]))
		i++;
	if (i >= len || s[i] != ':')
		return NULL;
	i++;
	while (i < len && isspace((unsigned char)s[i]))
		i++;
	if (i >= len || s[i] != '[')
		return NULL;
	start = i;
	end = skip_value(s, len, start);
	buf_add(&envelope, s, start);
	buf_adds(&envelope, "[]");
	buf_add(&envelope, s + end, len - end);
	doc = json_loadb(envelope.data, envelope.len, JSON_ALLOW_NUL, jerr);
	buf_release(&envelope);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return NULL;
	}
	rows = json_array();
	i = start + 1;
	while (i < end - 1) {
		size_t e;
		json_error_t rerr;
		json_t *row;

		while (i < end - 1 && (isspace((unsigned char)s[i]) || s[i] == ','))
			i++;
		if (i >= end - 1)
			break;
		e = skip_value(s, end - 1, i);
		if (e <= i)
			break;
		row = json_loadb(s + i, e - i, JSON_ALLOW_NUL, &rerr);
		if (!row) {
			row = unreadable_row(s + i, e - i, rerr.text);
			rep->rows++;
		}
		json_array_append_new(rows, row);
		i = e;
	}
	json_object_set_new(doc, "results", rows);
	return doc;
}

/*
 * Replaces each NUL inside the strings of v (JSON_ALLOW_NUL reads "\u0000")
 * with U+FFFD, counting one repair per string changed: everything after the
 * mapper reads C strings, where a NUL would silently cut the value short.
 */
static void replace_nuls(json_t *v, struct notion_json_repairs *rep)
{
	const char *key;
	json_t *item;
	size_t i, n;

	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		struct buf b = BUF_INIT;

		n = json_string_length(v);
		if (!memchr(s, '\0', n))
			return;
		for (i = 0; i < n; i++) {
			if (s[i])
				buf_add(&b, s + i, 1);
			else
				buf_adds(&b, "\xef\xbf\xbd");
		}
		json_string_setn(v, b.data, b.len);
		buf_release(&b);
		rep->text++;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item) replace_nuls(item, rep);
	} else if (json_is_object(v)) {
		json_object_foreach(v, key, item) replace_nuls(item, rep);
	}
}

json_t *notion_json_read(const char *text, size_t len, struct notion_json_repairs *rep,
			 json_error_t *jerr)
{
	struct notion_json_repairs r = {0, 0, 0};
	json_t *doc = json_loadb(text, len, JSON_ALLOW_NUL, jerr);
	char *fixed;

	if (json_is_object(doc)) {
		replace_nuls(doc, &r);
		goto out;
	}
	json_decref(doc);
	fixed = repair(text, len, &r);
	doc = json_loadb(fixed, strlen(fixed), JSON_ALLOW_NUL, jerr);
	if (!json_is_object(doc)) {
		json_error_t again;

		json_decref(doc);
		doc = read_by_row(fixed, strlen(fixed), &r, &again);
	}
	free(fixed);
	if (doc)
		replace_nuls(doc, &r);
out:
	if (doc && rep) {
		rep->text += r.text;
		rep->numbers += r.numbers;
		rep->rows += r.rows;
	}
	return doc;
}

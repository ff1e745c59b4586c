/*
 * notion_json.h: reading a successful Notion answer that plain JSON parsing
 * refuses (issue 15 #3, SPEC §4.12). Notion has served \u0000, lone UTF-16
 * surrogates (an emoji split at its 2,000-character boundary), invalid
 * UTF-8 and numbers beyond 1e308 or 2^63; one such value must not make a
 * whole page, and so a whole data source, unreadable on every run.
 *
 * notion_json_read() parses with JSON_ALLOW_NUL (a NUL inside a string then
 * becomes U+FFFD, counted as a text repair: C strings downstream would cut
 * the value at it); failing that, it repairs
 * the text (invalid UTF-8 and lone surrogates become U+FFFD, control bytes
 * inside strings are escaped, out-of-range numbers are kept as strings)
 * and parses again; failing that, it reads the members of the "results"
 * array one by one: a row that still cannot be read is replaced by a stub
 * {"object": "page", "id": ..., "last_edited_time": ..., "nvault_unreadable":
 * reason} (id and time as far as they can be found in its text), so the
 * rest of the page is delivered and the row can be quarantined.
 */
#ifndef NV_NOTION_JSON_H
#define NV_NOTION_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define NOTION_UNREADABLE_KEY "nvault_unreadable"

struct notion_json_repairs {
	int64_t text;	 /* invalid UTF-8, lone surrogates, raw control bytes, strings with NUL */
	int64_t numbers; /* numbers out of range, kept as strings */
	int64_t rows;	 /* rows replaced by an unreadable stub */
};

/*
 * The JSON object in text[0..len), repaired as above (counts added to
 * *rep), or NULL with *jerr describing the first error when not even the
 * answer's envelope can be read.
 */
json_t *notion_json_read(const char *text, size_t len, struct notion_json_repairs *rep,
			 json_error_t *jerr);

#endif

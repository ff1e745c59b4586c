/*
 * fake_values.c: property values, one table row per Notion property type.
 * Each type knows its schema configuration, how to generate a value from a
 * seeded random stream (realistic text with unicode, emoji, mentions and
 * long rich text split across items; >25 relations and people on some rows;
 * file URLs signed anew on every read), how to check a "simple" value from
 * the control API or a fixture, and how to turn that simple value into the
 * Notion shape. Values are built on demand and never stored.
 */
#include "fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/timeutil.h"
#include "util/xalloc.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const colors[] = {
	"default", "gray", "brown", "orange", "yellow", "green", "blue", "purple", "pink", "red",
};

/* ---- small builders ---- */

static json_t *annotations(unsigned bits, const char *color)
{
	return json_pack("{s:b,s:b,s:b,s:b,s:b,s:s}", "bold", bits & 1, "italic", (bits >> 1) & 1,
			 "strikethrough", (bits >> 2) & 1, "underline", (bits >> 3) & 1, "code",
			 (bits >> 4) & 1, "color", color ? color : "default");
}

static json_t *text_item(const char *content, const char *link, unsigned bits, const char *color)
{
	json_t *t = json_pack("{s:s,s:o}", "content", content, "link",
			      link ? json_pack("{s:s}", "url", link) : json_null());

	return json_pack("{s:s,s:o,s:o,s:s,s:o}", "type", "text", "text", t, "annotations",
			 annotations(bits, color), "plain_text", content, "href",
			 link ? json_string(link) : json_null());
}

json_t *value_plain_rich_text(const char *text)
{
	json_t *a = json_array();

	if (text && *text)
		json_array_append_new(a, text_item(text, NULL, 0, NULL));
	return a;
}

static json_t *mention_item(json_t *mention, const char *plain, const char *href)
{
	return json_pack("{s:s,s:o,s:o,s:s,s:o}", "type", "mention", "mention", mention,
			 "annotations", annotations(0, NULL), "plain_text", plain, "href",
			 href ? json_string(href) : json_null());
}

static json_t *user_mention(size_t user)
{
	char plain[96];

	snprintf(plain, sizeof(plain), "@%s", fake.users[user].name);
	return mention_item(json_pack("{s:s,s:o}", "type", "user", "user", render_partial_user(user)),
			    plain, NULL);
}

static json_t *page_mention(const uint8_t id[16])
{
	char text[FAKE_ID_LEN + 1], href[80], compact[33];
	size_t o = 0;

	data_id_text(id, text);
	for (const char *p = text; *p; p++)
		if (*p != '-')
			compact[o++] = *p;
	compact[o] = '\0';
	snprintf(href, sizeof(href), "https://www.notion.so/%s", compact);
	return mention_item(json_pack("{s:s,s:{s:s}}", "type", "page", "page", "id", text), "Untitled",
			    href);
}

static json_t *date_object(const char *start, const char *end, const char *tz)
{
	return json_pack("{s:s,s:o,s:o}", "start", start, "end", end ? json_string(end) : json_null(),
			 "time_zone", tz ? json_string(tz) : json_null());
}

static void date_text(int64_t ms, int with_time, char out[TIME_ISO_MAX])
{
	time_format_iso(ms, out);
	if (!with_time)
		out[10] = '\0';
}

/* A stable option object for name: id and colour derive from the name. */
static json_t *option_object(const char *name, int uuid_id)
{
	uint64_t h = mix64(0x6f7074);
	char id[40];

	for (const char *c = name; *c; c++)
		h = mix64(h ^ (unsigned char)*c);
	if (uuid_id) {
		uint8_t bin[16];
		uint64_t h2 = mix64(h);
		for (int i = 0; i < 8; i++) {
			bin[i] = (uint8_t)(h >> (8 * i));
			bin[8 + i] = (uint8_t)(h2 >> (8 * i));
		}
		data_id_text(bin, id);
	} else {
		snprintf(id, sizeof(id), "%08llx", (unsigned long long)(h & 0xffffffffULL));
	}
	return json_pack("{s:s,s:s,s:s}", "id", id, "name", name, "color",
			 colors[(h >> 40) % ARRAY_LEN(colors)]);
}

/* ---- text generation ---- */

static const char *const verbs[] = {
	"Fix", "Refactor", "Investigate", "Ship", "Document", "Review", "Migrate", "Benchmark",
	"Clean up", "Design", "Automate", "Überprüfen", "Réparer", "Deprecate", "Audit", "Plan",
};
static const char *const objects[] = {
	"login flow", "café menu sync", "naïve cache eviction", "日本語 locale fallback",
	"rate limiter", "Straße lookup in geocoder", "billing webhooks", "dark mode toggle",
	"CSV export", "search ranking", "onboarding emails", "S3 lifecycle rules",
	"flaky CI job", "crash on empty Zoë profile", "metrics dashboard", "GDPR data export",
	"mobile push tokens", "Ελληνικά translations", "retry with backoff", "release checklist",
	"TLS certificate rotation", "feature flags", "error budget report", "Ñandú import job",
};
static const char *const emoji[] = { "🚀", "🐛", "✅", "🔥", "📦", "🧪", "⚠️", "🎉", "🛠️", "📈" };
static const char *const sentences[] = {
	"Customers report that the page hangs after the second retry.",
	"We agreed in the planning meeting to ship this behind a flag first.",
	"Needs a migration for the legacy rows — see the runbook.",
	"Blocked on the upstream fix; the vendor promised a patch this week.",
	"Repro: open the settings, switch the locale to 日本語, reload twice.",
	"The naïve approach costs O(n²); a heap brings it down to O(n log n).",
	"Zoë measured p99 latency at 340 ms before the change and 120 ms after.",
	"Remember to update the docs and the changelog 📝.",
	"Ünïcödé in file names still breaks the export on Windows.",
	"Don't forget the “smart quotes” and the em dash — they broke the parser once.",
	"Straße, façade, jalapeño and crème brûlée must survive a round trip.",
	"Follow-up from the incident review: add an alert on queue depth.",
};
static const char *const tzs[] = { "Europe/Berlin", "America/New_York", "Asia/Tokyo" };

static struct rng prop_rng(const struct value_ctx *ctx, const struct fake_prop *p)
{
	struct rng r;

	rng_seed(&r, ctx->src->seed, (uint64_t)(p - ctx->src->props) * 0x1000193 + 5,
		 ctx->row->gen_index);
	return r;
}

static json_t *gen_title(const struct value_ctx *ctx, const struct fake_prop *p)
{
	struct rng r = prop_rng(ctx, p);
	json_t *a = json_array();
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s %s", verbs[rng_below(&r, ARRAY_LEN(verbs))],
		 objects[rng_below(&r, ARRAY_LEN(objects))]);
	if (rng_chance(&r, 15))
		buf_addf(&b, " %s", emoji[rng_below(&r, ARRAY_LEN(emoji))]);
	if (rng_chance(&r, 10)) {
		buf_adds(&b, " for ");
		json_array_append_new(a, text_item(b.data, NULL, 0, NULL));
		json_array_append_new(a, user_mention(rng_below(&r, (uint32_t)fake.n_users)));
	} else {
		json_array_append_new(a, text_item(b.data, NULL, 0, NULL));
	}
	buf_release(&b);
	return a;
}

/* Appends text to a in items of at most 2000 bytes, cut on UTF-8 boundaries. */
static void append_split(json_t *a, const char *text, unsigned bits)
{
	size_t len = strlen(text), at = 0;

	while (at < len) {
		size_t n = len - at > 2000 ? 2000 : len - at;
		char *piece;

		while (n < len - at && ((unsigned char)text[at + n] & 0xc0) == 0x80)
			n--;
		piece = xstrndup(text + at, n);
		json_array_append_new(a, text_item(piece, NULL, bits, NULL));
		free(piece);
		at += n;
	}
}

static json_t *gen_rich_text(const struct value_ctx *ctx, const struct fake_prop *p)
{
	struct rng r = prop_rng(ctx, p);
	json_t *a = json_array();
	unsigned kind = rng_below(&r, 100);
	struct buf b = BUF_INIT;

	if (kind < 30)
		return a;
	if (kind < 34) {
		/* long text: Notion splits text over 2000 characters across items */
		while (b.len < 4500)
			buf_addf(&b, "%s ", sentences[rng_below(&r, ARRAY_LEN(sentences))]);
		append_split(a, b.data, 0);
	} else if (kind < 37 && ctx->src->n_generated > 1) {
		/* many page mentions: only 25 survive in page objects */
		json_array_append_new(a, text_item("Depends on ", NULL, 0, NULL));
		for (int i = 0; i < 30; i++) {
			uint32_t j = rng_below(&r, ctx->src->n_generated);
			if (i)
				json_array_append_new(a, text_item(", ", NULL, 0, NULL));
			json_array_append_new(a, page_mention(ctx->src->rows[j].id));
		}
	} else {
		unsigned n = 1 + rng_below(&r, 3);
		for (unsigned i = 0; i < n; i++) {
			unsigned style = rng_below(&r, 10);
			const char *s = sentences[rng_below(&r, ARRAY_LEN(sentences))];
			if (style == 0)
				json_array_append_new(a, text_item(s, "https://example.com/runbook", 0, NULL));
			else if (style == 1)
				json_array_append_new(a, text_item(s, NULL, 1, "red"));
			else if (style == 2)
				json_array_append_new(a, text_item(s, NULL, 2 | 8, "blue_background"));
			else
				json_array_append_new(a, text_item(s, NULL, 0, NULL));
			if (i + 1 < n)
				json_array_append_new(a, text_item(" ", NULL, 0, NULL));
		}
		if (rng_chance(&r, 8))
			json_array_append_new(a, user_mention(rng_below(&r, (uint32_t)fake.n_users)));
		if (rng_chance(&r, 5)) {
			char d[TIME_ISO_MAX];
			date_text(ctx->row->created_ms + 86400000LL * rng_below(&r, 30), 0, d);
			json_array_append_new(
				a, mention_item(json_pack("{s:s,s:o}", "type", "date", "date",
							  date_object(d, NULL, NULL)),
						d, NULL));
		}
		if (rng_chance(&r, 3))
			json_array_append_new(
				a, json_pack("{s:s,s:{s:s},s:o,s:s,s:n}", "type", "equation", "equation",
					     "expression", "E = mc^2", "annotations",
					     annotations(0, NULL), "plain_text", "E = mc^2", "href"));
	}
	buf_release(&b);
	return a;
}

static double gen_number_value(const struct value_ctx *ctx, const struct fake_prop *p, int *is_null)
{
	struct rng r = prop_rng(ctx, p);

	*is_null = rng_chance(&r, 20);
	return rng_chance(&r, 70) ? (double)(1 + rng_below(&r, 13)) : rng_below(&r, 40) / 4.0;
}

/* Whole numbers print as integers, as Notion prints them. */
static json_t *number_json(double v)
{
	if (v == (double)(json_int_t)v && v > -1e15 && v < 1e15)
		return json_integer((json_int_t)v);
	return json_real(v);
}

static json_t *gen_number(const struct value_ctx *ctx, const struct fake_prop *p)
{
	int is_null;
	double v = gen_number_value(ctx, p, &is_null);

	return is_null ? json_null() : number_json(v);
}

static json_t *gen_select(const struct value_ctx *ctx, const struct fake_prop *p)
{
	struct rng r = prop_rng(ctx, p);

	if (!p->n_options || (p->type == PT_SELECT && rng_chance(&r, 15)))
		return json_null();
	return option_object(p->options[rng_below(&r, (uint32_t)p->n_options)],
			     p->type == PT_STATUS);
}

static json_t *gen_multi_select(const struct value_ctx *ctx, const struct fake_prop *p)
{
	struct rng r = prop_rng(ctx, p);
	json_t *a = json_array();
	unsigned n = p->n_options ? rng_below(&r, 5) : 0;
	uint64_t used = 0;

	for (unsigned i = 0; i < n && i < p->n_options && i < 64; i++) {
		uint32_t k = rng_below(&r, (uint32_t)(p->n_options < 64 ? p->n_options : 64));
		if (used & (1ULL << k))
			continue;
		used |= 1ULL << k;
		json_array_append_new(a, option_object(p->options[k], 0));
	}
	return a;
}

static json_t *gen_date(const struct value_ctx *ctx, const struct fake_prop *p)
{
	struct rng r = prop_rng(ctx, p);
	unsigned kind = rng_below(&r, 100);
	int64_t start = round_minute(ctx->row->created_ms) + 3600000LL * rng_below(&r, 24 * 45);
	char s[TIME_ISO_MAX], e[TIME_ISO_MAX];
	int with_time = kind >= 75;

	if (kind < 25)
		return json_null();
	date_text(start - (with_time ? 0 : start % 86400000), with_time, s);
	if (rng_chance(&r, 10)) {
		date_text(start + 86400000LL * (1 + rng_below(&r, 5)), with_time, e);
		return date_object(s, e, with_time ? tzs[rng_below(&r, ARRAY_LEN(tzs))] : NULL);
	}
	return date_object(s, NULL, with_time && rng_chance(&r, 50) ? tzs[rng_below(&r, 3)] : NULL);
}

static json_t *gen_checkbox(const struct value_ctx *ctx, const struct fake_prop *p)
{
	struct rng r = prop_rng(ctx, p);

	return json_boolean(rng_chance(&r, 30));
}

static json_t *gen_people(const struct value_ctx *ctx, const struct fake_prop *p)
{
	struct rng r = prop_rng(ctx, p);
	json_t *a = json_array();
	uint32_t n = rng_chance(&r, 3) ? 30 : rng_below(&r, 4);
	size_t start = rng_below(&r, (uint32_t)fake.n_users);

	for (uint32_t i = 0; i < n && i < fake.n_users; i++)
		json_array_append_new(a, render_user(&fake.users[(start + i * 7) % fake.n_users]));
	return a;
}

static json_t *gen_relation(const struct value_ctx *ctx, const struct fake_prop *p)
{
	struct rng r = prop_rng(ctx, p);
	json_t *a = json_array();
	uint32_t n = rng_chance(&r, 3) ? 30 + rng_below(&r, 11) : rng_below(&r, 5);
	uint32_t total = ctx->src->n_generated;

	for (uint32_t i = 0; i < n && total > 1; i++) {
		char id[FAKE_ID_LEN + 1];
		data_id_text(ctx->src->rows[(ctx->row->gen_index + 1 + i * 13) % total].id, id);
		json_array_append_new(a, json_pack("{s:s}", "id", id));
	}
	return a;
}

/* A Notion-hosted file: the URL carries a fresh signature on every read. */
static json_t *hosted_file(const struct value_ctx *ctx, const char *name, uint64_t file_key)
{
	char url[512], expiry[TIME_ISO_MAX], amzdate[20], fid[FAKE_ID_LEN + 1];
	uint64_t sig = mix64(++fake.sign_counter ^ file_key);
	uint8_t bin[16];
	struct rng r;

	rng_seed(&r, file_key, 0x66696c65, 1);
	for (int i = 0; i < 16; i++)
		bin[i] = (uint8_t)rng_next(&r);
	data_id_text(bin, fid);
	time_format_iso(ctx->now_ms, expiry);
	snprintf(amzdate, sizeof(amzdate), "%.4s%.2s%.2sT%.2s%.2s%.2sZ", expiry, expiry + 5,
		 expiry + 8, expiry + 11, expiry + 14, expiry + 17);
	snprintf(url, sizeof(url),
		 "https://prod-files-secure.s3.us-west-2.amazonaws.com/"
		 "8f0f2e55-6a4b-4c1e-9d3a-2b7c8e9f0a1b/%s/%s?X-Amz-Algorithm=AWS4-HMAC-SHA256"
		 "&X-Amz-Date=%s&X-Amz-Expires=3600&X-Amz-Signature=%016llx%016llx&x-id=GetObject",
		 fid, name, amzdate, (unsigned long long)sig, (unsigned long long)mix64(sig));
	time_format_iso(ctx->now_ms + 3600000, expiry);
	return json_pack("{s:s,s:s,s:{s:s,s:s}}", "name", name, "type", "file", "file", "url", url,
			 "expiry_time", expiry);
}

static json_t *gen_files(const struct value_ctx *ctx, const struct fake_prop *p)
{
	struct rng r = prop_rng(ctx, p);
	json_t *a = json_array();
	unsigned n = rng_chance(&r, 60) ? 0 : 1 + rng_below(&r, 2);

	for (unsigned i = 0; i < n; i++) {
		char name[64];
		if (rng_chance(&r, 70)) {
			snprintf(name, sizeof(name), "spec-%u-%u.pdf", ctx->row->gen_index + 1, i);
			json_array_append_new(a, hosted_file(ctx, name, rng_next(&r)));
		} else {
			char url[96];
			snprintf(url, sizeof(url), "https://example.com/design/%u",
				 ctx->row->gen_index + 1);
			json_array_append_new(a, json_pack("{s:s,s:s,s:{s:s}}", "name", "Design doc",
							   "type", "external", "external", "url", url));
		}
	}
	return a;
}

static json_t *gen_url(const struct value_ctx *ctx, const struct fake_prop *p)
{
	struct rng r = prop_rng(ctx, p);
	char s[96];

	if (rng_chance(&r, 50))
		return json_null();
	snprintf(s, sizeof(s), "https://example.com/issues/%u", ctx->row->gen_index + 1);
	return json_string(s);
}

static json_t *gen_email(const struct value_ctx *ctx, const struct fake_prop *p)
{
	struct rng r = prop_rng(ctx, p);

	if (rng_chance(&r, 50))
		return json_null();
	return json_string(fake.users[rng_below(&r, (uint32_t)fake.n_users)].email);
}

static json_t *gen_phone(const struct value_ctx *ctx, const struct fake_prop *p)
{
	struct rng r = prop_rng(ctx, p);
	char s[40];

	if (rng_chance(&r, 50))
		return json_null();
	snprintf(s, sizeof(s), "+49 30 %07u", rng_below(&r, 10000000));
	return json_string(s);
}

/* ---- simple values (control API, fixtures) ---- */

static int check_string(const struct fake_prop *p, json_t *v, struct buf *err)
{
	if (json_is_string(v) || json_is_null(v))
		return 0;
	buf_addf(err, "property '%s' (%s) takes a string or null", p->name, prop_type_name(p->type));
	return -1;
}

static int check_number(const struct fake_prop *p, json_t *v, struct buf *err)
{
	if (json_is_number(v) || json_is_null(v))
		return 0;
	buf_addf(err, "property '%s' (number) takes a number or null", p->name);
	return -1;
}

static int check_bool(const struct fake_prop *p, json_t *v, struct buf *err)
{
	if (json_is_boolean(v) || json_is_null(v))
		return 0;
	buf_addf(err, "property '%s' (checkbox) takes true, false or null", p->name);
	return -1;
}

static int check_strings(const struct fake_prop *p, json_t *v, struct buf *err)
{
	size_t i;
	json_t *e;

	if (json_is_null(v))
		return 0;
	if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if (!json_is_string(e))
				goto bad;
			if (p->type == PT_RELATION || p->type == PT_PEOPLE) {
				char norm[40];
				size_t o = 0;
				for (const char *c = json_string_value(e); *c && o < 39; c++)
					if (*c != '-')
						norm[o++] = *c;
				norm[o] = '\0';
				if (o != 32 || strspn(norm, "0123456789abcdefABCDEF") != 32) {
					buf_addf(err, "property '%s' (%s): '%s' is not an id", p->name,
						 prop_type_name(p->type), json_string_value(e));
					return -1;
				}
			}
		}
		return 0;
	}
bad:
	buf_addf(err, "property '%s' (%s) takes an array of strings or null", p->name,
		 prop_type_name(p->type));
	return -1;
}

static int check_date(const struct fake_prop *p, json_t *v, struct buf *err)
{
	int64_t ms;
	json_t *s = json_is_object(v) ? json_object_get(v, "start") : v;

	if (json_is_null(v))
		return 0;
	if (json_is_string(s) && time_parse_iso(json_string_value(s), &ms) == 0)
		return 0;
	buf_addf(err, "property '%s' (date) takes an ISO date, {\"start\",\"end\",\"time_zone\"} or null",
		 p->name);
	return -1;
}

static int check_read_only(const struct fake_prop *p, json_t *v, struct buf *err)
{
	buf_addf(err, "property '%s' (%s) is read-only", p->name, prop_type_name(p->type));
	return -1;
}

static json_t *simple_text(const struct value_ctx *ctx, const struct fake_prop *p, json_t *v)
{
	return value_plain_rich_text(json_string_value(v));
}

static json_t *simple_scalar(const struct value_ctx *ctx, const struct fake_prop *p, json_t *v)
{
	if (p->type == PT_CHECKBOX)
		return json_boolean(json_is_true(v));
	return json_is_null(v) ? json_null() : json_copy(v);
}

static json_t *simple_select(const struct value_ctx *ctx, const struct fake_prop *p, json_t *v)
{
	return json_is_string(v) ? option_object(json_string_value(v), p->type == PT_STATUS)
				 : json_null();
}

static json_t *simple_multi_select(const struct value_ctx *ctx, const struct fake_prop *p, json_t *v)
{
	json_t *a = json_array(), *e;
	size_t i;

	json_array_foreach(v, i, e)
		json_array_append_new(a, option_object(json_string_value(e), 0));
	return a;
}

static json_t *simple_date(const struct value_ctx *ctx, const struct fake_prop *p, json_t *v)
{
	if (json_is_string(v))
		return date_object(json_string_value(v), NULL, NULL);
	if (json_is_object(v))
		return date_object(json_string_value(json_object_get(v, "start")),
				   json_string_value(json_object_get(v, "end")),
				   json_string_value(json_object_get(v, "time_zone")));
	return json_null();
}

static json_t *simple_people(const struct value_ctx *ctx, const struct fake_prop *p, json_t *v)
{
	json_t *a = json_array(), *e;
	size_t i;

	json_array_foreach(v, i, e) {
		char norm[FAKE_ID_LEN + 1];
		size_t k;
		uint8_t bin[16];
		const char *s = json_string_value(e);
		size_t o = 0;

		/* parse loosely: checked already */
		for (k = 0; s[k] && o < 32; k++) {
			if (s[k] == '-')
				continue;
			unsigned hv = (unsigned)(s[k] <= '9' ? s[k] - '0' : (s[k] | 0x20) - 'a' + 10);
			if (o % 2 == 0)
				bin[o / 2] = (uint8_t)(hv << 4);
			else
				bin[o / 2] |= (uint8_t)hv;
			o++;
		}
		data_id_text(bin, norm);
		for (k = 0; k < fake.n_users; k++)
			if (!strcmp(fake.users[k].id, norm))
				break;
		if (k < fake.n_users)
			json_array_append_new(a, render_user(&fake.users[k]));
		else
			json_array_append_new(a, json_pack("{s:s,s:s}", "object", "user", "id", norm));
	}
	return a;
}

static json_t *simple_relation(const struct value_ctx *ctx, const struct fake_prop *p, json_t *v)
{
	json_t *a = json_array(), *e;
	size_t i;

	json_array_foreach(v, i, e) {
		char norm[FAKE_ID_LEN + 1] = "";
		const char *s = json_string_value(e);
		size_t o = 0, k;

		for (k = 0; s[k] && o < 36; k++) {
			if (s[k] == '-')
				continue;
			if (o == 8 || o == 13 || o == 18 || o == 23)
				norm[o++] = '-';
			norm[o++] = (char)(s[k] | 0x20);
		}
		norm[o] = '\0';
		json_array_append_new(a, json_pack("{s:s}", "id", norm));
	}
	return a;
}

static json_t *simple_files(const struct value_ctx *ctx, const struct fake_prop *p, json_t *v)
{
	json_t *a = json_array(), *e;
	size_t i;

	json_array_foreach(v, i, e) {
		const char *name = json_string_value(e);
		uint64_t key = mix64((uint64_t)i ^ ((uint64_t)ctx->row->id[0] << 8 | ctx->row->id[1]));

		for (const char *c = name; *c; c++)
			key = mix64(key ^ (unsigned char)*c);
		if (!strncmp(name, "http://", 7) || !strncmp(name, "https://", 8))
			json_array_append_new(a, json_pack("{s:s,s:s,s:{s:s}}", "name", name, "type",
							   "external", "external", "url", name));
		else
			json_array_append_new(a, hosted_file(ctx, name, key));
	}
	return a;
}

/* ---- computed and system values ---- */

static json_t *formula_value(const struct value_ctx *ctx, const struct fake_prop *p)
{
	/* Score = first number property × 2, so edits to it move the formula */
	for (size_t i = 0; i < ctx->src->n_props; i++) {
		const struct fake_prop *q = &ctx->src->props[i];
		json_t *n, *out;

		if (q->type != PT_NUMBER)
			continue;
		n = value_full(ctx, q);
		out = json_pack("{s:s,s:o}", "type", "number", "number",
				json_is_number(n) ? number_json(json_number_value(n) * 2) : json_null());
		json_decref(n);
		return out;
	}
	return json_pack("{s:s,s:n}", "type", "string", "string");
}

static json_t *unique_id_value(const struct value_ctx *ctx, const struct fake_prop *p)
{
	return json_pack("{s:o,s:I}", "prefix", p->prefix ? json_string(p->prefix) : json_null(),
			 "number", (json_int_t)ctx->row->gen_index + 1);
}

static json_t *time_value(const struct value_ctx *ctx, const struct fake_prop *p)
{
	char s[TIME_ISO_MAX];

	return json_string(time_format_iso(p->type == PT_CREATED_TIME ? ctx->row->created_ms
								       : ctx->row->edited_ms,
					   s));
}

static json_t *by_value(const struct value_ctx *ctx, const struct fake_prop *p)
{
	return render_partial_user(p->type == PT_CREATED_BY ? ctx->row->creator : ctx->row->editor);
}

/* ---- the type table ---- */

typedef json_t *(*gen_fn)(const struct value_ctx *ctx, const struct fake_prop *p);
typedef json_t *(*simple_fn)(const struct value_ctx *ctx, const struct fake_prop *p, json_t *v);
typedef int (*check_fn)(const struct fake_prop *p, json_t *v, struct buf *err);

struct type_info {
	const char *name;
	gen_fn generate;   /* generated rows; NULL = computed (see computed) */
	gen_fn computed;   /* system / computed value, ignores generation and set */
	check_fn check;
	simple_fn simple;
	const char *empty; /* JSON of the empty value */
};

static const struct type_info types[PT__COUNT] = {
	[PT_TITLE] = { "title", gen_title, NULL, check_string, simple_text, "[]" },
	[PT_RICH_TEXT] = { "rich_text", gen_rich_text, NULL, check_string, simple_text, "[]" },
	[PT_NUMBER] = { "number", gen_number, NULL, check_number, simple_scalar, "null" },
	[PT_SELECT] = { "select", gen_select, NULL, check_string, simple_select, "null" },
	[PT_MULTI_SELECT] = { "multi_select", gen_multi_select, NULL, check_strings,
			      simple_multi_select, "[]" },
	[PT_STATUS] = { "status", gen_select, NULL, check_string, simple_select, "null" },
	[PT_DATE] = { "date", gen_date, NULL, check_date, simple_date, "null" },
	[PT_CHECKBOX] = { "checkbox", gen_checkbox, NULL, check_bool, simple_scalar, "false" },
	[PT_PEOPLE] = { "people", gen_people, NULL, check_strings, simple_people, "[]" },
	[PT_RELATION] = { "relation", gen_relation, NULL, check_strings, simple_relation, "[]" },
	[PT_FILES] = { "files", gen_files, NULL, check_strings, simple_files, "[]" },
	[PT_URL] = { "url", gen_url, NULL, check_string, simple_scalar, "null" },
	[PT_EMAIL] = { "email", gen_email, NULL, check_string, simple_scalar, "null" },
	[PT_PHONE] = { "phone_number", gen_phone, NULL, check_string, simple_scalar, "null" },
	[PT_FORMULA] = { "formula", NULL, formula_value, check_read_only, NULL, NULL },
	[PT_UNIQUE_ID] = { "unique_id", NULL, unique_id_value, check_read_only, NULL, NULL },
	[PT_CREATED_TIME] = { "created_time", NULL, time_value, check_read_only, NULL, NULL },
	[PT_LAST_EDITED_TIME] = { "last_edited_time", NULL, time_value, check_read_only, NULL, NULL },
	[PT_CREATED_BY] = { "created_by", NULL, by_value, check_read_only, NULL, NULL },
	[PT_LAST_EDITED_BY] = { "last_edited_by", NULL, by_value, check_read_only, NULL, NULL },
};

const char *prop_type_name(enum prop_type t)
{
	return (unsigned)t < PT__COUNT ? types[t].name : NULL;
}

int prop_type_parse(const char *name, enum prop_type *out)
{
	for (int t = 0; t < PT__COUNT; t++) {
		if (!strcmp(types[t].name, name)) {
			*out = (enum prop_type)t;
			return 0;
		}
	}
	return -1;
}

int data_check_value(const struct fake_prop *p, json_t *v, struct buf *err)
{
	return types[p->type].check(p, v, err);
}

json_t *value_full(const struct value_ctx *ctx, const struct fake_prop *p)
{
	const struct type_info *ti = &types[p->type];
	json_t *v;

	if (ti->computed)
		return ti->computed(ctx, p);
	if (ctx->row->set && (v = json_object_get(ctx->row->set, p->name)))
		return ti->simple(ctx, p, v);
	if (ctx->row->flags & ROW_GENERATED)
		return ti->generate(ctx, p);
	return json_loads(ti->empty, JSON_DECODE_ANY, NULL);
}

json_t *value_schema_config(const struct fake_source *src, const struct fake_prop *p)
{
	json_t *opts;

	switch (p->type) {
	case PT_SELECT:
	case PT_MULTI_SELECT:
	case PT_STATUS:
		opts = json_array();
		for (size_t i = 0; i < p->n_options; i++) {
			json_t *o = option_object(p->options[i], p->type == PT_STATUS);
			json_object_set_new(o, "description", json_null());
			json_array_append_new(opts, o);
		}
		if (p->type == PT_STATUS)
			return json_pack("{s:o,s:[]}", "options", opts, "groups");
		return json_pack("{s:o}", "options", opts);
	case PT_NUMBER:
		return json_pack("{s:s}", "format", "number");
	case PT_FORMULA:
		return json_pack("{s:s}", "expression", "prop(\"Estimate\") * 2");
	case PT_UNIQUE_ID:
		return json_pack("{s:o}", "prefix", p->prefix ? json_string(p->prefix) : json_null());
	case PT_RELATION:
		return json_pack("{s:s,s:s,s:s,s:{}}", "database_id", fake.dbs[src->db].id,
				 "data_source_id", src->id, "type", "single_property",
				 "single_property");
	default:
		return json_object();
	}
}

char *value_title_text(const struct value_ctx *ctx)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < ctx->src->n_props; i++) {
		json_t *a, *item;
		size_t k;

		if (ctx->src->props[i].type != PT_TITLE)
			continue;
		a = value_full(ctx, &ctx->src->props[i]);
		json_array_foreach(a, k, item)
			buf_adds(&b, json_string_value(json_object_get(item, "plain_text")));
		json_decref(a);
		break;
	}
	return buf_detach(&b);
}

/*
 * fake_values.c: property values, one table row per Notion property type.
 * Each type knows how to generate a value from a seeded random stream
 * (realistic text with unicode, emoji, mentions and long rich text split
 * across items; >25 relations and people on some rows; file URLs signed
 * anew on every read), how to check a "simple" value from the control API
 * or a fixture, and how to write that simple value in Notion's shape.
 * Values are written straight into the response (fake_json.c) and never
 * stored; struct vw applies the page-object limits or the property
 * endpoint's paging while they are written.
 */
#include "fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/id.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const colors[] = {
	"default", "gray", "brown", "orange", "yellow", "green", "blue", "purple", "pink", "red",
};

/* ---- item limits and paging ---- */

int vw_item(struct vw *v, int is_mention)
{
	size_t i = v->total++;

	switch (v->mode) {
	case VW_FULL:
		return 1;
	case VW_PAGE:
		if (v->prop->type == PT_PEOPLE || v->prop->type == PT_RELATION) {
			if (i < FAKE_MENTION_LIMIT)
				return 1;
		} else if (!is_mention || ++v->mentions <= FAKE_MENTION_LIMIT) {
			return 1;
		}
		v->truncated = 1;
		return 0;
	case VW_ITEMS:
		if (i < v->from || i >= v->to)
			return 0;
		jw_obj(v->jw);
		jw_kstr(v->jw, "object", "property_item");
		jw_kstr(v->jw, "id", v->prop->id);
		jw_kstr(v->jw, "type", prop_type_name(v->prop->type));
		jw_key(v->jw, prop_type_name(v->prop->type));
		return 1;
	}
	return 0;
}

void vw_item_end(struct vw *v)
{
	if (v->mode == VW_ITEMS)
		jw_obj_end(v->jw);
}

/* ---- small writers ---- */

static void w_annotations(struct jw *w, unsigned bits, const char *color)
{
	jw_key(w, "annotations");
	jw_obj(w);
	jw_kbool(w, "bold", bits & 1);
	jw_kbool(w, "italic", (bits >> 1) & 1);
	jw_kbool(w, "strikethrough", (bits >> 2) & 1);
	jw_kbool(w, "underline", (bits >> 3) & 1);
	jw_kbool(w, "code", (bits >> 4) & 1);
	jw_kstr(w, "color", color ? color : "default");
	jw_obj_end(w);
}

static void w_text_item(struct vw *v, const char *content, const char *link, unsigned bits,
			const char *color)
{
	struct jw *w = v->jw;

	if (!vw_item(v, 0))
		return;
	jw_obj(w);
	jw_kstr(w, "type", "text");
	jw_key(w, "text");
	jw_obj(w);
	jw_kstr(w, "content", content);
	jw_key(w, "link");
	if (link) {
		jw_obj(w);
		jw_kstr(w, "url", link);
		jw_obj_end(w);
	} else {
		jw_null(w);
	}
	jw_obj_end(w);
	w_annotations(w, bits, color);
	jw_kstr(w, "plain_text", content);
	jw_kstr(w, "href", link);
	jw_obj_end(w);
	vw_item_end(v);
}

/* Opens a mention item: the caller writes the mention's type object, then w_mention_end. */
static int w_mention_begin(struct vw *v, const char *type)
{
	if (!vw_item(v, 1))
		return 0;
	jw_obj(v->jw);
	jw_kstr(v->jw, "type", "mention");
	jw_key(v->jw, "mention");
	jw_obj(v->jw);
	jw_kstr(v->jw, "type", type);
	jw_key(v->jw, type);
	return 1;
}

static void w_mention_end(struct vw *v, const char *plain, const char *href)
{
	jw_obj_end(v->jw);
	w_annotations(v->jw, 0, NULL);
	jw_kstr(v->jw, "plain_text", plain);
	jw_kstr(v->jw, "href", href);
	jw_obj_end(v->jw);
	vw_item_end(v);
}

static void w_user_mention(struct vw *v, size_t user)
{
	char plain[96];

	if (!w_mention_begin(v, "user"))
		return;
	write_partial_user(v->jw, user);
	snprintf(plain, sizeof(plain), "@%s", fake.users[user].name);
	w_mention_end(v, plain, NULL);
}

static void w_page_mention(struct vw *v, const uint8_t id[16])
{
	char text[FAKE_ID_LEN + 1], href[80], compact[33];
	size_t o = 0;

	if (!w_mention_begin(v, "page"))
		return;
	data_id_text(id, text);
	jw_obj(v->jw);
	jw_kstr(v->jw, "id", text);
	jw_obj_end(v->jw);
	for (const char *p = text; *p; p++)
		if (*p != '-')
			compact[o++] = *p;
	compact[o] = '\0';
	snprintf(href, sizeof(href), "https://www.notion.so/%s", compact);
	w_mention_end(v, "Untitled", href);
}

static void w_date(struct jw *w, const char *start, const char *end, const char *tz)
{
	jw_obj(w);
	jw_kstr(w, "start", start);
	jw_kstr(w, "end", end);
	jw_kstr(w, "time_zone", tz);
	jw_obj_end(w);
}

static void date_text(int64_t ms, int with_time, char out[TIME_ISO_MAX])
{
	time_format_iso(ms, out);
	if (!with_time)
		out[10] = '\0';
}

/* Option ids and colours derive from the name, so they are stable. */
static uint64_t option_hash(const char *name)
{
	uint64_t h = mix64(0x6f7074);

	for (const char *c = name; *c; c++)
		h = mix64(h ^ (unsigned char)*c);
	return h;
}

static void option_id(const char *name, int uuid_id, char out[FAKE_ID_LEN + 1])
{
	uint64_t h = option_hash(name), h2 = mix64(h);

	if (uuid_id) {
		uint8_t bin[16];
		for (int i = 0; i < 8; i++) {
			bin[i] = (uint8_t)(h >> (8 * i));
			bin[8 + i] = (uint8_t)(h2 >> (8 * i));
		}
		data_id_text(bin, out);
	} else {
		snprintf(out, FAKE_ID_LEN + 1, "%08llx", (unsigned long long)(h & 0xffffffffULL));
	}
}

static const char *option_color(const char *name)
{
	return colors[(option_hash(name) >> 40) % ARRAY_LEN(colors)];
}

static void w_option(struct jw *w, const char *name, int uuid_id)
{
	char id[FAKE_ID_LEN + 1];

	option_id(name, uuid_id, id);
	jw_obj(w);
	jw_kstr(w, "id", id);
	jw_kstr(w, "name", name);
	jw_kstr(w, "color", option_color(name));
	jw_obj_end(w);
}

json_t *value_plain_rich_text(const char *text)
{
	json_t *a = json_array();

	if (text && *text)
		json_array_append_new(
			a, json_pack("{s:s,s:{s:s,s:n},s:{s:b,s:b,s:b,s:b,s:b,s:s},s:s,s:n}",
				     "type", "text", "text", "content", text, "link", "annotations",
				     "bold", 0, "italic", 0, "strikethrough", 0, "underline", 0,
				     "code", 0, "color", "default", "plain_text", text, "href"));
	return a;
}

/* ---- text generation ---- */

static const char *const verbs[] = {
	"Fix",	   "Refactor",	"Investigate", "Ship",	 "Document", "Review",
	"Migrate", "Benchmark", "Clean up",    "Design", "Automate", "Überprüfen",
	"Réparer", "Deprecate", "Audit",       "Plan",
};
static const char *const objects[] = {
	"login flow",
	"café menu sync",
	"naïve cache eviction",
	"日本語 locale fallback",
	"rate limiter",
	"Straße lookup in geocoder",
	"billing webhooks",
	"dark mode toggle",
	"CSV export",
	"search ranking",
	"onboarding emails",
	"S3 lifecycle rules",
	"flaky CI job",
	"crash on empty Zoë profile",
	"metrics dashboard",
	"GDPR data export",
	"mobile push tokens",
	"Ελληνικά translations",
	"retry with backoff",
	"release checklist",
	"TLS certificate rotation",
	"feature flags",
	"error budget report",
	"Ñandú import job",
};
static const char *const emoji[] = {"🚀", "🐛", "✅", "🔥", "📦", "🧪", "⚠️", "🎉", "🛠️", "📈"};
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
static const char *const tzs[] = {"Europe/Berlin", "America/New_York", "Asia/Tokyo"};

static struct rng prop_rng(const struct value_ctx *ctx, const struct fake_prop *p)
{
	struct rng r;

	rng_seed(&r, ctx->src->seed, (uint64_t)(p - ctx->src->props) * 0x1000193 + 5,
		 ctx->row->gen_index);
	return r;
}

/* The generated title: text, and a user mention index or -1. */
static long title_parts(const struct value_ctx *ctx, const struct fake_prop *p, struct buf *b)
{
	struct rng r = prop_rng(ctx, p);

	buf_addf(b, "%s %s", verbs[rng_below(&r, ARRAY_LEN(verbs))],
		 objects[rng_below(&r, ARRAY_LEN(objects))]);
	if (rng_chance(&r, 15))
		buf_addf(b, " %s", emoji[rng_below(&r, ARRAY_LEN(emoji))]);
	if (rng_chance(&r, 10)) {
		buf_adds(b, " for ");
		return (long)rng_below(&r, (uint32_t)fake.n_users);
	}
	return -1;
}

static void gen_title(struct vw *v, const struct value_ctx *ctx, const struct fake_prop *p)
{
	struct buf b = BUF_INIT;
	long user = title_parts(ctx, p, &b);

	jw_arr(v->jw);
	w_text_item(v, b.data, NULL, 0, NULL);
	if (user >= 0)
		w_user_mention(v, (size_t)user);
	jw_arr_end(v->jw);
	buf_release(&b);
}

/* Writes text in items of at most 2000 bytes, cut on UTF-8 boundaries. */
static void w_split(struct vw *v, const char *text, unsigned bits)
{
	size_t len = strlen(text), at = 0;

	while (at < len) {
		size_t n = len - at > 2000 ? 2000 : len - at;
		char *piece;

		while (n < len - at && ((unsigned char)text[at + n] & 0xc0) == 0x80)
			n--;
		piece = xstrndup(text + at, n);
		w_text_item(v, piece, NULL, bits, NULL);
		free(piece);
		at += n;
	}
}

static void gen_rich_text(struct vw *v, const struct value_ctx *ctx, const struct fake_prop *p)
{
	struct rng r = prop_rng(ctx, p);
	unsigned kind = rng_below(&r, 100);
	struct buf b = BUF_INIT;

	jw_arr(v->jw);
	if (ctx->row->gen_index % 400 == 29 && ctx->src->n_generated > 1) {
		/* many page mentions: only 25 survive in page objects */
		w_text_item(v, "Depends on ", NULL, 0, NULL);
		for (int i = 0; i < 30; i++) {
			uint32_t j = rng_below(&r, ctx->src->n_generated);
			if (i)
				w_text_item(v, ", ", NULL, 0, NULL);
			w_page_mention(v, ctx->src->rows[j].id);
		}
	} else if (kind < 30) {
		/* empty */
	} else if (kind < 34) {
		/* long text: Notion splits text over 2000 characters across items */
		while (b.len < 4500)
			buf_addf(&b, "%s ", sentences[rng_below(&r, ARRAY_LEN(sentences))]);
		w_split(v, b.data, 0);
	} else {
		unsigned n = 1 + rng_below(&r, 3);
		for (unsigned i = 0; i < n; i++) {
			unsigned style = rng_below(&r, 10);
			const char *s = sentences[rng_below(&r, ARRAY_LEN(sentences))];
			if (style == 0)
				w_text_item(v, s, "https://example.com/runbook", 0, NULL);
			else if (style == 1)
				w_text_item(v, s, NULL, 1, "red");
			else if (style == 2)
				w_text_item(v, s, NULL, 2 | 8, "blue_background");
			else
				w_text_item(v, s, NULL, 0, NULL);
			if (i + 1 < n)
				w_text_item(v, " ", NULL, 0, NULL);
		}
		if (rng_chance(&r, 8))
			w_user_mention(v, rng_below(&r, (uint32_t)fake.n_users));
		if (rng_chance(&r, 5)) {
			char d[TIME_ISO_MAX];
			date_text(ctx->row->created_ms + 86400000LL * rng_below(&r, 30), 0, d);
			if (w_mention_begin(v, "date")) {
				w_date(v->jw, d, NULL, NULL);
				w_mention_end(v, d, NULL);
			}
		}
		if (rng_chance(&r, 3) && vw_item(v, 0)) {
			struct jw *w = v->jw;
			jw_obj(w);
			jw_kstr(w, "type", "equation");
			jw_key(w, "equation");
			jw_obj(w);
			jw_kstr(w, "expression", "E = mc^2");
			jw_obj_end(w);
			w_annotations(w, 0, NULL);
			jw_kstr(w, "plain_text", "E = mc^2");
			jw_knull(w, "href");
			jw_obj_end(w);
			vw_item_end(v);
		}
	}
	jw_arr_end(v->jw);
	buf_release(&b);
}

static int gen_number_value(const struct value_ctx *ctx, const struct fake_prop *p, double *out)
{
	struct rng r = prop_rng(ctx, p);
	int is_null = rng_chance(&r, 20);

	*out = rng_chance(&r, 70) ? (double)(1 + rng_below(&r, 13)) : rng_below(&r, 40) / 4.0;
	return !is_null;
}

static void gen_number(struct vw *v, const struct value_ctx *ctx, const struct fake_prop *p)
{
	double d;

	if (gen_number_value(ctx, p, &d))
		jw_num(v->jw, d);
	else
		jw_null(v->jw);
}

static void gen_select(struct vw *v, const struct value_ctx *ctx, const struct fake_prop *p)
{
	struct rng r = prop_rng(ctx, p);

	if (!p->n_options || (p->type == PT_SELECT && rng_chance(&r, 15)))
		jw_null(v->jw);
	else
		w_option(v->jw, p->options[rng_below(&r, (uint32_t)p->n_options)],
			 p->type == PT_STATUS);
}

static void gen_multi_select(struct vw *v, const struct value_ctx *ctx, const struct fake_prop *p)
{
	struct rng r = prop_rng(ctx, p);
	unsigned n = p->n_options ? rng_below(&r, 5) : 0;
	uint64_t used = 0;

	jw_arr(v->jw);
	for (unsigned i = 0; i < n && i < p->n_options && i < 64; i++) {
		uint32_t k = rng_below(&r, (uint32_t)(p->n_options < 64 ? p->n_options : 64));
		if (used & (1ULL << k))
			continue;
		used |= 1ULL << k;
		w_option(v->jw, p->options[k], 0);
	}
	jw_arr_end(v->jw);
}

static void gen_date(struct vw *v, const struct value_ctx *ctx, const struct fake_prop *p)
{
	struct rng r = prop_rng(ctx, p);
	unsigned kind = rng_below(&r, 100);
	int64_t start = round_minute(ctx->row->created_ms) + 3600000LL * rng_below(&r, 24 * 45);
	char s[TIME_ISO_MAX], e[TIME_ISO_MAX];
	int with_time = kind >= 75;

	if (kind < 25)
		return jw_null(v->jw);
	date_text(start - (with_time ? 0 : start % 86400000), with_time, s);
	if (rng_chance(&r, 10)) {
		date_text(start + 86400000LL * (1 + rng_below(&r, 5)), with_time, e);
		w_date(v->jw, s, e, with_time ? tzs[rng_below(&r, ARRAY_LEN(tzs))] : NULL);
	} else {
		w_date(v->jw, s, NULL,
		       with_time && rng_chance(&r, 50) ? tzs[rng_below(&r, 3)] : NULL);
	}
}

static void gen_checkbox(struct vw *v, const struct value_ctx *ctx, const struct fake_prop *p)
{
	struct rng r = prop_rng(ctx, p);

	jw_bool(v->jw, rng_chance(&r, 30));
}

static void gen_people(struct vw *v, const struct value_ctx *ctx, const struct fake_prop *p)
{
	struct rng r = prop_rng(ctx, p);
	uint32_t n = ctx->row->gen_index % 400 == 13 ? 30 : rng_below(&r, 4);
	size_t start = rng_below(&r, (uint32_t)fake.n_users);

	jw_arr(v->jw);
	for (uint32_t i = 0; i < n && i < fake.n_users; i++) {
		if (!vw_item(v, 0))
			continue;
		write_user(v->jw, &fake.users[(start + i * 7) % fake.n_users], ctx->v);
		vw_item_end(v);
	}
	jw_arr_end(v->jw);
}

static void w_relation_item(struct vw *v, const char *id)
{
	if (!vw_item(v, 0))
		return;
	jw_obj(v->jw);
	jw_kstr(v->jw, "id", id);
	jw_obj_end(v->jw);
	vw_item_end(v);
}

static void gen_relation(struct vw *v, const struct value_ctx *ctx, const struct fake_prop *p)
{
	struct rng r = prop_rng(ctx, p);
	uint32_t n = ctx->row->gen_index % 200 == 7 ? 30 + rng_below(&r, 11) : rng_below(&r, 5);
	uint32_t total = ctx->src->n_generated;

	jw_arr(v->jw);
	for (uint32_t i = 0; i < n && total > 1; i++) {
		char id[FAKE_ID_LEN + 1];
		data_id_text(ctx->src->rows[(ctx->row->gen_index + 1 + i * 13) % total].id, id);
		w_relation_item(v, id);
	}
	jw_arr_end(v->jw);
}

/* A Notion-hosted file: the URL carries a fresh signature on every read. */
static void w_hosted_file(struct jw *w, const struct value_ctx *ctx, const char *name,
			  uint64_t file_key)
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
	jw_obj(w);
	jw_kstr(w, "name", name);
	jw_kstr(w, "type", "file");
	jw_key(w, "file");
	jw_obj(w);
	jw_kstr(w, "url", url);
	jw_kstr(w, "expiry_time", expiry);
	jw_obj_end(w);
	jw_obj_end(w);
}

static void w_external_file(struct jw *w, const char *name, const char *url)
{
	jw_obj(w);
	jw_kstr(w, "name", name);
	jw_kstr(w, "type", "external");
	jw_key(w, "external");
	jw_obj(w);
	jw_kstr(w, "url", url);
	jw_obj_end(w);
	jw_obj_end(w);
}

static void gen_files(struct vw *v, const struct value_ctx *ctx, const struct fake_prop *p)
{
	struct rng r = prop_rng(ctx, p);
	unsigned n = rng_chance(&r, 60) ? 0 : 1 + rng_below(&r, 2);

	jw_arr(v->jw);
	for (unsigned i = 0; i < n; i++) {
		char name[64], url[96];

		if (rng_chance(&r, 70)) {
			snprintf(name, sizeof(name), "spec-%u-%u.pdf", ctx->row->gen_index + 1, i);
			w_hosted_file(v->jw, ctx, name, rng_next(&r));
		} else {
			snprintf(url, sizeof(url), "https://example.com/design/%u",
				 ctx->row->gen_index + 1);
			w_external_file(v->jw, "Design doc", url);
		}
	}
	jw_arr_end(v->jw);
}

static void gen_url(struct vw *v, const struct value_ctx *ctx, const struct fake_prop *p)
{
	struct rng r = prop_rng(ctx, p);
	char s[96];

	if (rng_chance(&r, 50))
		return jw_null(v->jw);
	snprintf(s, sizeof(s), "https://example.com/issues/%u", ctx->row->gen_index + 1);
	jw_str(v->jw, s);
}

static void gen_email(struct vw *v, const struct value_ctx *ctx, const struct fake_prop *p)
{
	struct rng r = prop_rng(ctx, p);

	if (rng_chance(&r, 50))
		return jw_null(v->jw);
	jw_str(v->jw, fake.users[rng_below(&r, (uint32_t)fake.n_users)].email);
}

static void gen_phone(struct vw *v, const struct value_ctx *ctx, const struct fake_prop *p)
{
	struct rng r = prop_rng(ctx, p);
	char s[40];

	if (rng_chance(&r, 50))
		return jw_null(v->jw);
	snprintf(s, sizeof(s), "+49 30 %07u", rng_below(&r, 10000000));
	jw_str(v->jw, s);
}

/* ---- simple values (control API, fixtures) ---- */

static int check_string(const struct fake_prop *p, json_t *v, struct buf *err)
{
	if (json_is_string(v) || json_is_null(v))
		return 0;
	buf_addf(err, "property '%s' (%s) takes a string or null", p->name,
		 prop_type_name(p->type));
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
	if (!json_is_array(v))
		goto bad;
	json_array_foreach(v, i, e)
	{
		char norm[FAKE_ID_LEN + 1];

		if (!json_is_string(e))
			goto bad;
		if ((p->type == PT_RELATION || p->type == PT_PEOPLE) &&
		    id_normalize(json_string_value(e), norm) < 0) {
			buf_addf(err, "property '%s' (%s): '%s' is not an id", p->name,
				 prop_type_name(p->type), json_string_value(e));
			return -1;
		}
	}
	return 0;
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
	buf_addf(
		err,
		"property '%s' (date) takes an ISO date, {\"start\",\"end\",\"time_zone\"} or null",
		p->name);
	return -1;
}

static int check_read_only(const struct fake_prop *p, json_t *v, struct buf *err)
{
	buf_addf(err, "property '%s' (%s) is read-only", p->name, prop_type_name(p->type));
	return -1;
}

static void simple_text(struct vw *v, const struct value_ctx *ctx, const struct fake_prop *p,
			json_t *val)
{
	jw_arr(v->jw);
	if (json_is_string(val) && *json_string_value(val))
		w_split(v, json_string_value(val), 0);
	jw_arr_end(v->jw);
}

static void simple_scalar(struct vw *v, const struct value_ctx *ctx, const struct fake_prop *p,
			  json_t *val)
{
	if (p->type == PT_CHECKBOX)
		jw_bool(v->jw, json_is_true(val));
	else if (json_is_number(val))
		jw_num(v->jw, json_number_value(val));
	else if (json_is_string(val))
		jw_str(v->jw, json_string_value(val));
	else
		jw_null(v->jw);
}

static void simple_select(struct vw *v, const struct value_ctx *ctx, const struct fake_prop *p,
			  json_t *val)
{
	if (json_is_string(val))
		w_option(v->jw, json_string_value(val), p->type == PT_STATUS);
	else
		jw_null(v->jw);
}

static void simple_multi_select(struct vw *v, const struct value_ctx *ctx,
				const struct fake_prop *p, json_t *val)
{
	json_t *e;
	size_t i;

	jw_arr(v->jw);
	json_array_foreach(val, i, e) w_option(v->jw, json_string_value(e), 0);
	jw_arr_end(v->jw);
}

static void simple_date(struct vw *v, const struct value_ctx *ctx, const struct fake_prop *p,
			json_t *val)
{
	if (json_is_string(val))
		w_date(v->jw, json_string_value(val), NULL, NULL);
	else if (json_is_object(val))
		w_date(v->jw, json_string_value(json_object_get(val, "start")),
		       json_string_value(json_object_get(val, "end")),
		       json_string_value(json_object_get(val, "time_zone")));
	else
		jw_null(v->jw);
}

static void simple_people(struct vw *v, const struct value_ctx *ctx, const struct fake_prop *p,
			  json_t *val)
{
	json_t *e;
	size_t i;

	jw_arr(v->jw);
	json_array_foreach(val, i, e)
	{
		char norm[FAKE_ID_LEN + 1];
		size_t k;

		id_normalize(json_string_value(e), norm);
		if (!vw_item(v, 0))
			continue;
		for (k = 0; k < fake.n_users; k++)
			if (!strcmp(fake.users[k].id, norm))
				break;
		if (k < fake.n_users) {
			write_user(v->jw, &fake.users[k], ctx->v);
		} else {
			jw_obj(v->jw);
			jw_kstr(v->jw, "object", "user");
			jw_kstr(v->jw, "id", norm);
			jw_obj_end(v->jw);
		}
		vw_item_end(v);
	}
	jw_arr_end(v->jw);
}

static void simple_relation(struct vw *v, const struct value_ctx *ctx, const struct fake_prop *p,
			    json_t *val)
{
	json_t *e;
	size_t i;

	jw_arr(v->jw);
	json_array_foreach(val, i, e)
	{
		char norm[FAKE_ID_LEN + 1];

		id_normalize(json_string_value(e), norm);
		w_relation_item(v, norm);
	}
	jw_arr_end(v->jw);
}

static void simple_files(struct vw *v, const struct value_ctx *ctx, const struct fake_prop *p,
			 json_t *val)
{
	json_t *e;
	size_t i;

	jw_arr(v->jw);
	json_array_foreach(val, i, e)
	{
		const char *name = json_string_value(e);
		uint64_t key =
			mix64((uint64_t)i ^ ((uint64_t)ctx->row->id[0] << 8 | ctx->row->id[1]));

		for (const char *c = name; *c; c++)
			key = mix64(key ^ (unsigned char)*c);
		if (!strncmp(name, "http://", 7) || !strncmp(name, "https://", 8))
			w_external_file(v->jw, name, name);
		else
			w_hosted_file(v->jw, ctx, name, key);
	}
	jw_arr_end(v->jw);
}

/* ---- computed and system values ---- */

static void formula_value(struct vw *v, const struct value_ctx *ctx, const struct fake_prop *p)
{
	/* Score = first number property × 2, so edits to it move the formula */
	jw_obj(v->jw);
	for (size_t i = 0; i < ctx->src->n_props; i++) {
		double d;

		if (ctx->src->props[i].type != PT_NUMBER)
			continue;
		jw_kstr(v->jw, "type", "number");
		jw_key(v->jw, "number");
		if (value_number(ctx, &ctx->src->props[i], &d))
			jw_num(v->jw, d * 2);
		else
			jw_null(v->jw);
		jw_obj_end(v->jw);
		return;
	}
	jw_kstr(v->jw, "type", "string");
	jw_knull(v->jw, "string");
	jw_obj_end(v->jw);
}

static void unique_id_value(struct vw *v, const struct value_ctx *ctx, const struct fake_prop *p)
{
	jw_obj(v->jw);
	jw_kstr(v->jw, "prefix", p->prefix);
	jw_kint(v->jw, "number", (long long)ctx->row->gen_index + 1);
	jw_obj_end(v->jw);
}

static void time_value(struct vw *v, const struct value_ctx *ctx, const struct fake_prop *p)
{
	char s[TIME_ISO_MAX];

	jw_str(v->jw,
	       time_format_iso(
		       p->type == PT_CREATED_TIME ? ctx->row->created_ms : ctx->row->edited_ms, s));
}

static void by_value(struct vw *v, const struct value_ctx *ctx, const struct fake_prop *p)
{
	write_partial_user(v->jw, p->type == PT_CREATED_BY ? ctx->row->creator : ctx->row->editor);
}

/* ---- the type table ---- */

typedef void (*gen_fn)(struct vw *v, const struct value_ctx *ctx, const struct fake_prop *p);
typedef void (*simple_fn)(struct vw *v, const struct value_ctx *ctx, const struct fake_prop *p,
			  json_t *val);
typedef int (*check_fn)(const struct fake_prop *p, json_t *v, struct buf *err);

struct type_info {
	const char *name;
	gen_fn generate; /* generated rows */
	gen_fn computed; /* system or computed value: ignores generation and set */
	check_fn check;
	simple_fn simple;
	const char *empty; /* JSON of the empty value */
	int paged;	   /* the property endpoint pages it */
};

static const struct type_info types[PT__COUNT] = {
	[PT_TITLE] = {"title", gen_title, NULL, check_string, simple_text, "[]", 1},
	[PT_RICH_TEXT] = {"rich_text", gen_rich_text, NULL, check_string, simple_text, "[]", 1},
	[PT_NUMBER] = {"number", gen_number, NULL, check_number, simple_scalar, "null", 0},
	[PT_SELECT] = {"select", gen_select, NULL, check_string, simple_select, "null", 0},
	[PT_MULTI_SELECT] = {"multi_select", gen_multi_select, NULL, check_strings,
			     simple_multi_select, "[]", 0},
	[PT_STATUS] = {"status", gen_select, NULL, check_string, simple_select, "null", 0},
	[PT_DATE] = {"date", gen_date, NULL, check_date, simple_date, "null", 0},
	[PT_CHECKBOX] = {"checkbox", gen_checkbox, NULL, check_bool, simple_scalar, "false", 0},
	[PT_PEOPLE] = {"people", gen_people, NULL, check_strings, simple_people, "[]", 1},
	[PT_RELATION] = {"relation", gen_relation, NULL, check_strings, simple_relation, "[]", 1},
	[PT_FILES] = {"files", gen_files, NULL, check_strings, simple_files, "[]", 0},
	[PT_URL] = {"url", gen_url, NULL, check_string, simple_scalar, "null", 0},
	[PT_EMAIL] = {"email", gen_email, NULL, check_string, simple_scalar, "null", 0},
	[PT_PHONE] = {"phone_number", gen_phone, NULL, check_string, simple_scalar, "null", 0},
	[PT_FORMULA] = {"formula", NULL, formula_value, check_read_only, NULL, NULL, 0},
	[PT_UNIQUE_ID] = {"unique_id", NULL, unique_id_value, check_read_only, NULL, NULL, 0},
	[PT_CREATED_TIME] = {"created_time", NULL, time_value, check_read_only, NULL, NULL, 0},
	[PT_LAST_EDITED_TIME] = {"last_edited_time", NULL, time_value, check_read_only, NULL, NULL,
				 0},
	[PT_CREATED_BY] = {"created_by", NULL, by_value, check_read_only, NULL, NULL, 0},
	[PT_LAST_EDITED_BY] = {"last_edited_by", NULL, by_value, check_read_only, NULL, NULL, 0},
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

int value_paged_type(enum prop_type t)
{
	return types[t].paged;
}

int data_check_value(const struct fake_prop *p, json_t *v, struct buf *err)
{
	return types[p->type].check(p, v, err);
}

void value_write(struct vw *v, const struct value_ctx *ctx, const struct fake_prop *p)
{
	const struct type_info *ti = &types[p->type];
	json_t *val;

	v->prop = p;
	v->total = v->mentions = 0;
	v->truncated = 0;
	if (ti->computed) {
		ti->computed(v, ctx, p);
	} else if (ctx->row->set && (val = json_object_get(ctx->row->set, p->name))) {
		ti->simple(v, ctx, p, val);
	} else if (ctx->row->flags & ROW_GENERATED) {
		ti->generate(v, ctx, p);
	} else if (!strcmp(ti->empty, "[]")) {
		jw_arr(v->jw);
		jw_arr_end(v->jw);
	} else if (!strcmp(ti->empty, "false")) {
		jw_bool(v->jw, 0);
	} else {
		jw_null(v->jw);
	}
}

int value_number(const struct value_ctx *ctx, const struct fake_prop *p, double *out)
{
	json_t *val;

	if (ctx->row->set && (val = json_object_get(ctx->row->set, p->name))) {
		*out = json_number_value(val);
		return json_is_number(val);
	}
	if (ctx->row->flags & ROW_GENERATED)
		return gen_number_value(ctx, p, out);
	return 0;
}

/* 1 when needle occurs in s, ignoring ASCII case. */
static int contains_nocase(const char *s, const char *needle)
{
	size_t n = strlen(needle);

	for (; *s; s++)
		if (!strncasecmp(s, needle, n))
			return 1;
	return 0;
}

/*
 * Notion's three status groups. Which option sits in which is the user's
 * choice in Notion; the fake decides by name: done/fixed/complete/closed/
 * won't → Complete, progress/blocked/doing/review → In progress, else To-do.
 */
static json_t *status_groups(const struct fake_prop *p)
{
	static const char *const group_names[] = {"To-do", "In progress", "Complete"};
	static const char *const group_colors[] = {"gray", "blue", "green"};
	static const char *const complete[] = {"done", "fixed", "complete", "closed", "won't"};
	static const char *const doing[] = {"progress", "blocked", "doing", "review"};
	json_t *ids[3], *groups = json_array();

	for (int g = 0; g < 3; g++)
		ids[g] = json_array();
	for (size_t i = 0; i < p->n_options; i++) {
		char id[FAKE_ID_LEN + 1];
		int g = 0;

		for (size_t k = 0; k < sizeof(complete) / sizeof(complete[0]); k++)
			if (contains_nocase(p->options[i], complete[k]))
				g = 2;
		for (size_t k = 0; !g && k < sizeof(doing) / sizeof(doing[0]); k++)
			if (contains_nocase(p->options[i], doing[k]))
				g = 1;
		option_id(p->options[i], 1, id);
		json_array_append_new(ids[g], json_string(id));
	}
	for (int g = 0; g < 3; g++) {
		char id[FAKE_ID_LEN + 1];
		option_id(group_names[g], 1, id);
		json_array_append_new(groups, json_pack("{s:s,s:s,s:s,s:o}", "id", id, "name",
							group_names[g], "color", group_colors[g],
							"option_ids", ids[g]));
	}
	return groups;
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
			char id[FAKE_ID_LEN + 1];

			option_id(p->options[i], p->type == PT_STATUS, id);
			json_array_append_new(opts, json_pack("{s:s,s:s,s:s,s:n}", "id", id, "name",
							      p->options[i], "color",
							      option_color(p->options[i]),
							      "description"));
		}
		if (p->type == PT_STATUS)
			return json_pack("{s:o,s:o}", "options", opts, "groups", status_groups(p));
		return json_pack("{s:o}", "options", opts);
	case PT_NUMBER:
		return json_pack("{s:s}", "format", "number");
	case PT_FORMULA:
		return json_pack("{s:s}", "expression", "prop(\"Estimate\") * 2");
	case PT_UNIQUE_ID:
		return json_pack("{s:o}", "prefix",
				 p->prefix ? json_string(p->prefix) : json_null());
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
		const struct fake_prop *p = &ctx->src->props[i];
		json_t *val;
		long user;

		if (p->type != PT_TITLE)
			continue;
		if (ctx->row->set && (val = json_object_get(ctx->row->set, p->name))) {
			buf_adds(&b, json_is_string(val) ? json_string_value(val) : "");
		} else if (ctx->row->flags & ROW_GENERATED) {
			user = title_parts(ctx, p, &b);
			if (user >= 0)
				buf_addf(&b, "@%s", fake.users[user].name);
		}
		break;
	}
	return buf_detach(&b);
}

/*
 * fake_data.c: the fake's data set. Databases own data sources, data sources
 * own rows; an open-addressing map finds a row by id. Rows are generated
 * deterministically per seed (ids, timestamps, users; their property values
 * come from fake_values.c at render time) or loaded from a JSON fixture
 * (format in docs/internals/fake-notion.md). All of it lives in the global
 * struct fake_state and is touched only with the state lock held.
 */
#include "fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/id.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

struct fake_state fake;

/* ---- random numbers ---- */

uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void rng_seed(struct rng *r, uint64_t a, uint64_t b, uint64_t c)
{
	r->s = mix64(a ^ mix64(b ^ mix64(c)));
}

uint64_t rng_next(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return mix64(r->s);
}

uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(rng_next(r) % n);
}

int rng_chance(struct rng *r, unsigned percent)
{
	return rng_below(r, 100) < percent;
}

/* ---- ids ---- */

void data_id_text(const uint8_t id[16], char out[FAKE_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[id[i] >> 4];
		out[o++] = hex[id[i] & 15];
	}
	out[o] = '\0';
}

static int id_parse(const char *text, uint8_t id[16])
{
	char compact[33];

	if (!text || id_compact(text, compact) < 0)
		return -1;
	for (int i = 0; i < 16; i++) {
		unsigned v;
		if (sscanf(compact + 2 * i, "%2x", &v) != 1)
			return -1;
		id[i] = (uint8_t)v;
	}
	return 0;
}

static void id_from_rng(struct rng *r, uint8_t id[16])
{
	uint64_t a = rng_next(r), b = rng_next(r);

	for (int i = 0; i < 8; i++) {
		id[i] = (uint8_t)(a >> (8 * i));
		id[8 + i] = (uint8_t)(b >> (8 * i));
	}
	id[6] = (uint8_t)((id[6] & 0x0f) | 0x40); /* UUIDv4 like Notion's */
	id[8] = (uint8_t)((id[8] & 0x3f) | 0x80);
}

/* ---- id map ---- */

static uint64_t id_hash(const uint8_t id[16])
{
	uint64_t a, b;

	memcpy(&a, id, 8);
	memcpy(&b, id + 8, 8);
	return mix64(a ^ mix64(b));
}

static struct fake_row *slot_row(uint64_t v)
{
	return &fake.sources[(v - 1) >> 32].rows[(uint32_t)(v - 1)];
}

static void map_put(uint64_t v)
{
	size_t mask = fake.map_cap - 1, i = id_hash(slot_row(v)->id) & mask;

	while (fake.map[i])
		i = (i + 1) & mask;
	fake.map[i] = v;
	fake.map_used++;
}

static void map_grow(void)
{
	uint64_t *old = fake.map;
	size_t old_cap = fake.map_cap;

	fake.map_cap = old_cap ? old_cap * 2 : 1024;
	fake.map = xcalloc(fake.map_cap, sizeof(*fake.map));
	fake.map_used = 0;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i])
			map_put(old[i]);
	free(old);
}

static uint64_t map_get(const uint8_t id[16])
{
	size_t mask, i;

	if (!fake.map_cap)
		return 0;
	mask = fake.map_cap - 1;
	i = id_hash(id) & mask;
	while (fake.map[i]) {
		if (!memcmp(slot_row(fake.map[i])->id, id, 16))
			return fake.map[i];
		i = (i + 1) & mask;
	}
	return 0;
}

int data_find_row(const char *id, size_t *s, size_t *r)
{
	uint8_t bin[16];
	uint64_t v;

	if (id_parse(id, bin) < 0 || !(v = map_get(bin)))
		return -1;
	if (slot_row(v)->flags & ROW_PURGED)
		return -1;
	*s = (size_t)((v - 1) >> 32);
	*r = (uint32_t)(v - 1);
	return 0;
}

static int id_taken(const uint8_t id[16])
{
	char text[FAKE_ID_LEN + 1];

	data_id_text(id, text);
	if (map_get(id) || data_find_db(text) >= 0 || data_find_source(text) >= 0)
		return 1;
	return 0;
}

long data_find_db(const char *id)
{
	char norm[ID_DASHED_LEN + 1];

	if (!id || id_normalize(id, norm) < 0)
		return -1;
	for (size_t i = 0; i < fake.n_dbs; i++)
		if (!strcmp(fake.dbs[i].id, norm))
			return (long)i;
	return -1;
}

long data_find_source(const char *id)
{
	char norm[ID_DASHED_LEN + 1];

	if (!id || id_normalize(id, norm) < 0)
		return -1;
	for (size_t i = 0; i < fake.n_sources; i++)
		if (!strcmp(fake.sources[i].id, norm))
			return (long)i;
	return -1;
}

const struct fake_prop *data_prop_by_name(const struct fake_source *src, const char *name)
{
	for (size_t i = 0; i < src->n_props; i++)
		if (!strcmp(src->props[i].name, name))
			return &src->props[i];
	return NULL;
}

const struct fake_prop *data_prop_by_id(const struct fake_source *src, const char *id_raw)
{
	for (size_t i = 0; i < src->n_props; i++)
		if (!strcmp(src->props[i].id_raw, id_raw))
			return &src->props[i];
	return NULL;
}

/* ---- users ---- */

static const char *const user_names[] = {
	"Ada Lovelace",	     "Grace Hopper",	"Linus Torvalds",   "Margaret Hamilton",
	"Ken Thompson",	     "Barbara Liskov",	"Dennis Ritchie",   "Frances Allen",
	"Søren Kierkegaard", "Zoë Quinn",	"José Valim",	    "Björn Ståhl",
	"Łukasz Langa",	     "Chloé Martin",	"Mårten Nilsson",   "Ngozi Okafor",
	"Haruki Sato",	     "李小龙",		"Ananya Iyer",	    "Oluwaseun Ade",
	"Fatima Zahra",	     "Diego Hernández", "Ingrid Bergström", "Yusuf Demir",
	"Camille Dubois",    "Mateo Rossi",	"Priya Nair",	    "Anders Holm",
	"Keiko Tanaka",	     "Emeka Eze",	"Sofia Costa",	    "Nikolai Petrov",
	"Amélie Laurent",    "Ravi Shankar",	"Elif Şahin",	    "Tomás O'Brien",
	"Hana Novák",	     "Jae-won Kim",	"Lucía Gómez",	    "Wei Zhang",
};

void data_init_users(void)
{
	struct rng r;

	fake.n_users = sizeof(user_names) / sizeof(user_names[0]);
	fake.users = xcalloc(fake.n_users, sizeof(*fake.users));
	for (size_t i = 0; i < fake.n_users; i++) {
		uint8_t id[16];
		const char *n = user_names[i];
		size_t o = 0;

		rng_seed(&r, 0x75736572, i, 7);
		id_from_rng(&r, id);
		data_id_text(id, fake.users[i].id);
		fake.users[i].name = n;
		/* an ASCII mailbox from the first name's letters */
		for (const char *p = n; *p && *p != ' ' && o < 20; p++)
			if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
				fake.users[i].email[o++] = (char)(*p | 0x20);
		snprintf(fake.users[i].email + o, sizeof(fake.users[i].email) - o,
			 "%s%zu@example.com", o ? "." : "user", i);
	}
}

/* ---- schema ---- */

struct std_prop {
	const char *name;
	const char *id;
	enum prop_type type;
	const char *options; /* '|'-separated */
};

static const struct std_prop standard_props[] = {
	{"Name", "title", PT_TITLE, NULL},
	{"Notes", "%3AUPp", PT_RICH_TEXT, NULL},
	{"Status", "M%3BBw", PT_STATUS, "Not started|In progress|Blocked|Done"},
	{"Priority", "pR%7Bq", PT_SELECT, "Low|Medium|High|Urgent"},
	{"Tags", "t%5Bg%5D", PT_MULTI_SELECT,
	 "backend|frontend|infra|bug|feature|docs|research|ops|ux|security"},
	{"Due", "dUe1", PT_DATE, NULL},
	{"Done", "BBla", PT_CHECKBOX, NULL},
	{"Estimate", "kjPO", PT_NUMBER, NULL},
	{"Owner", "0wnr", PT_PEOPLE, NULL},
	{"Related", "vYdV", PT_RELATION, NULL},
	{"Attachments", "fi%40s", PT_FILES, NULL},
	{"Link", "lnk%3D", PT_URL, NULL},
	{"Contact", "c%24nt", PT_EMAIL, NULL},
	{"Score", "sc%2Cr", PT_FORMULA, NULL},
	{"Ticket", "tkt1", PT_UNIQUE_ID, NULL},
	{"Created", "cr8d", PT_CREATED_TIME, NULL},
	{"Edited", "ed1t", PT_LAST_EDITED_TIME, NULL},
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *url_decode(const char *s, int plus_is_space)
{
	size_t n = strlen(s), o = 0;
	char *out = xmalloc(n + 1);

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			out[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else if (s[i] == '+' && plus_is_space) {
			out[o++] = ' ';
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

static void add_options(struct fake_prop *p, const char *list)
{
	const char *s = list;

	while (s && *s) {
		const char *bar = strchr(s, '|');
		size_t len = bar ? (size_t)(bar - s) : strlen(s);

		p->options = xrealloc(p->options, (p->n_options + 1) * sizeof(*p->options));
		p->options[p->n_options++] = xstrndup(s, len);
		s = bar ? bar + 1 : NULL;
	}
}

static struct fake_prop *add_prop(struct fake_source *src, const char *name, const char *id,
				  enum prop_type type)
{
	struct fake_prop *p;

	src->props = xrealloc(src->props, (src->n_props + 1) * sizeof(*src->props));
	p = &src->props[src->n_props++];
	memset(p, 0, sizeof(*p));
	p->name = xstrdup(name);
	p->id = xstrdup(id);
	p->id_raw = url_decode(id, 0);
	p->type = type;
	return p;
}

void data_standard_schema(struct fake_source *src)
{
	for (size_t i = 0; i < sizeof(standard_props) / sizeof(standard_props[0]); i++) {
		const struct std_prop *sp = &standard_props[i];
		struct fake_prop *p = add_prop(src, sp->name, sp->id, sp->type);

		add_options(p, sp->options);
		if (sp->type == PT_UNIQUE_ID)
			p->prefix = xstrdup("ENG");
	}
}

/* ---- databases, sources, rows ---- */

size_t data_add_db(const char *id, const char *title)
{
	struct fake_db *db;
	struct rng r;
	uint8_t parent[16];

	fake.dbs = xrealloc(fake.dbs, (fake.n_dbs + 1) * sizeof(*fake.dbs));
	db = &fake.dbs[fake.n_dbs];
	memset(db, 0, sizeof(*db));
	id_normalize(id, db->id);
	db->title = xstrdup(title);
	rng_seed(&r, 0x706172656e74, fake.n_dbs, 3);
	id_from_rng(&r, parent);
	data_id_text(parent, db->parent_page);
	db->created_ms = round_minute(fake_now_ms() - 40LL * 86400000);
	return fake.n_dbs++;
}

size_t data_add_source(size_t db, const char *id, const char *name)
{
	struct fake_source *src;
	struct fake_db *d = &fake.dbs[db];

	fake.sources = xrealloc(fake.sources, (fake.n_sources + 1) * sizeof(*fake.sources));
	src = &fake.sources[fake.n_sources];
	memset(src, 0, sizeof(*src));
	id_normalize(id, src->id);
	src->name = xstrdup(name);
	src->db = db;
	src->next_number = 1;
	src->created_ms = d->created_ms;
	d->sources = xrealloc(d->sources, (d->n_sources + 1) * sizeof(*d->sources));
	d->sources[d->n_sources++] = fake.n_sources;
	return fake.n_sources++;
}

static struct fake_row *push_row(size_t s)
{
	struct fake_source *src = &fake.sources[s];
	struct fake_row *row;

	src->rows = xgrow(src->rows, &src->cap_rows, src->n_rows + 1, sizeof(*src->rows));
	row = &src->rows[src->n_rows];
	memset(row, 0, sizeof(*row));
	return row;
}

void data_touch(size_t s)
{
	fake.sources[s].order_valid[0] = fake.sources[s].order_valid[1] = 0;
}

static void index_row(size_t s)
{
	data_touch(s);
	if ((fake.map_used + 1) * 2 > fake.map_cap)
		map_grow();
	map_put(((uint64_t)s << 32 | (fake.sources[s].n_rows - 1)) + 1);
}

/*
 * Timestamps: rows are created over the past 30 days in bursts of three
 * that share a minute; 60% were edited later, at minutes snapped to a
 * seven-minute grid so that edits share minutes too. All minute-rounded.
 */
void data_generate(size_t s, uint32_t n, uint64_t seed)
{
	struct fake_source *src = &fake.sources[s];
	int64_t now_min = round_minute(fake_now_ms()) / 60000;
	int64_t span = 30LL * 24 * 60, start = now_min - span;
	uint64_t bursts = n ? (n + 2) / 3 : 1;
	uint64_t src_salt = mix64((uint64_t)s * 7919 + 17);

	src->seed = seed;
	src->rows = xrealloc(src->rows, (src->n_rows + n) * sizeof(*src->rows));
	src->cap_rows = src->n_rows + n;
	if (fake.map_cap < (fake.map_used + n) * 2) {
		size_t want = fake.map_cap ? fake.map_cap : 1024;
		uint64_t *old = fake.map;
		size_t old_cap = fake.map_cap;

		while (want < (fake.map_used + n) * 2)
			want *= 2;
		fake.map = xcalloc(want, sizeof(*fake.map));
		fake.map_cap = want;
		fake.map_used = 0;
		for (size_t i = 0; i < old_cap; i++)
			if (old[i])
				map_put(old[i]);
		free(old);
	}
	for (uint32_t i = 0; i < n; i++) {
		struct fake_row *row = push_row(s);
		struct rng r;
		int64_t created = start + (int64_t)((uint64_t)(i / 3) * (uint64_t)span / bursts);
		int64_t edited = created;

		rng_seed(&r, seed, src_salt, i);
		id_from_rng(&r, row->id);
		if (rng_chance(&r, 60)) {
			edited =
				created + (int64_t)rng_below(&r, (uint32_t)(now_min - created + 1));
			edited -= edited % 7;
			if (edited < created)
				edited = created;
		}
		row->created_ms = created * 60000;
		row->edited_ms = edited * 60000;
		row->gen_index = i;
		row->creator = (uint16_t)rng_below(&r, (uint32_t)fake.n_users);
		row->editor = rng_chance(&r, 50) ? row->creator
						 : (uint16_t)rng_below(&r, (uint32_t)fake.n_users);
		row->flags = ROW_GENERATED;
		src->n_rows++;
		map_put(((uint64_t)s << 32 | (src->n_rows - 1)) + 1);
	}
	src->n_generated = n;
	src->next_number = n + 1;
}

long data_add_row(size_t s, const char *id, int64_t created_ms, int64_t edited_ms, struct buf *err)
{
	struct fake_source *src = &fake.sources[s];
	struct fake_row *row;
	uint8_t bin[16];

	if (id) {
		if (id_parse(id, bin) < 0) {
			buf_addf(err, "row id '%s' is not a Notion id (32 hex digits)", id);
			return -1;
		}
		if (id_taken(bin)) {
			buf_addf(err, "row id '%s' is already used", id);
			return -1;
		}
	} else {
		char fresh[ID_DASHED_LEN + 1];

		do {
			id_new_uuid(fresh);
			id_parse(fresh, bin);
		} while (id_taken(bin));
	}
	row = push_row(s);
	memcpy(row->id, bin, 16);
	row->created_ms = round_minute(created_ms);
	row->edited_ms = round_minute(edited_ms < created_ms ? created_ms : edited_ms);
	row->gen_index = src->next_number++ - 1;
	row->creator = row->editor = 0;
	src->n_rows++;
	index_row(s);
	return (long)(src->n_rows - 1);
}

/* ---- fixtures ---- */

static int fixture_schema(struct fake_source *src, json_t *props, const char *where,
			  struct buf *err)
{
	const char *name;
	json_t *def;
	int titles = 0;

	if (!json_is_object(props)) {
		buf_addf(err, "%s.properties: expected an object of name → type", where);
		return -1;
	}
	json_object_foreach(props, name, def)
	{
		const char *tname = json_is_string(def)
					    ? json_string_value(def)
					    : json_string_value(json_object_get(def, "type"));
		enum prop_type t;
		struct fake_prop *p;
		json_t *opts, *o;
		size_t i;
		char idbuf[16];
		const char *id;

		if (!tname || prop_type_parse(tname, &t) < 0 || t == PT_CREATED_BY ||
		    t == PT_LAST_EDITED_BY) {
			buf_addf(err, "%s.properties.%s: unknown or unsupported type '%s'", where,
				 name, tname ? tname : "(missing)");
			return -1;
		}
		if (t == PT_TITLE)
			titles++;
		id = json_string_value(json_object_get(def, "id"));
		if (t == PT_TITLE) {
			id = "title";
		} else if (!id) {
			/* a short stable id from the name, like Notion's 4-char ids */
			static const char cs[] =
				"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
			uint64_t h = mix64(0x70726f70);
			for (const char *c = name; *c; c++)
				h = mix64(h ^ (unsigned char)*c);
			for (i = 0; i < 4; i++)
				idbuf[i] = cs[(h >> (8 * i)) % (sizeof(cs) - 1)];
			idbuf[4] = '\0';
			id = idbuf;
		}
		p = add_prop(src, name, id, t);
		opts = json_object_get(def, "options");
		json_array_foreach(opts, i, o)
		{
			if (json_is_string(o)) {
				p->options =
					xrealloc(p->options, (p->n_options + 1) * sizeof(char *));
				p->options[p->n_options++] = xstrdup(json_string_value(o));
			}
		}
		if (t == PT_UNIQUE_ID)
			p->prefix = xstrdup(json_string_value(json_object_get(def, "prefix")));
	}
	if (titles != 1) {
		buf_addf(err,
			 "%s.properties: a data source needs exactly one title property (has %d)",
			 where, titles);
		return -1;
	}
	return 0;
}

static int fixture_time(json_t *row, const char *key, int64_t dflt, int64_t *out, const char *where,
			struct buf *err)
{
	json_t *v = json_object_get(row, key);

	*out = dflt;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || time_parse_iso(json_string_value(v), out) < 0) {
		buf_addf(err, "%s.%s: expected an ISO 8601 time", where, key);
		return -1;
	}
	return 0;
}

static int fixture_rows(size_t s, json_t *rows, const char *where, struct buf *err)
{
	size_t i;
	json_t *jr;
	char at[400];

	if (!json_is_array(rows)) {
		buf_addf(err, "%s.rows: expected an array", where);
		return -1;
	}
	json_array_foreach(rows, i, jr)
	{
		int64_t now = fake_now_ms(), created, edited;
		json_t *set = json_object_get(jr, "set");
		const char *key;
		json_t *v;
		long r;

		snprintf(at, sizeof(at), "%s.rows[%zu]", where, i);
		if (!json_is_object(jr)) {
			buf_addf(err, "%s: expected an object", at);
			return -1;
		}
		if (fixture_time(jr, "created_time", now, &created, at, err) < 0 ||
		    fixture_time(jr, "last_edited_time", created, &edited, at, err) < 0)
			return -1;
		if (set && !json_is_object(set)) {
			buf_addf(err, "%s.set: expected an object of property values", at);
			return -1;
		}
		json_object_foreach(set, key, v)
		{
			const struct fake_prop *p = data_prop_by_name(&fake.sources[s], key);

			if (!p) {
				buf_addf(err, "%s.set: no property named '%s'", at, key);
				return -1;
			}
			if (data_check_value(p, v, err) < 0) {
				buf_addf(err, " (at %s)", at);
				return -1;
			}
		}
		r = data_add_row(s, json_string_value(json_object_get(jr, "id")), created, edited,
				 err);
		if (r < 0) {
			buf_addf(err, " (at %s)", at);
			return -1;
		}
		if (set)
			fake.sources[s].rows[r].set = json_deep_copy(set);
		if (json_is_true(json_object_get(jr, "in_trash")))
			fake.sources[s].rows[r].flags |= ROW_TRASHED;
	}
	return 0;
}

static int fixture_source(size_t db, json_t *js, const char *where, struct buf *err)
{
	const char *id = json_string_value(json_object_get(js, "id"));
	const char *name = json_string_value(json_object_get(js, "name"));
	json_t *gen = json_object_get(js, "generate"), *props = json_object_get(js, "properties");
	char norm[ID_DASHED_LEN + 1];
	size_t s;

	if (!id || id_normalize(id, norm) < 0) {
		buf_addf(err, "%s.id: expected a Notion id (32 hex digits)", where);
		return -1;
	}
	if (data_find_source(norm) >= 0 || data_find_db(norm) >= 0) {
		buf_addf(err, "%s.id: %s is used twice", where, norm);
		return -1;
	}
	s = data_add_source(db, norm, name ? name : "Untitled");
	if (props) {
		if (fixture_schema(&fake.sources[s], props, where, err) < 0)
			return -1;
	} else {
		data_standard_schema(&fake.sources[s]);
	}
	if (gen) {
		json_t *n = json_object_get(gen, "rows"), *seed = json_object_get(gen, "seed");

		if (!json_is_integer(n) || json_integer_value(n) < 0 ||
		    json_integer_value(n) > 10000000 || (seed && !json_is_integer(seed))) {
			buf_addf(err,
				 "%s.generate: expected {\"rows\": N (0..10000000), \"seed\": S}",
				 where);
			return -1;
		}
		data_generate(s, (uint32_t)json_integer_value(n),
			      seed ? (uint64_t)json_integer_value(seed) : 1);
	}
	if (json_object_get(js, "rows") &&
	    fixture_rows(s, json_object_get(js, "rows"), where, err) < 0)
		return -1;
	return 0;
}

int data_load_fixture(const char *path, struct buf *err)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr), *dbs, *jdb;
	size_t i;
	int ret = -1;

	if (!root) {
		buf_addf(err, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
		return -1;
	}
	dbs = json_object_get(root, "databases");
	if (!json_is_array(dbs) || !json_array_size(dbs)) {
		buf_addf(err, "%s: expected {\"databases\": [ ... ]} with at least one database",
			 path);
		goto out;
	}
	json_array_foreach(dbs, i, jdb)
	{
		const char *id = json_string_value(json_object_get(jdb, "id"));
		const char *title = json_string_value(json_object_get(jdb, "title"));
		json_t *srcs = json_object_get(jdb, "data_sources"), *js;
		char where[128], norm[ID_DASHED_LEN + 1];
		size_t db, k;

		snprintf(where, sizeof(where), "databases[%zu]", i);
		if (!id || id_normalize(id, norm) < 0) {
			buf_addf(err, "%s: %s.id: expected a Notion id (32 hex digits)", path,
				 where);
			goto out;
		}
		if (data_find_db(norm) >= 0 || data_find_source(norm) >= 0) {
			buf_addf(err, "%s: %s.id: %s is used twice", path, where, norm);
			goto out;
		}
		if (!json_is_array(srcs) || !json_array_size(srcs)) {
			buf_addf(err, "%s: %s.data_sources: expected a non-empty array", path,
				 where);
			goto out;
		}
		db = data_add_db(norm, title ? title : "Untitled");
		json_array_foreach(srcs, k, js)
		{
			char swhere[320];

			snprintf(swhere, sizeof(swhere), "%s.data_sources[%zu]", where, k);
			if (fixture_source(db, js, swhere, err) < 0) {
				char *msg = buf_detach(err);
				buf_addf(err, "%s: %s", path, msg);
				free(msg);
				goto out;
			}
		}
	}
	ret = 0;
out:
	json_decref(root);
	return ret;
}

void data_free(void)
{
	for (size_t s = 0; s < fake.n_sources; s++) {
		struct fake_source *src = &fake.sources[s];

		for (size_t r = 0; r < src->n_rows; r++)
			json_decref(src->rows[r].set);
		for (size_t p = 0; p < src->n_props; p++) {
			for (size_t o = 0; o < src->props[p].n_options; o++)
				free(src->props[p].options[o]);
			free(src->props[p].options);
			free(src->props[p].name);
			free(src->props[p].id);
			free(src->props[p].id_raw);
			free(src->props[p].prefix);
		}
		free(src->props);
		free(src->rows);
		free(src->order[0]);
		free(src->order[1]);
		free(src->name);
	}
	for (size_t d = 0; d < fake.n_dbs; d++) {
		free(fake.dbs[d].title);
		free(fake.dbs[d].token);
		free(fake.dbs[d].sources);
	}
	free(fake.sources);
	free(fake.dbs);
	free(fake.users);
	free(fake.map);
	fake.sources = NULL;
	fake.dbs = NULL;
	fake.users = NULL;
	fake.map = NULL;
	fake.n_sources = fake.n_dbs = fake.n_users = fake.map_cap = fake.map_used = 0;
}

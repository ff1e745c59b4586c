/*
 * store_search.c: the full-text index (FTS5 table task_search) and the
 * search query language.
 *
 * The index holds one row per task (rowid = tasks.seq) with three columns,
 * weighted by bm25 in that order: title, description, and "other": every
 * other text a task carries (tags, category, assignee, resolution, and the
 * text-bearing Notion properties of metadata.notionProperties: select,
 * status and multi_select option names, people names and emails, rich text,
 * url, email, phone, formula strings, file names). It covers the current
 * state of every task, deleted ones included (filters decide).
 *
 * The store keeps it in step itself, once per task write and in the same
 * transaction (store_search_put), instead of by triggers: a write that
 * leaves the indexed text unchanged (a date, a number, a checkbox, Notion's
 * edit time) costs one indexed lookup and no index write, and the index
 * can never be stale after a commit because it commits with the row.
 *
 * Ranking is BM25 without length normalisation (nv_rank below; why there).
 *
 * The query language (docs/cli-tasks.md "Search"): words are ANDed;
 * "a phrase" in double quotes; OR between two terms; NOT between two terms
 * (a NOT b: a without b); a trailing * makes a word (or the last word of a
 * phrase) a prefix. Only upper-case OR / AND / NOT are operators. The user
 * text is parsed here and rebuilt as an FTS5 query in which every term is a
 * quoted string, so no user text can be an FTS5 syntax error: a stray quote
 * opens a phrase that runs to the end, and a misplaced operator is an
 * error naming the query and what is wrong.
 */
#include "store/store_int.h"

#include <math.h>
#include <sqlite3.h> /* the SQL functions registered on SQLite */
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/xalloc.h"

/* ---- the indexed text ------------------------------------------------------- */

/* A small set of borrowed strings, to index each distinct text once. */
struct text_set {
	const char **items;
	size_t n, cap;
};

static void text_add(struct text_set *set, struct buf *out, const char *s, const struct task *t)
{
	if (!s || !*s)
		return;
	/* the title and description have their own columns */
	if ((t->title && !strcmp(s, t->title)) || (t->description && !strcmp(s, t->description)))
		return;
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->items[i], s))
			return;
	set->items = xgrow(set->items, &set->cap, set->n + 1, sizeof(*set->items));
	set->items[set->n++] = s;
	if (out->len)
		buf_addch(out, '\n');
	buf_adds(out, s);
}

static void text_add_json(struct text_set *set, struct buf *out, const json_t *v,
			  const struct task *t)
{
	if (json_is_string(v))
		text_add(set, out, json_string_value(v), t);
}

/* A person (people, created_by): name and email. */
static void text_add_person(struct text_set *set, struct buf *out, const json_t *p,
			    const struct task *t)
{
	if (json_is_string(p)) {
		text_add(set, out, json_string_value(p), t);
		return;
	}
	text_add_json(set, out, json_object_get(p, "name"), t);
	text_add_json(set, out, json_object_get(p, "email"), t);
}

/* The text of one normalised Notion property {"type", "value"} (see mapper.c). */
static void text_add_property(struct text_set *set, struct buf *out, const json_t *prop,
			      const struct task *t)
{
	const char *type = json_string_value(json_object_get(prop, "type"));
	const json_t *value = json_object_get(prop, "value"), *item;
	size_t i;

	if (!type || !value)
		return;
	if (!strcmp(type, "rich_text") || !strcmp(type, "select") || !strcmp(type, "status") ||
	    !strcmp(type, "url") || !strcmp(type, "email") || !strcmp(type, "phone_number")) {
		text_add_json(set, out, value, t);
	} else if (!strcmp(type, "multi_select") && json_is_array(value)) {
		json_array_foreach(value, i, item) text_add_json(set, out, item, t);
	} else if (!strcmp(type, "people") && json_is_array(value)) {
		json_array_foreach(value, i, item) text_add_person(set, out, item, t);
	} else if (!strcmp(type, "created_by")) {
		text_add_person(set, out, value, t);
	} else if (!strcmp(type, "files") && json_is_array(value)) {
		json_array_foreach(value, i, item)
			text_add_json(set, out, json_object_get(item, "name"), t);
	} else if (!strcmp(type, "formula")) {
		const char *ft = json_string_value(json_object_get(value, "type"));
		if (ft && !strcmp(ft, "string"))
			text_add_json(set, out, json_object_get(value, "string"), t);
	}
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *store_search_other_text(const struct task *t)
{
	struct text_set set = {0};
	struct buf out = BUF_INIT;
	const json_t *props, *v;
	const char *name;
	size_t i, n;

	json_array_foreach(t->tags, i, v) text_add_json(&set, &out, v, t);
	text_add(&set, &out, t->category, t);
	text_add(&set, &out, t->assignee, t);
	text_add(&set, &out, t->resolution, t);
	/*
	 * In name order: the text must not depend on the order the object was
	 * built in (a synced row's, or the sorted one read back from the store)
	 */
	props = json_object_get(t->metadata, "notionProperties");
	if (json_is_object(props) && (n = json_object_size(props))) {
		const char **names = xcalloc(n, sizeof(*names));
		size_t k = 0;
		json_object_foreach((json_t *)props, name, v) names[k++] = name;
		qsort(names, k, sizeof(*names), cmp_name);
		for (size_t j = 0; j < k; j++)
			text_add_property(&set, &out, json_object_get(props, names[j]), t);
		free(names);
	}
	free(set.items);
	return buf_detach(&out);
}

/* ---- keeping the index in step ------------------------------------------------ */

static int text_differs(struct db_stmt *st, int col, const char *want)
{
	const char *have = (const char *)db_column_text(st, col);

	return strcmp(have ? have : "", want ? want : "") != 0;
}

int store_search_put(struct store *s, int64_t seq, const struct task *t, struct nv_err *err)
{
	char *other = store_search_other_text(t);
	struct db_stmt *st;
	int rc, same = 0;

	/* unchanged text: no index write at all */
	if (!(st = store_stmt(s, ST_SEARCH_GET, err))) {
		rc = err ? err->code : NV_EIO;
		goto out;
	}
	db_bind_int64(st, 1, seq);
	rc = db_step(st);
	if (rc == DB_ROW)
		same = !text_differs(st, 0, t->title) && !text_differs(st, 1, t->description) &&
		       !text_differs(st, 2, other);
	stmt_done(st);
	if (rc != DB_ROW && rc != DB_DONE) {
		rc = store_sql_error(s, rc, err, "reading the search index");
		goto out;
	}
	rc = NV_OK;
	if (same)
		goto out;
	if (!(st = store_stmt(s, ST_SEARCH_DELETE, err))) {
		rc = err ? err->code : NV_EIO;
		goto out;
	}
	db_bind_int64(st, 1, seq);
	rc = db_step(st);
	stmt_done(st);
	if (rc != DB_DONE) {
		rc = store_sql_error(s, rc, err, "updating the search index");
		goto out;
	}
	if (!(st = store_stmt(s, ST_SEARCH_INSERT, err))) {
		rc = err ? err->code : NV_EIO;
		goto out;
	}
	db_bind_int64(st, 1, seq);
	bind_text(st, 2, t->title);
	bind_text(st, 3, t->description);
	bind_text(st, 4, other);
	rc = db_step(st);
	stmt_done(st);
	rc = rc == DB_DONE ? NV_OK : store_sql_error(s, rc, err, "updating the search index");
out:
	free(other);
	return rc;
}

/* ---- ranking ------------------------------------------------------------------ */

/*
 * nv_rank(task_search, w_title, w_description, w_other[, counter]): Okapi BM25 with
 * per-column weights (as FTS5's bm25(), and like it negative: lower is
 * better), with the length normalisation left out (b = 0). FTS5's bm25()
 * reads every matching row's column sizes from a table of its own, one
 * B-tree lookup per match; for a word in a fifth of 100,000 tasks that is
 * most of a search. Without it a row's score needs only its position
 * lists, which the match already decoded. The weights do what length
 * normalisation would do for titles: a word in the short title outweighs
 * the same word in a long description.
 */
#define RANK_K1 1.2
#define RANK_MAX_COLUMNS 8

struct rank_data {
	int phrases;
	double *idf;
	double *freq; /* per phrase, for the row being scored */
};

static void rank_data_free(void *p)
{
	struct rank_data *d = p;

	if (!d)
		return;
	free(d->idf);
	free(d->freq);
	free(d);
}

static int count_row(const Fts5ExtensionApi *api, Fts5Context *fts, void *ud)
{
	(void)api;
	(void)fts;
	(*(int64_t *)ud)++;
	return SQLITE_OK;
}

/* The query's phrases and their inverse document frequencies, once per query. */
static struct rank_data *rank_data_get(const Fts5ExtensionApi *api, Fts5Context *fts, int *rc)
{
	struct rank_data *d = api->xGetAuxdata(fts, 0);
	sqlite3_int64 rows = 0;

	if (d)
		return d;
	d = xcalloc(1, sizeof(*d));
	d->phrases = api->xPhraseCount(fts);
	d->idf = xcalloc((size_t)d->phrases + 1, sizeof(*d->idf));
	d->freq = xcalloc((size_t)d->phrases + 1, sizeof(*d->freq));
	if ((*rc = api->xRowCount(fts, &rows)) != SQLITE_OK)
		goto fail;
	/* one phrase: its idf scales every score alike, so the order needs no count pass */
	for (int i = 0; i < d->phrases && d->phrases == 1; i++)
		d->idf[i] = 1.0;
	for (int i = 0; i < d->phrases && d->phrases > 1; i++) {
		int64_t hits = 0;
		double idf;
		if ((*rc = api->xQueryPhrase(fts, i, &hits, count_row)) != SQLITE_OK)
			goto fail;
		/* as FTS5's bm25: never negative for a very common phrase */
		idf = log(((double)rows - (double)hits + 0.5) / ((double)hits + 0.5));
		d->idf[i] = idf > 1e-6 ? idf : 1e-6;
	}
	if ((*rc = api->xSetAuxdata(fts, d, rank_data_free)) != SQLITE_OK)
		return NULL; /* xSetAuxdata freed d */
	return d;
fail:
	rank_data_free(d);
	return NULL;
}

static void rank_fn(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int nval,
		    sqlite3_value **val)
{
	double weight[RANK_MAX_COLUMNS], score = 0;
	int64_t *counter;
	struct rank_data *d;
	int rc = SQLITE_OK, n = 0, columns = api->xColumnCount(fts);

	if (!(d = rank_data_get(api, fts, &rc))) {
		sqlite3_result_error_code(ctx, rc);
		return;
	}
	for (int c = 0; c < RANK_MAX_COLUMNS; c++)
		weight[c] = c < nval && c < columns ? sqlite3_value_double(val[c]) : 1.0;
	/* an optional last argument counts the rows ranked: a search's total, in one pass */
	if (nval > columns && (counter = sqlite3_value_pointer(val[columns], RANK_COUNTER)))
		(*counter)++;
	memset(d->freq, 0, (size_t)d->phrases * sizeof(*d->freq));
	if ((rc = api->xInstCount(fts, &n)) != SQLITE_OK) {
		sqlite3_result_error_code(ctx, rc);
		return;
	}
	for (int i = 0; i < n; i++) {
		int phrase, column, offset;
		if ((rc = api->xInst(fts, i, &phrase, &column, &offset)) != SQLITE_OK) {
			sqlite3_result_error_code(ctx, rc);
			return;
		}
		if (phrase >= 0 && phrase < d->phrases && column >= 0 && column < RANK_MAX_COLUMNS)
			d->freq[phrase] += weight[column];
	}
	for (int i = 0; i < d->phrases; i++)
		score += d->idf[i] * d->freq[i] * (RANK_K1 + 1.0) / (d->freq[i] + RANK_K1);
	sqlite3_result_double(ctx, -score);
}

/* The FTS5 API of the connection, or NULL (FTS5 missing). */
static fts5_api *fts5_api_of(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	return api;
}

/*
 * nv_search_other(title, description, category, assignee, resolution, tags,
 * metadata): store_search_other_text() of a tasks row, for the migration
 * that builds the index in SQL.
 */
static void sql_search_other(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct task t;
	char *text;

	(void)argc;
	task_init(&t);
	t.title = (char *)sqlite3_value_text(argv[0]);
	t.description = (char *)sqlite3_value_text(argv[1]);
	t.category = (char *)sqlite3_value_text(argv[2]);
	t.assignee = (char *)sqlite3_value_text(argv[3]);
	t.resolution = (char *)sqlite3_value_text(argv[4]);
	if (sqlite3_value_text(argv[5]))
		t.tags = json_loads((const char *)sqlite3_value_text(argv[5]), 0, NULL);
	if (sqlite3_value_text(argv[6]))
		t.metadata = json_loads((const char *)sqlite3_value_text(argv[6]), 0, NULL);
	text = store_search_other_text(&t);
	sqlite3_result_text(ctx, text, -1, free);
	json_decref(t.tags);
	json_decref(t.metadata);
}

int store_search_register(struct store *s, struct nv_err *err)
{
	int rc = sqlite3_create_function(db_sqlite_handle(s->db), "nv_search_other", 7,
					 SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_search_other,
					 NULL, NULL);
	fts5_api *fts5;

	if (rc != SQLITE_OK)
		return store_sql_error(s, rc, err, "registering functions");
	if ((rc = store_query_register(s, err)))
		return rc;
	if (!(fts5 = fts5_api_of(db_sqlite_handle(s->db))) || fts5->iVersion < 2)
		return nv_err_set(err, NV_ESCHEMA,
				  "this SQLite has no full-text search (FTS5); nvault needs it");
	rc = fts5->xCreateFunction(fts5, "nv_rank", NULL, rank_fn, NULL);
	return rc == SQLITE_OK ? NV_OK : store_sql_error(s, rc, err, "registering functions");
}

/* ---- the query language --------------------------------------------------------- */

enum qkind { Q_TERM, Q_AND, Q_OR, Q_NOT };

/* Does text[0..len) hold anything the tokenizer keeps (a letter, digit or non-ASCII)? */
static int has_token(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
			return 1;
	}
	return 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Appends text[0..len) as an FTS5 string, quotes doubled. */
static void add_quoted(struct buf *q, const char *text, size_t len, int prefix)
{
	buf_addch(q, '"');
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '"')
			buf_addch(q, '"');
		buf_addch(q, text[i]);
	}
	buf_addch(q, '"');
	if (prefix)
		buf_addch(q, '*');
}

static const char *const qkind_names[] = {"", "AND", "OR", "NOT"};

static int query_error(struct nv_err *err, const char *text, enum qkind op, const char *what)
{
	return nv_err_set(err, NV_EINVAL,
			  "search query '%.200s': %s %s (put it in double quotes to search for "
			  "the word itself)",
			  text, qkind_names[op], what);
}

int store_search_query(const char *text, char **out, struct nv_err *err)
{
	struct buf q = BUF_INIT;
	const char *p = text ? text : "";
	enum qkind prev = Q_OR; /* "an operator came last": nothing may start with one */
	int terms = 0, rc = NV_OK;

	*out = NULL;
	while (*p) {
		const char *start;
		size_t len;
		int prefix = 0;
		enum qkind kind = Q_TERM;

		while (is_space(*p))
			p++;
		if (!*p)
			break;
		if (*p == '"') {
			/* a phrase; an unterminated one runs to the end, literally */
			start = ++p;
			while (*p && *p != '"')
				p++;
			len = (size_t)(p - start);
			if (*p == '"')
				p++;
			while (*p == '*') {
				prefix = 1;
				p++;
			}
		} else {
			start = p;
			while (*p && !is_space(*p) && *p != '"')
				p++;
			len = (size_t)(p - start);
			if (len == 2 && !strncmp(start, "OR", 2))
				kind = Q_OR;
			else if (len == 3 && !strncmp(start, "AND", 3))
				kind = Q_AND;
			else if (len == 3 && !strncmp(start, "NOT", 3))
				kind = Q_NOT;
			while (kind == Q_TERM && len && start[len - 1] == '*') {
				prefix = 1;
				len--;
			}
		}
		if (kind != Q_TERM) {
			if (prev != Q_TERM) {
				rc = query_error(err, text, kind,
						 terms ? "follows another operator"
						       : "needs a search term before it");
				goto out;
			}
			buf_addf(&q, " %s", qkind_names[kind]);
			prev = kind;
			continue;
		}
		/* a term the tokenizer would reduce to nothing ("-", "*") is left out */
		if (!has_token(start, len))
			continue;
		if (q.len)
			buf_addch(&q, ' ');
		add_quoted(&q, start, len, prefix);
		terms++;
		prev = Q_TERM;
	}
	if (terms && prev != Q_TERM) {
		rc = query_error(err, text, prev, "needs a search term after it");
		goto out;
	}
	if (terms)
		*out = buf_detach(&q);
out:
	buf_release(&q);
	return rc;
}

/*
 * store_content.c: compact version storage. A version used to keep the
 * whole metadata JSON (Notion's properties, ~2 KB) and its description
 * even when one field changed; now both are stored once per distinct
 * content in the append-only `contents` table (key: SHA-256 of the bytes),
 * shared across versions and tasks, and a version keeps a small reference
 * (a "pack", an SQLite BLOB) in their place:
 *
 *   description: 0x01, varint content id           (the text)
 *   metadata:    0x02, varint n, then n members of the top-level object,
 *                each 0x00, varint id               ("key":value text)
 *                or   0x01, varint key id, varint m, m varint ids
 *                     (an object-valued member split into its m members,
 *                      e.g. notionProperties: one content per property)
 *
 * Member texts are the compact, sorted-key JSON of one member, so one
 * property value ("Status":{"id":..,"type":"status","value":"Done"}) is one
 * row however many versions and tasks have it, and a one-field edit adds
 * the new member and a pack of ~20 varints. Short texts stay inline (TEXT),
 * as do rows written before schema 5 until the migration has packed them:
 * a column is packed exactly when it is a BLOB, so both forms read back.
 *
 * Reads go through the SQL function nv_content(x) (registered per
 * connection): TEXT and NULL pass through, a pack becomes the text it
 * stands for (for metadata, JSON that parses to the same value, so content
 * and chain hashes are unchanged). Two per-connection caches save lookups:
 * hash -> id for writes, id -> text for reads; both are dropped when a
 * transaction rolls back, since ids it inserted no longer exist.
 */
#include "store/store_int.h"

#include <sqlite3.h> /* the SQL functions registered on SQLite */
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/hash.h"
#include "util/nv_assert.h"
#include "util/xalloc.h"

#define PACK_TEXT 0x01
#define PACK_OBJECT 0x02
#define MEMBER_WHOLE 0x00
#define MEMBER_SPLIT 0x01

/* Descriptions shorter than this stay inline: a reference would not be smaller. */
#define CONTENT_MIN 48
#define CACHE_SLOTS 4096 /* a power of two */
/* Texts longer than this are not kept in the read cache. */
#define CACHE_MAX_TEXT 4096

struct write_slot {
	unsigned char hash[HASH_LEN];
	int64_t id; /* 0: empty */
};

struct read_slot {
	int64_t id; /* 0: empty */
	char *text;
	size_t len;
};

struct content_cache {
	struct write_slot w[CACHE_SLOTS];
	struct read_slot r[CACHE_SLOTS];
};

void content_cache_clear(struct store *s)
{
	if (!s->cc)
		return;
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		free(s->cc->r[i].text);
	memset(s->cc, 0, sizeof(*s->cc));
}

void content_cache_free(struct store *s)
{
	content_cache_clear(s);
	free(s->cc);
	s->cc = NULL;
}

static struct content_cache *cache_of(struct store *s)
{
	if (!s->cc)
		s->cc = xcalloc(1, sizeof(*s->cc));
	return s->cc;
}

/* ---- varints ---------------------------------------------------------------- */

static void put_varint(struct buf *b, uint64_t v)
{
	do {
		unsigned char c = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v)
			c |= 0x80;
		buf_add(b, &c, 1);
	} while (v);
}

/* Reads a varint at *p (< end); -1 when truncated or too long. */
static int get_varint(const unsigned char **p, const unsigned char *end, uint64_t *out)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return -1;
		unsigned char c = *(*p)++;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

/* ---- contents: put and get -------------------------------------------------- */

/*
 * The id of the content with these bytes, inserted when new. The write
 * cache is keyed by the hash; a hit is an id this connection saw committed
 * or inserted in the open transaction.
 */
static int content_put(struct store *s, const char *bytes, size_t len, int64_t *id,
		       struct nv_err *err)
{
	struct content_cache *cc = cache_of(s);
	unsigned char hash[HASH_LEN];
	struct write_slot *slot;
	struct db_stmt *st;
	uint32_t h;
	int rc;

	hash_sha256(bytes, len, hash);
	memcpy(&h, hash, sizeof(h));
	slot = &cc->w[h & (CACHE_SLOTS - 1)];
	if (slot->id && !memcmp(slot->hash, hash, HASH_LEN)) {
		*id = slot->id;
		return NV_OK;
	}
	if (!(st = store_stmt(s, ST_CONTENT_FIND, err)))
		return err ? err->code : NV_EIO;
	db_bind_blob(st, 1, hash, HASH_LEN);
	rc = db_step(st);
	*id = rc == DB_ROW ? db_column_int64(st, 0) : 0;
	stmt_done(st);
	if (rc != DB_ROW && rc != DB_DONE)
		return store_sql_error(s, rc, err, "looking up a stored content");
	if (rc == DB_DONE) {
		if (!(st = store_stmt(s, ST_CONTENT_INSERT, err)))
			return err ? err->code : NV_EIO;
		db_bind_blob(st, 1, hash, HASH_LEN);
		db_bind_text(st, 2, bytes, (int)len);
		rc = db_step(st);
		stmt_done(st);
		if (rc != DB_DONE)
			return store_sql_error(s, rc, err, "storing a content");
		*id = db_last_insert_id(s->db);
	}
	NV_ASSERT(*id > 0);
	memcpy(slot->hash, hash, HASH_LEN);
	slot->id = *id;
	return NV_OK;
}

/*
 * Appends the text of content id to out. Returns 0, or -1 when there is no
 * such content (a damaged store: the caller reads the column as absent, and
 * verify reports the version's hash).
 */
static int content_get(struct store *s, int64_t id, struct buf *out)
{
	struct content_cache *cc = cache_of(s);
	struct read_slot *slot = &cc->r[(uint64_t)id & (CACHE_SLOTS - 1)];
	struct db_stmt *st;
	const void *text;
	int n, rc;

	if (slot->id == id && id > 0) {
		buf_add(out, slot->text, slot->len);
		return 0;
	}
	if (!(st = store_stmt(s, ST_CONTENT_GET, NULL)))
		return -1;
	db_bind_int64(st, 1, id);
	rc = db_step(st);
	if (rc != DB_ROW) {
		stmt_done(st);
		return -1;
	}
	text = db_column_blob(st, 0);
	n = db_column_bytes(st, 0);
	buf_add(out, text ? text : "", (size_t)n);
	if ((size_t)n <= CACHE_MAX_TEXT) {
		free(slot->text);
		slot->text = xmalloc((size_t)n + 1);
		memcpy(slot->text, text ? text : "", (size_t)n);
		slot->text[n] = '\0';
		slot->len = (size_t)n;
		slot->id = id;
	}
	stmt_done(st);
	return 0;
}

/* ---- packing -------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of object o, sorted (borrowed strings, array freed by the caller). */
static const char **sorted_keys(const json_t *o, size_t *n)
{
	const char **keys = xcalloc(json_object_size(o) + 1, sizeof(*keys));
	const char *k;
	json_t *v;

	*n = 0;
	json_object_foreach((json_t *)o, k, v) keys[(*n)++] = k;
	qsort(keys, *n, sizeof(*keys), cmp_str);
	return keys;
}

/* Stores the compact text `"key":value` and appends its id to pack. */
static int put_member(struct store *s, const char *key, json_t *value, struct buf *pack,
		      struct nv_err *err)
{
	json_t *one = json_object();
	char *text;
	int64_t id;
	size_t len;
	int rc;

	json_object_set(one, key, value);
	text = json_canonical(one);
	json_decref(one);
	len = strlen(text);
	NV_ASSERT(len >= 2 && text[0] == '{' && text[len - 1] == '}');
	rc = content_put(s, text + 1, len - 2, &id, err);
	free(text);
	if (!rc)
		put_varint(pack, (uint64_t)id);
	return rc;
}

/* Packs a metadata object (see the top of the file). */
static int pack_object(struct store *s, const json_t *o, struct buf *pack, struct nv_err *err)
{
	size_t n, m;
	const char **keys = sorted_keys(o, &n);
	int rc = NV_OK;

	buf_addch(pack, PACK_OBJECT);
	put_varint(pack, n);
	for (size_t i = 0; i < n && !rc; i++) {
		json_t *v = json_object_get(o, keys[i]);
		if (json_is_object(v) && json_object_size(v) > 0) {
			const char **sub = sorted_keys(v, &m);
			json_t *k = json_string(keys[i]);
			char *ktext = json_canonical(k);
			int64_t id;

			json_decref(k);
			buf_addch(pack, MEMBER_SPLIT);
			rc = content_put(s, ktext, strlen(ktext), &id, err);
			free(ktext);
			if (!rc) {
				put_varint(pack, (uint64_t)id);
				put_varint(pack, m);
			}
			for (size_t j = 0; j < m && !rc; j++)
				rc = put_member(s, sub[j], json_object_get(v, sub[j]), pack, err);
			free(sub);
		} else {
			buf_addch(pack, MEMBER_WHOLE);
			rc = put_member(s, keys[i], v, pack, err);
		}
	}
	free(keys);
	return rc;
}

/* Binds description and metadata, packed when that is smaller. */
int content_bind_packed(struct store *s, struct db_stmt *st, int desc_idx, int meta_idx,
			const struct task *t, struct nv_err *err)
{
	struct buf pack = BUF_INIT;
	int64_t id;
	int rc;

	if (t->description && strlen(t->description) >= CONTENT_MIN) {
		if ((rc = content_put(s, t->description, strlen(t->description), &id, err)))
			goto out;
		buf_addch(&pack, PACK_TEXT);
		put_varint(&pack, (uint64_t)id);
		db_bind_blob(st, desc_idx, pack.data, (int)pack.len);
		buf_reset(&pack);
	}
	if (json_is_object(t->metadata) && json_object_size(t->metadata) > 0) {
		if ((rc = pack_object(s, t->metadata, &pack, err)))
			goto out;
		db_bind_blob(st, meta_idx, pack.data, (int)pack.len);
	}
	rc = NV_OK;
out:
	buf_release(&pack);
	return rc;
}

/* ---- unpacking ------------------------------------------------------------ */

/* Appends the text a pack stands for to out; -1 when the pack is damaged. */
static int unpack(struct store *s, const unsigned char *p, size_t n, struct buf *out)
{
	const unsigned char *end = p + n;
	uint64_t count, id, m;

	if (n < 2)
		return -1;
	if (*p == PACK_TEXT) {
		p++;
		if (get_varint(&p, end, &id) || p != end)
			return -1;
		return content_get(s, (int64_t)id, out);
	}
	if (*p++ != PACK_OBJECT || get_varint(&p, end, &count))
		return -1;
	buf_addch(out, '{');
	for (uint64_t i = 0; i < count; i++) {
		if (i)
			buf_addch(out, ',');
		if (p >= end)
			return -1;
		if (*p == MEMBER_WHOLE) {
			p++;
			if (get_varint(&p, end, &id) || content_get(s, (int64_t)id, out))
				return -1;
			continue;
		}
		if (*p++ != MEMBER_SPLIT || get_varint(&p, end, &id) ||
		    content_get(s, (int64_t)id, out) || get_varint(&p, end, &m))
			return -1;
		buf_adds(out, ":{");
		for (uint64_t j = 0; j < m; j++) {
			if (j)
				buf_addch(out, ',');
			if (get_varint(&p, end, &id) || content_get(s, (int64_t)id, out))
				return -1;
		}
		buf_addch(out, '}');
	}
	buf_addch(out, '}');
	return p == end ? 0 : -1;
}

/* nv_content(x): x unchanged unless it is a pack, then the text it stands for. */
static void sql_nv_content(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct store *s = sqlite3_user_data(ctx);
	struct buf text = BUF_INIT;

	if (sqlite3_value_type(argv[0]) != SQLITE_BLOB) {
		sqlite3_result_value(ctx, argv[0]);
		return;
	}
	/* a damaged pack reads as NULL: verify then reports the version's hash */
	if (unpack(s, sqlite3_value_blob(argv[0]), (size_t)sqlite3_value_bytes(argv[0]), &text))
		sqlite3_result_null(ctx);
	else
		sqlite3_result_text(ctx, text.data ? text.data : "", (int)text.len,
				    SQLITE_TRANSIENT);
	buf_release(&text);
}

int content_register(struct store *s, struct nv_err *err)
{
	int rc = sqlite3_create_function(db_sqlite_handle(s->db), "nv_content", 1,
					 SQLITE_UTF8 | SQLITE_DETERMINISTIC, s, sql_nv_content,
					 NULL, NULL);

	if (rc != SQLITE_OK)
		return store_sql_error(s, rc, err, "registering nv_content()");
	return NV_OK;
}

/* ---- migration: packing versions written before schema 5 ------------------- */

/* Versions packed per transaction: each commit records where to go on. */
#define PACK_BATCH 2000

static int pack_batch(struct store *s, int64_t *next, int *done, struct nv_err *err)
{
	struct db_stmt *sel = NULL, *upd = NULL;
	int64_t last = *next - 1;
	int rc, n = 0;

	rc = store_prepare(s,
			   "SELECT seq, description, metadata FROM task_versions WHERE seq >= ?"
			   " ORDER BY seq LIMIT ?",
			   &sel, err);
	if (!rc)
		rc = store_prepare(s,
				   "UPDATE task_versions SET description = ?1, metadata = ?2"
				   " WHERE seq = ?3",
				   &upd, err);
	if (rc)
		goto out;
	db_bind_int64(sel, 1, *next);
	db_bind_int(sel, 2, PACK_BATCH);
	while ((rc = db_step(sel)) == DB_ROW) {
		struct task t;
		const char *meta = (const char *)db_column_text(sel, 2);
		int packable;

		last = db_column_int64(sel, 0);
		n++;
		if (db_column_type(sel, 1) == DB_BLOB || db_column_type(sel, 2) == DB_BLOB)
			continue; /* packed already (written by this schema) */
		task_init(&t);
		t.description = col_text(sel, 1);
		t.metadata = meta ? json_loads(meta, JSON_DECODE_ANY, NULL) : NULL;
		/* unparsable metadata stays as it was: verify reports what it is */
		packable = (t.description && strlen(t.description) >= CONTENT_MIN) ||
			   (json_is_object(t.metadata) && json_object_size(t.metadata) > 0);
		if (meta && !t.metadata)
			packable = 0;
		rc = NV_OK;
		if (packable) {
			/* neither is a pack here: text or NULL */
			bind_text(upd, 1, (const char *)db_column_text(sel, 1));
			bind_text(upd, 2, meta);
			rc = content_bind_packed(s, upd, 1, 2, &t, err);
		}
		task_release(&t);
		if (rc)
			goto out;
		if (packable) {
			db_bind_int64(upd, 3, last);
			rc = db_step(upd);
			db_reset(upd);
			if (rc != DB_DONE) {
				rc = store_sql_error(s, rc, err, "packing a version");
				goto out;
			}
		}
	}
	if (rc != DB_DONE) {
		rc = store_sql_error(s, rc, err, "reading versions to pack");
		goto out;
	}
	rc = NV_OK;
	*next = last + 1;
	*done = n < PACK_BATCH;
out:
	db_finalize(sel);
	db_finalize(upd);
	return rc;
}

int content_pack_old_versions(struct store *s, struct nv_err *err)
{
	int done = 0, rc;

	while (!done) {
		struct db_stmt *st = NULL;
		int64_t next = 0;
		int pending;

		if ((rc = store_begin_immediate(s, err)))
			return rc;
		/* where the last committed batch stopped (another process may be packing too) */
		if ((rc = store_prepare(s, "SELECT next_seq FROM pack_progress WHERE id = 1", &st,
					err)))
			goto fail;
		rc = db_step(st);
		pending = rc == DB_ROW;
		if (pending)
			next = db_column_int64(st, 0);
		db_finalize(st);
		if (rc != DB_ROW && rc != DB_DONE) {
			rc = store_sql_error(s, rc, err, "reading the packing progress");
			goto fail;
		}
		if (!pending) {
			store_exec(s, "COMMIT", NULL);
			return NV_OK;
		}
		/* the append-only trigger steps aside for this transaction only */
		if ((rc = store_exec(s, "DROP TRIGGER task_versions_no_update", err)) ||
		    (rc = pack_batch(s, &next, &done, err)) ||
		    (rc = store_exec(s, TRIGGER_NO_UPDATE("task_versions"), err)))
			goto fail;
		if (done)
			rc = store_exec(s, "DELETE FROM pack_progress WHERE id = 1", err);
		else {
			struct buf sql = BUF_INIT;
			buf_addf(&sql, "UPDATE pack_progress SET next_seq = %lld WHERE id = 1",
				 (long long)next);
			rc = store_exec(s, sql.data, err);
			buf_release(&sql);
		}
		if (rc)
			goto fail;
		if ((rc = store_exec(s, "COMMIT", err)))
			goto fail;
		continue;
	fail:
		store_rollback(s);
		nv_err_prefix(err, "packing the versions of the store (schema 5)");
		return rc;
	}
	return NV_OK;
}

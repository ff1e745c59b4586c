/*
 * store_copy.h: a whole store, engine-neutral: what it holds (nvault store
 * info) and moving it to another store, in any direction between SQLite and
 * PostgreSQL (nvault store copy). Beside store.h because only the CLI's
 * `store` commands use it.
 */
#ifndef NV_STORE_COPY_H
#define NV_STORE_COPY_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

/*
 * What the store is: *out (new JSON) is
 *   {"engine": "sqlite"|"postgresql", "schemaVersion": n,
 *    "tables": {"tasks": rows, ...},   every table that holds data
 *    "sizeBytes": n,                    the database file, or the schema's relations
 *    "copyInProgress": bool}            an unfinished `store copy` into this store
 */
int store_info(struct store *s, json_t **out, struct nv_err *err);

/* Called after each committed batch: table, its rows copied so far, its rows in all. */
typedef void (*store_copy_cb)(void *arg, const char *table, int64_t copied, int64_t total);

/*
 * Copies every table of from into to, keeping every id, sequence number,
 * version number and hash, so the copy verifies with the same chain hashes.
 * Derived data (the search index) is rebuilt in to. Between engines, the
 * shared contents of SQLite's compact versions are expanded into the
 * versions (PostgreSQL keeps versions whole) or packed again (SQLite);
 * what a version reads back and its hashes are the same.
 *
 * to must be empty (as store_open() creates it), else NV_EINVAL naming
 * what it holds — unless it holds an unfinished copy from the same source
 * (from_name, as shown to people: no password), which goes on where it
 * stopped: rows are committed in batches together with the progress they
 * make (table nvault_copy_progress in to, dropped at the end), so a copy
 * killed at any moment is resumed by running it again. Both stores are
 * locked against syncs meanwhile (NV_ELOCKED when one is running).
 * *report (new JSON, may be NULL) is {"tables": {"tasks": rows, ...},
 * "rows": total, "resumed": bool}.
 */
int store_copy(struct store *from, const char *from_name, struct store *to, store_copy_cb cb,
	       void *cb_arg, json_t **report, struct nv_err *err);

#endif

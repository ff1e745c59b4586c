/*
 * locator.h: the syntax of a store locator (SPEC §1, §3), the string given
 * as --db or NVAULT_DB: a file path (SQLite), a `postgresql://` /
 * `postgres://` URL or a libpq conninfo string (`host=... dbname=...`).
 * Pure string functions: which engine opens a locator is the store's
 * business; showing one safely and refusing a password in it are everyone's.
 *
 * A password never belongs in a locator (PGPASSWORD, ~/.pgpass or
 * PGPASSFILE hold it): settings refuse one, and every message that shows a
 * locator shows locator_redact()'s copy.
 */
#ifndef NV_LOCATOR_H
#define NV_LOCATOR_H

/*
 * True when loc names a PostgreSQL store: a URL whose scheme is
 * postgresql:// or postgres:// (any case), or a conninfo string — one that
 * starts with a libpq keyword followed by `=` (`host=/tmp dbname=nv`). A
 * file whose name looks like that is reached as `./host=...`.
 */
int locator_is_postgres(const char *loc);

/*
 * True when loc carries a password: the password of a URL's user
 * (`user:secret@host`), or a `password` / `sslpassword` parameter in a
 * URL's query or a conninfo string (keys compared after %-decoding, any case).
 */
int locator_has_password(const char *loc);

/*
 * A copy of loc (malloc'd, never NULL) that can be shown: each password
 * above is replaced by `***`. A PostgreSQL locator that cannot be parsed
 * and mentions a password is replaced whole by
 * "(PostgreSQL locator hidden: it may hold a password)". A path is
 * returned as it is.
 */
char *locator_redact(const char *loc);

#endif

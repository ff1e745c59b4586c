/*
 * progress.c: the progress line and -v request trace of `nvault sync`; see
 * progress.h.
 */
#include "cli/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "notion/notion.h"
#include "util/buf.h"
#include "util/term.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

void progress_format_duration(int64_t ms, char *out, size_t size)
{
	int64_t s = ms / 1000;

	if (ms < 0)
		ms = 0, s = 0;
	if (ms < 60000)
		snprintf(out, size, "%lld.%llds", (long long)s, (long long)(ms % 1000) / 100);
	else if (s < 3600)
		snprintf(out, size, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(out, size, "%lldh%02lldm", (long long)(s / 3600),
			 (long long)(s % 3600 / 60));
}

void progress_init(struct progress *p, const struct config *cfg, struct store *store, int verbosity,
		   int json)
{
	memset(p, 0, sizeof(*p));
	p->cfg = cfg;
	p->store = store;
	p->verbosity = verbosity;
	p->escapes = term_escapes_ok(STDERR_FILENO);
	p->draw = term_is_tty(STDERR_FILENO) && verbosity >= 0 && !json;
	p->started_ms = time_mono_ms();
	p->last_update_ms = p->started_ms;
	/* the store as it was before the run: what each database should hold */
	if (cfg && store && cfg->n_dbs) {
		p->known = xcalloc(cfg->n_dbs, sizeof(*p->known));
		for (size_t i = 0; i < cfg->n_dbs; i++) {
			int64_t deleted;
			struct nv_err err;
			nv_err_clear(&err);
			if (store_count_tasks(store, cfg->dbs[i].database_id, NULL, &p->known[i],
					      &deleted, &err))
				p->known[i] = 0;
		}
	}
}

void progress_release(struct progress *p)
{
	free(p->known);
	p->known = NULL;
}

/* Code points of UTF-8 text. */
static size_t text_width(const char *s, size_t len)
{
	size_t w = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			w++;
	return w;
}

/* Byte length of the first max code points of s. */
static size_t prefix_bytes(const char *s, size_t max)
{
	size_t i = 0, w = 0;

	for (; s[i]; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (w == max)
				break;
			w++;
		}
	}
	return i;
}

/* The database's name from the config, else its id. */
static const char *db_label(const struct progress *p, const char *database_id)
{
	const struct db_config *db = p->cfg ? config_find_db(p->cfg, database_id) : NULL;

	return db && db->name && *db->name ? db->name : database_id;
}

/* Rows the phase should see: the database's tasks from the last sync (0: unknown). */
static int64_t expected_rows(struct progress *p, const char *database_id, int first_phase)
{
	/* an incremental pass reads only changed rows: its total is unknown */
	if (!p->known || (!first_phase && !strcmp(p->phase, "query")))
		return 0;
	for (size_t i = 0; i < p->cfg->n_dbs; i++)
		if (!strcmp(p->cfg->dbs[i].database_id, database_id))
			return p->known[i];
	return 0;
}

int64_t progress_eta_ms(const struct progress *p, int64_t now, int *estimated)
{
	int64_t rows = p->last_rows - p->phase_base, spent = now - p->phase_started_ms;
	int64_t done, span;

	*estimated = 0;
	if (spent <= 0 || rows <= 0)
		return -1;
	if (p->expected > 0) {
		int64_t left = p->expected > rows ? p->expected - rows : 0;
		return left * spent / rows;
	}
	/*
	 * No total: the pass reads rows in last_edited_time order, so the
	 * share of the time from its first row to the server's now that it
	 * has passed is the share done, if edits were spread evenly in time.
	 */
	done = p->edited_at_ms - p->edited_from_ms;
	span = p->edited_until_ms - p->edited_from_ms;
	if (strcmp(p->phase, "query") || p->edited_from_ms <= 0 || done <= 0 || span <= 0)
		return -1;
	if (done >= span)
		return 0;
	*estimated = 1;
	return (int64_t)((double)spent * (double)(span - done) / (double)done);
}

static void draw(struct progress *p, const char *label)
{
	int width = term_width(STDERR_FILENO);
	int64_t now = time_mono_ms(), rows = p->last_rows - p->phase_base;
	char elapsed[32], eta[32];
	int64_t left_ms;
	int estimated;
	struct buf stats = BUF_INIT, line = BUF_INIT;
	size_t max, name_max;

	progress_format_duration(now - p->started_ms, elapsed, sizeof(elapsed));
	if (p->expected > 0)
		buf_addf(&stats, ": %s %lld/%lld rows, %lld requests, %s", p->phase,
			 (long long)rows, (long long)p->expected, (long long)p->requests, elapsed);
	else
		buf_addf(&stats, ": %s %lld rows, %lld requests, %s", p->phase, (long long)rows,
			 (long long)p->requests, elapsed);
	left_ms = progress_eta_ms(p, now, &estimated);
	if (left_ms >= 0) {
		progress_format_duration(left_ms, eta, sizeof(eta));
		buf_addf(&stats, ", ETA %s%s", estimated ? "~" : "", eta);
	}
	/* never the last column: a full line wraps on some terminals */
	max = width > 10 ? (size_t)width - 1 : 9;
	name_max = max > text_width(stats.data, stats.len) + 1
			   ? max - text_width(stats.data, stats.len)
			   : 1;
	if (text_width(label, strlen(label)) > name_max) {
		buf_add(&line, label, prefix_bytes(label, name_max > 1 ? name_max - 1 : 0));
		buf_adds(&line, "~");
	} else {
		buf_adds(&line, label);
	}
	buf_add(&line, stats.data, stats.len);
	fputc('\r', stderr);
	fwrite(line.data, 1, prefix_bytes(line.data, max), stderr);
	if (p->escapes)
		fputs("\033[K", stderr);
	fflush(stderr);
	p->shown = 1;
	buf_release(&stats);
	buf_release(&line);
}

void progress_update(void *ud, const struct sync_progress *sp)
{
	struct progress *p = ud;
	int new_db = strcmp(p->db_id, sp->database_id ? sp->database_id : "");

	p->requests = sp->requests;
	if (new_db || strcmp(p->phase, sp->phase ? sp->phase : "")) {
		snprintf(p->db_id, sizeof(p->db_id), "%s", sp->database_id ? sp->database_id : "");
		snprintf(p->phase, sizeof(p->phase), "%s", sp->phase ? sp->phase : "");
		/*
		 * the callback comes after a page: that page's rows belong to the
		 * new phase, which began when the previous callback returned
		 */
		p->phase_base = new_db ? 0 : p->last_rows;
		p->phase_started_ms = p->last_update_ms;
		p->expected = expected_rows(p, p->db_id, new_db);
	}
	p->last_rows = sp->rows;
	p->edited_from_ms = sp->edited_from_ms;
	p->edited_at_ms = sp->edited_at_ms;
	p->edited_until_ms = sp->edited_until_ms;
	if (p->draw)
		draw(p, db_label(p, sp->database_id));
	p->last_update_ms = time_mono_ms();
}

void progress_clear(struct progress *p)
{
	if (!p->shown)
		return;
	if (p->escapes)
		fputs("\r\033[K", stderr);
	else
		fputc('\n', stderr);
	fflush(stderr);
	p->shown = 0;
}

void progress_format_trace(const struct notion_trace *t, int verbosity, struct buf *b)
{
	const char *query = strchr(t->path, '?');

	/* -v: the path without its query string (filter_properties can be long) */
	if (query && verbosity < 2)
		buf_addf(b, "notion: %s %.*s?... -> ", t->method, (int)(query - t->path), t->path);
	else
		buf_addf(b, "notion: %s %s -> ", t->method, t->path);
	if (t->status)
		buf_addf(b, "%d", t->status);
	else
		buf_adds(b, "no answer");
	buf_addf(b, " in %lld ms", (long long)t->duration_ms);
	if (t->attempt)
		buf_addf(b, " (retry %d)", t->attempt);
	if (t->throttle_ms > 0)
		buf_addf(b, ", waited %lld ms for the rate limit", (long long)t->throttle_ms);
	if (t->retry_in_ms >= 0)
		buf_addf(b, ", retrying in %lld ms", (long long)t->retry_in_ms);
	if (t->retry_after)
		buf_addf(b, " (Retry-After: %.32s)", t->retry_after);
	if (t->error && t->status != 200)
		buf_addf(b, ": %s", t->error);
	if (verbosity >= 2) {
		buf_addf(b, " [%zu bytes received]", t->bytes);
		if (t->body)
			buf_addf(b, "\n  request body: %s", t->body);
	}
}

static void trace_request(void *ud, const struct notion_trace *t)
{
	struct progress *p = ud;
	struct buf b = BUF_INIT;

	progress_clear(p);
	progress_format_trace(t, p->verbosity, &b);
	fprintf(stderr, "nvault: %s\n", b.data);
	fflush(stderr);
	buf_release(&b);
}

void progress_trace_requests(struct progress *p)
{
	if (p->verbosity >= 1)
		notion_set_trace(trace_request, p);
}

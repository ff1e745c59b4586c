/*
 * progress.h: what `nvault sync` shows on stderr while it works. On a
 * terminal one line, redrawn in place and never wider than the terminal:
 * the database's name, the phase and its rows (of the expected total when
 * one is known), requests, elapsed time and an ETA: from the rows with a
 * total, else ("ETA ~") from how far the pass has come through the rows'
 * last edit times (a first sync, whose total Notion does not tell). Off a
 * terminal nothing is drawn and no escape code is written. -v adds one line
 * per Notion request (trace), -vv also the request body and more.
 */
#ifndef NV_PROGRESS_H
#define NV_PROGRESS_H

#include <stdint.h>

#include "config/config.h"
#include "store/store.h"
#include "sync/sync.h"

struct progress {
	int draw;      /* a line may be drawn (stderr is a terminal, not -q, not --json) */
	int escapes;   /* stderr takes escape codes */
	int verbosity; /* -1 quiet, 0 normal, 1 -v, 2 -vv */
	const struct config *cfg;
	struct store *store; /* for expected totals; may be NULL */
	int64_t started_ms;
	int shown; /* a progress line is on the screen */

	/* the current phase */
	char db_id[64];
	char phase[16];
	int64_t phase_started_ms;
	int64_t phase_base; /* the database's rows when the phase began */
	int64_t last_rows;
	int64_t expected; /* rows the phase should see; 0 = unknown */
	int64_t requests;
	int64_t last_update_ms; /* the previous callback (the run's start before one) */
	/* the pass's position in last_edited_time order (struct sync_progress) */
	int64_t edited_from_ms, edited_at_ms, edited_until_ms;
	int64_t *known; /* tasks per configured database before the run (cfg order) */
};

/* Sets up p for a run (fd 2); cfg and store are borrowed. */
void progress_init(struct progress *p, const struct config *cfg, struct store *store, int verbosity,
		   int json);
/* The sync engine's progress callback (ud is a struct progress *). */
void progress_update(void *ud, const struct sync_progress *sp);
/* Releases what progress_init() allocated. */
void progress_release(struct progress *p);
/* Removes the line from the screen, if one is shown. */
void progress_clear(struct progress *p);
/* Turns -v request tracing on (verbosity >= 1) through notion_set_trace(). */
void progress_trace_requests(struct progress *p);
struct buf;
struct notion_trace;
/* One request as a trace line ("notion: POST /v1/... -> 200 in 12 ms, ..."). */
void progress_format_trace(const struct notion_trace *t, int verbosity, struct buf *b);
/* Elapsed time as "4.2s", "3m07s", "1h02m" into out. */
void progress_format_duration(int64_t ms, char *out, size_t size);
/*
 * The time left of the current phase at now (ms), or -1 when it cannot be
 * told; *estimated = 1 when it comes from edit times, not a row total.
 */
int64_t progress_eta_ms(const struct progress *p, int64_t now, int *estimated);

#endif

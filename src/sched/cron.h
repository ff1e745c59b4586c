/*
 * cron.h: standard 5-field cron expressions (minute hour day-of-month month
 * day-of-week) and their next/previous run times in the local time zone.
 *
 * Syntax, as in Vixie cron: each field is a comma list of `*`, `N`, `N-M`,
 * with an optional `/STEP` (`*` + step, `N-M/STEP`, and `N/STEP` meaning
 * N up to the field's maximum); months `jan`..`dec` and weekdays
 * `sun`..`sat` by name (any case); day-of-week 0 and 7 are both Sunday.
 * Shorthands: @yearly @annually @monthly @weekly @daily @midnight @hourly.
 * Day rule: when both day fields are restricted (neither starts with `*`)
 * a day matches if EITHER matches; otherwise both must.
 *
 * Time zone and DST: run times are wall-clock times of the process's local
 * zone (TZ, re-read on every call). A wall-clock time that does not exist
 * on a day (spring forward) runs once, at the first valid minute after it;
 * a wall-clock time that happens twice (fall back) runs once, at its first
 * occurrence.
 *
 * The module is pure: no I/O, no allocation, no global state besides the
 * C library's zone data, so the parser can be fuzzed directly.
 */
#ifndef NV_CRON_H
#define NV_CRON_H

#include <stdint.h>

#include "util/err.h"

struct cron_expr {
	uint64_t minutes;  /* bit m: minute m (0-59) */
	uint32_t hours;	   /* bit h: hour h (0-23) */
	uint32_t days;	   /* bit d: day of month d (1-31) */
	uint16_t months;   /* bit m: month m (1-12) */
	uint8_t weekdays;  /* bit w: weekday w (0-6, 0 = Sunday; 7 is folded into 0) */
	unsigned dom_star; /* day-of-month field starts with '*' */
	unsigned dow_star; /* day-of-week field starts with '*' */
};

/*
 * Parses text into *out. Returns NV_OK, or NV_EINVAL with a message naming
 * the field and what is wrong with it, e.g. "invalid cron expression
 * '0 25 * * *': hour: 25 is out of range (0-23)". Expressions that can
 * never run ("0 0 30 2 *") are refused as well.
 */
int cron_parse(const char *text, struct cron_expr *out, struct nv_err *err);

/*
 * The first run strictly after after_ms (ms since the epoch, UTC) into
 * *next_ms. Returns NV_OK, or NV_EINVAL when after_ms is outside the years
 * 1970-9000 or no run exists within 400 years (cannot happen for an
 * expression cron_parse() accepted).
 */
int cron_next(const struct cron_expr *e, int64_t after_ms, int64_t *next_ms);

/*
 * The latest run at or before at_ms into *prev_ms (the scheduled time a
 * daemon that was down would have missed). Same returns as cron_next().
 */
int cron_prev(const struct cron_expr *e, int64_t at_ms, int64_t *prev_ms);

#endif

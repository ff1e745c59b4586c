/*
 * timeutil.h: time as int64 milliseconds since the Unix epoch (UTC), and
 * ISO 8601 text. Every timestamp nvault stores is formatted by
 * time_format_iso(), "2026-01-31T09:05:00.123Z", so that text order equals
 * time order.
 */
#ifndef NV_TIMEUTIL_H
#define NV_TIMEUTIL_H

#include <stdint.h>

#define TIME_ISO_MAX 32

/* Wall clock in ms. Tests may replace it with time_set_clock(). */
int64_t time_now_ms(void);
/* Monotonic clock in ms, for measuring durations and timeouts. */
int64_t time_mono_ms(void);
/* Replaces the wall clock (NULL restores the real one). For tests. */
void time_set_clock(int64_t (*clock_fn)(void));
/* Writes "YYYY-MM-DDTHH:MM:SS.mmmZ" into out (TIME_ISO_MAX bytes); returns out. */
char *time_format_iso(int64_t ms, char *out);
/*
 * Parses ISO 8601: a date ("2026-01-31", midnight UTC), or a date-time with
 * optional seconds, fraction (any digits, kept to the ms) and zone ("Z",
 * "+01:00", "+0100"; none means UTC). 'T' or a space separates date and
 * time. Returns 0 and sets *ms, or -1 if s is not such a time.
 */
int time_parse_iso(const char *s, int64_t *ms);
/* Sleeps for ms milliseconds (restarts on EINTR unless *stop becomes set). */
void time_sleep_ms(int64_t ms, _Atomic int *stop);

#endif

/*
 * cron.c: cron expression parsing and next/previous run computation; see
 * cron.h for the syntax and the DST rules.
 *
 * Run times are searched in civil (wall-clock) time, field by field, and
 * each civil minute found is then mapped to an instant: its only
 * occurrence, its first occurrence when the clock was turned back, or the
 * end of the gap when the clock was turned forward past it. That mapping
 * never decreases as civil time increases, so "the first matching civil
 * minute whose instant lies after T" is the next run, and duplicate
 * instants (several gap minutes mapping to the gap's end) run once.
 * Away from a zone change (none within MARGIN_SECS) civil time is just the
 * instant plus a constant offset and the first match is the answer; near
 * one, the search starts MARGIN_SECS earlier and checks each candidate.
 */
#include "sched/cron.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Larger than any UTC offset change a zone has made in one step (2 h). */
#define MARGIN_SECS (3 * 3600)
/* Feb 29 on a given weekday can take 28 years; 400 is a whole Gregorian cycle. */
#define SEARCH_YEARS 400
/* Instants accepted by cron_next()/cron_prev(): 1970 up to the year 9000. */
#define MAX_INSTANT_MS INT64_C(221845392000000)
#define SHOW_MAX 120 /* longest expression quoted in an error */

/* ---- parsing ------------------------------------------------------------ */

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul",
					  "aug", "sep", "oct", "nov", "dec", NULL};
static const char *const weekday_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};

struct cron_field {
	const char *name;
	int min, max;
	const char *const *names; /* names[i] means value names_base + i */
	int names_base;
	const char *name_kind; /* "month" / "weekday", for messages */
};

enum { F_MINUTE, F_HOUR, F_DOM, F_MONTH, F_DOW, F_COUNT };

static const struct cron_field cron_fields[F_COUNT] = {
	[F_MINUTE] = {.name = "minute", .min = 0, .max = 59},
	[F_HOUR] = {.name = "hour", .min = 0, .max = 23},
	[F_DOM] = {.name = "day-of-month", .min = 1, .max = 31},
	[F_MONTH] = {.name = "month",
		     .min = 1,
		     .max = 12,
		     .names = month_names,
		     .names_base = 1,
		     .name_kind = "month"},
	[F_DOW] = {.name = "day-of-week",
		   .min = 0,
		   .max = 7,
		   .names = weekday_names,
		   .names_base = 0,
		   .name_kind = "weekday"},
};

static const struct {
	const char *name;
	const char *expansion;
} cron_shorthands[] = {
	{"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
	{"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
	{"@hourly", "0 * * * *"},
};

/* What a failed parse reports; the expression is quoted in the message. */
struct parse_ctx {
	const char *text;
	struct nv_err *err;
};

static int parse_fail(const struct parse_ctx *pc, const struct cron_field *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int parse_fail(const struct parse_ctx *pc, const struct cron_field *f, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return nv_err_set(pc->err, NV_EINVAL, "invalid cron expression '%.*s%s': %s%s%s", SHOW_MAX,
			  pc->text, strlen(pc->text) > SHOW_MAX ? "..." : "", f ? f->name : "",
			  f ? ": " : "", reason);
}

/*
 * Reads one value (digits, or a name where the field has names) at
 * [*p, end) into *out, advancing *p.
 */
static int parse_value(const struct parse_ctx *pc, const struct cron_field *f, const char **p,
		       const char *end, int *out)
{
	const char *s = *p;
	long v = 0;

	if (s < end && isdigit((unsigned char)*s)) {
		for (; s < end && isdigit((unsigned char)*s); s++) {
			v = v * 10 + (*s - '0');
			if (v > 1000000)
				v = 1000000; /* keep it finite; reported as out of range */
		}
	} else if (s < end && isalpha((unsigned char)*s)) {
		const char *w = s;
		int i;
		for (; s < end && isalpha((unsigned char)*s); s++)
			;
		if (!f->names)
			return parse_fail(pc, f,
					  "'%.*s' is not a number (names are only allowed "
					  "for month and day-of-week)",
					  (int)(s - w), w);
		for (i = 0; f->names[i]; i++)
			if (s - w == 3 && !strncasecmp(w, f->names[i], 3))
				break;
		if (!f->names[i])
			return parse_fail(pc, f, "'%.*s' is not a %s name (use %s-%s)",
					  (int)(s - w), w, f->name_kind, f->names[0],
					  f->names[i - 1]);
		v = i + f->names_base;
	} else if (s < end) {
		return parse_fail(pc, f, "expected a number at '%.*s'", (int)(end - s), s);
	} else {
		return parse_fail(pc, f, "a value is missing at the end of '%.*s'", (int)(end - *p),
				  *p);
	}
	if (v < f->min || v > f->max)
		return parse_fail(pc, f, "%ld is out of range (%d-%d)", v, f->min, f->max);
	*p = s;
	*out = (int)v;
	return NV_OK;
}

/*
 * Parses one list item ("*", "N", "N-M", each with an optional "/S") at
 * [s, end) into *bits. *star is set when the item is "*" or "*\/S".
 */
static int parse_item(const struct parse_ctx *pc, const struct cron_field *f, const char *s,
		      const char *end, uint64_t *bits, int *star)
{
	const char *p = s;
	int lo, hi, step = 1, rc;

	if (p == end)
		return parse_fail(pc, f,
				  "empty list item (two commas in a row, or a comma at "
				  "either end)");
	if (*p == '*') {
		p++;
		lo = f->min;
		hi = f->max;
		*star = 1;
	} else {
		if ((rc = parse_value(pc, f, &p, end, &lo)))
			return rc;
		hi = lo;
		if (p < end && *p == '-') {
			p++;
			if ((rc = parse_value(pc, f, &p, end, &hi)))
				return rc;
			/* a weekday range may end on Sunday as 0 or "sun": "fri-sun" */
			if (f == &cron_fields[F_DOW] && hi == 0 && lo > 0)
				hi = 7;
			if (hi < lo)
				return parse_fail(pc, f,
						  "range %d-%d is reversed (the start is greater "
						  "than the end)",
						  lo, hi);
		} else if (p < end && *p == '/') {
			hi = f->max; /* "N/S": from N to the end of the field */
		}
	}
	if (p < end && *p == '/') {
		long v = 0;
		const char *d = ++p;
		for (; p < end && isdigit((unsigned char)*p); p++)
			if ((v = v * 10 + (*p - '0')) > 1000000)
				v = 1000000;
		if (p == d)
			return parse_fail(pc, f, "a step ('/') must be followed by a number");
		if (v == 0)
			return parse_fail(pc, f, "step 0 is invalid (use 1 or more)");
		if (v > f->max - f->min + 1)
			return parse_fail(pc, f,
					  "step %ld is larger than the field's range (%d-%d)", v,
					  f->min, f->max);
		step = (int)v;
	}
	if (p < end)
		return parse_fail(pc, f, "unexpected '%.*s' in '%.*s'", (int)(end - p), p,
				  (int)(end - s), s);
	for (int v = lo; v <= hi; v += step)
		*bits |= UINT64_C(1) << v;
	return NV_OK;
}

/* Parses a whole field (a comma list) at [s, end). */
static int parse_field(const struct parse_ctx *pc, const struct cron_field *f, const char *s,
		       const char *end, uint64_t *bits, unsigned *star_first)
{
	const char *item = s;
	int rc;

	*bits = 0;
	*star_first = *s == '*';
	for (;;) {
		const char *comma = memchr(item, ',', (size_t)(end - item));
		const char *item_end = comma ? comma : end;
		int star = 0;
		if ((rc = parse_item(pc, f, item, item_end, bits, &star)))
			return rc;
		if (!comma)
			return NV_OK;
		item = comma + 1;
	}
}

static int days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* Whether some selected day of month exists in some selected month. */
static int days_possible(const struct cron_expr *e)
{
	static const int max_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	for (int m = 1; m <= 12; m++)
		if (e->months & (1u << m))
			for (int d = 1; d <= max_days[m - 1]; d++)
				if (e->days & (1u << d))
					return 1;
	return 0;
}

int cron_parse(const char *text, struct cron_expr *out, struct nv_err *err)
{
	struct parse_ctx pc = {.text = text ? text : "", .err = err};
	const char *p = pc.text, *starts[F_COUNT], *ends[F_COUNT];
	uint64_t bits[F_COUNT];
	unsigned star[F_COUNT];
	int n = 0, rc;

	memset(out, 0, sizeof(*out));
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '@') {
		const char *w = p;
		size_t len;
		while (*p && !isspace((unsigned char)*p))
			p++;
		len = (size_t)(p - w);
		while (isspace((unsigned char)*p))
			p++;
		for (size_t i = 0; i < sizeof(cron_shorthands) / sizeof(cron_shorthands[0]); i++)
			if (strlen(cron_shorthands[i].name) == len &&
			    !strncasecmp(w, cron_shorthands[i].name, len)) {
				if (*p)
					return parse_fail(&pc, NULL, "nothing may follow %s",
							  cron_shorthands[i].name);
				return cron_parse(cron_shorthands[i].expansion, out, err);
			}
		if (len == 7 && !strncasecmp(w, "@reboot", 7))
			return parse_fail(&pc, NULL,
					  "@reboot is not supported by the nvault scheduler "
					  "(use a time-based schedule)");
		return parse_fail(&pc, NULL,
				  "unknown shorthand '%.*s' (use @yearly, @annually, "
				  "@monthly, @weekly, @daily, @midnight or @hourly)",
				  (int)len, w);
	}
	while (*p) {
		if (n == F_COUNT)
			return parse_fail(&pc, NULL,
					  "too many fields (expected 5: minute hour "
					  "day-of-month month day-of-week)");
		starts[n] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		ends[n++] = p;
		while (isspace((unsigned char)*p))
			p++;
	}
	if (n == 0)
		return parse_fail(&pc, NULL,
				  "the schedule is empty (expected 5 fields: minute hour "
				  "day-of-month month day-of-week)");
	if (n < F_COUNT)
		return parse_fail(&pc, NULL,
				  "%d field%s given, 5 expected (minute hour day-of-month "
				  "month day-of-week)",
				  n, n == 1 ? "" : "s");
	for (int i = 0; i < F_COUNT; i++)
		if ((rc = parse_field(&pc, &cron_fields[i], starts[i], ends[i], &bits[i],
				      &star[i])))
			return rc;
	out->minutes = bits[F_MINUTE];
	out->hours = (uint32_t)bits[F_HOUR];
	out->days = (uint32_t)bits[F_DOM];
	out->months = (uint16_t)bits[F_MONTH];
	if (bits[F_DOW] & (UINT64_C(1) << 7))
		bits[F_DOW] = (bits[F_DOW] | 1) & ~(UINT64_C(1) << 7);
	out->weekdays = (uint8_t)bits[F_DOW];
	out->dom_star = star[F_DOM];
	out->dow_star = star[F_DOW];
	/* With the weekday unrestricted, the day of month alone decides. */
	if (!out->dom_star && out->dow_star && !days_possible(out)) {
		rc = parse_fail(&pc, &cron_fields[F_DOM],
				"the selected days never occur in the "
				"selected months, so it would never run");
		memset(out, 0, sizeof(*out));
		return rc;
	}
	return NV_OK;
}

/* ---- civil time ---------------------------------------------------------- */

struct civil {
	int y, mo, d, h, mi;
};

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, struct civil *c)
{
	int64_t era, doe, yoe, y, doy, mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	c->d = (int)(doy - (153 * mp + 2) / 5 + 1);
	c->mo = (int)(mp < 10 ? mp + 3 : mp - 9);
	c->y = (int)(y + (c->mo <= 2));
}

/* Wall-clock seconds (civil time read as if it were UTC). */
static int64_t civil_to_secs(const struct civil *c)
{
	return days_from_civil(c->y, c->mo, c->d) * 86400 + c->h * 3600 + c->mi * 60;
}

/* The civil minute containing wall-clock second s. */
static void civil_from_secs(int64_t s, struct civil *c)
{
	int64_t days = floor_div(s, 86400), rest = s - days * 86400;

	civil_from_days(days, c);
	c->h = (int)(rest / 3600);
	c->mi = (int)(rest % 3600 / 60);
}

/* 0 = Sunday; 1970-01-01 was a Thursday. */
static int weekday(const struct civil *c)
{
	int64_t days = days_from_civil(c->y, c->mo, c->d) + 4;

	return (int)(days - floor_div(days, 7) * 7);
}

static int day_matches(const struct cron_expr *e, const struct civil *c)
{
	int dom = (e->days >> c->d) & 1;
	int dow = (e->weekdays >> weekday(c)) & 1;

	if (e->dom_star || e->dow_star)
		return dom && dow;
	return dom || dow;
}

/* Carrying steps through civil time; each resets the smaller fields. */
static void next_month(struct civil *c)
{
	c->d = 1;
	c->h = c->mi = 0;
	if (++c->mo > 12) {
		c->mo = 1;
		c->y++;
	}
}

static void next_day(struct civil *c)
{
	c->h = c->mi = 0;
	if (++c->d > days_in_month(c->y, c->mo))
		next_month(c);
}

static void next_hour(struct civil *c)
{
	c->mi = 0;
	if (++c->h > 23)
		next_day(c);
}

static void next_minute(struct civil *c)
{
	if (++c->mi > 59)
		next_hour(c);
}

static void prev_month(struct civil *c)
{
	if (--c->mo < 1) {
		c->mo = 12;
		c->y--;
	}
	c->d = days_in_month(c->y, c->mo);
	c->h = 23;
	c->mi = 59;
}

static void prev_day(struct civil *c)
{
	c->h = 23;
	c->mi = 59;
	if (--c->d < 1)
		prev_month(c);
}

static void prev_hour(struct civil *c)
{
	c->mi = 59;
	if (--c->h < 0)
		prev_day(c);
}

static void prev_minute(struct civil *c)
{
	if (--c->mi < 0)
		prev_hour(c);
}

/* Moves *c forward to the first matching civil minute at or after it; -1 if none. */
static int find_forward(const struct cron_expr *e, struct civil *c)
{
	int limit = c->y + SEARCH_YEARS;

	while (c->y <= limit) {
		if (!(e->months & (1u << c->mo)))
			next_month(c);
		else if (!day_matches(e, c))
			next_day(c);
		else if (!(e->hours & (UINT32_C(1) << c->h)))
			next_hour(c);
		else if (!(e->minutes & (UINT64_C(1) << c->mi)))
			next_minute(c);
		else
			return 0;
	}
	return -1;
}

/* Moves *c back to the last matching civil minute at or before it; -1 if none. */
static int find_backward(const struct cron_expr *e, struct civil *c)
{
	int limit = c->y - SEARCH_YEARS;

	while (c->y >= limit) {
		if (!(e->months & (1u << c->mo)))
			prev_month(c);
		else if (!day_matches(e, c))
			prev_day(c);
		else if (!(e->hours & (UINT32_C(1) << c->h)))
			prev_hour(c);
		else if (!(e->minutes & (UINT64_C(1) << c->mi)))
			prev_minute(c);
		else
			return 0;
	}
	return -1;
}

/* ---- civil time ↔ instants in the local zone ------------------------------ */

/* UTC offset in seconds of the local zone at instant t. */
static long offset_at(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm))
		return 0;
	return tm.tm_gmtoff;
}

/* The wall-clock second (civil seconds) at instant t. */
static int64_t local_secs(int64_t t)
{
	return t + offset_at(t);
}

/*
 * The instant a civil minute runs at: its only occurrence; the earlier one
 * when it happens twice; the first valid minute after it when it falls in
 * a gap.
 */
static int64_t civil_instant(const struct civil *c)
{
	int64_t lc = civil_to_secs(c), best = INT64_MAX, lo, hi;
	long offs[4], omin, omax;
	int n = 0;

	offs[n++] = offset_at(lc - 86400);
	offs[n++] = offset_at(lc + 86400);
	offs[n++] = offset_at(lc - offs[0]);
	offs[n++] = offset_at(lc - offs[1]);
	omin = omax = offs[0];
	for (int i = 0; i < n; i++) {
		int64_t t = lc - offs[i];
		if (offset_at(t) == offs[i] && t < best)
			best = t;
		if (offs[i] < omin)
			omin = offs[i];
		if (offs[i] > omax)
			omax = offs[i];
	}
	if (best != INT64_MAX)
		return best;
	/* A gap: find the first instant whose wall clock is past lc. */
	lo = lc - omax;
	hi = lc - omin;
	if (local_secs(lo) >= lc || local_secs(hi) <= lc)
		return lc - offs[0]; /* zone data we do not understand: best effort */
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;
		if (local_secs(mid) > lc)
			hi = mid;
		else
			lo = mid;
	}
	return floor_div(hi + 59, 60) * 60;
}

/* Whether the zone's offset is the same throughout [t - MARGIN, t + MARGIN]. */
static int offset_steady(int64_t t, long *off)
{
	*off = offset_at(t);
	return offset_at(t - MARGIN_SECS) == *off && offset_at(t + MARGIN_SECS) == *off;
}

int cron_next(const struct cron_expr *e, int64_t after_ms, int64_t *next_ms)
{
	int64_t after, t;
	struct civil c;
	long off;

	if (after_ms < 0 || after_ms > MAX_INSTANT_MS)
		return NV_EINVAL;
	tzset();
	after = floor_div(after_ms,
			  1000); /* a run r (whole seconds) is after after_ms iff r > after */
	if (offset_steady(after, &off)) {
		civil_from_secs(after + off, &c);
		next_minute(&c);
		if (find_forward(e, &c))
			return NV_EINVAL;
		*next_ms = civil_instant(&c) * 1000;
		return NV_OK;
	}
	civil_from_secs(after + off - MARGIN_SECS, &c);
	for (;;) {
		if (find_forward(e, &c))
			return NV_EINVAL;
		if ((t = civil_instant(&c)) > after) {
			*next_ms = t * 1000;
			return NV_OK;
		}
		next_minute(&c);
	}
}

int cron_prev(const struct cron_expr *e, int64_t at_ms, int64_t *prev_ms)
{
	int64_t at, t;
	struct civil c;
	long off;

	if (at_ms < 0 || at_ms > MAX_INSTANT_MS)
		return NV_EINVAL;
	tzset();
	at = floor_div(at_ms, 1000);
	if (offset_steady(at, &off)) {
		civil_from_secs(at + off, &c);
		if (find_backward(e, &c))
			return NV_EINVAL;
		*prev_ms = civil_instant(&c) * 1000;
		return NV_OK;
	}
	civil_from_secs(at + off + MARGIN_SECS, &c);
	for (;;) {
		if (find_backward(e, &c))
			return NV_EINVAL;
		if ((t = civil_instant(&c)) <= at) {
			*prev_ms = t * 1000;
			return NV_OK;
		}
		prev_minute(&c);
	}
}

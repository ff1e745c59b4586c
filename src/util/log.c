/*
 * log.c: leveled stderr logging; see log.h.
 */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>

#include "util/timeutil.h"

static enum log_level current_level = LOG_WARN;
static int with_timestamps;
static int with_priority;

void log_set_level(enum log_level level)
{
	current_level = level;
}

enum log_level log_get_level(void)
{
	return current_level;
}

void log_set_timestamps(int on)
{
	with_timestamps = on;
}

void log_set_syslog_prefix(int on)
{
	with_priority = on;
}

const char *log_prefix(enum log_level level)
{
	static const char *const prefixes[] = {"<3>", "<4>", "<6>", "<7>"};

	if (!with_priority || (unsigned)level > LOG_DEBUG)
		return "";
	return prefixes[level];
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	char ts[TIME_ISO_MAX];
	va_list ap;

	if (level > current_level)
		return;
	fputs(log_prefix(level), stderr);
	if (with_timestamps) {
		time_format_iso(time_now_ms(), ts);
		fprintf(stderr, "%s ", ts);
	}
	fprintf(stderr, "nvault: %s: ", names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

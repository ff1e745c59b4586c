/*
 * log.h: diagnostics on stderr, filtered by level (-q / -v). Only the CLI,
 * daemon and servers log; library layers report through struct nv_err or
 * callbacks. Nothing secret is ever passed to these functions.
 */
#ifndef NV_LOG_H
#define NV_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Prefix each line with an ISO timestamp (the daemon turns this on). */
void log_set_timestamps(int on);
/*
 * Start each line with its syslog priority, "<3>" error, "<4>" warning,
 * "<6>" info, "<7>" debug, which journald reads (SyslogLevelPrefix=yes).
 */
void log_set_syslog_prefix(int on);
/* The priority prefix for level when that is on, else "". */
const char *log_prefix(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif

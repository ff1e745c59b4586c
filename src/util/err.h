/*
 * err.h: nvault's one error convention. Functions return an enum nv_status
 * (0 = OK) and, when given one, fill a caller-supplied struct nv_err with a
 * message a person can act on. Lower layers never print or exit; the CLI
 * decides how to show the message and which exit code to use.
 */
#ifndef NV_ERR_H
#define NV_ERR_H

#include <stdarg.h>

enum nv_status {
	NV_OK = 0,
	NV_ERR,		 /* the work failed (generic) */
	NV_EUSAGE,	 /* bad command-line use */
	NV_ECONFIG,	 /* invalid configuration */
	NV_EINVAL,	 /* invalid argument or input data */
	NV_ENOTFOUND,	 /* no such task / version / row */
	NV_ELOCKED,	 /* another sync holds the lock */
	NV_EBUSY,	 /* store busy after retries */
	NV_EIO,		 /* file or database I/O failed */
	NV_ESCHEMA,	 /* store schema too new / corrupt */
	NV_EHTTP,	 /* Notion answered with an error */
	NV_ENET,	 /* network / transport failure */
	NV_EBREAKER,	 /* circuit breaker open: failing fast */
	NV_EINTERRUPTED, /* stopped by a signal or a cancel request */
	NV_ETAMPERED,	 /* verify found a problem */
};

#define NV_ERR_MSG_MAX 8192

struct nv_err {
	enum nv_status code;
	int http_status; /* set by the Notion client; 0 otherwise */
	char msg[NV_ERR_MSG_MAX];
};

/* Clears an error (code NV_OK, empty message). err may be NULL. */
void nv_err_clear(struct nv_err *err);
/*
 * Records code and a printf-style message in err (which may be NULL) and
 * returns code, so callers can write `return nv_err_set(err, NV_EINVAL, ...)`.
 */
int nv_err_set(struct nv_err *err, enum nv_status code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prefixes the existing message with "<prefix>: ". Returns err->code. */
int nv_err_prefix(struct nv_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Process exit code for a status, per SPEC §1 (0, 1, 2 or 3). */
int nv_exit_code(enum nv_status code);
/* Short stable name of a status ("locked", "config", ...). */
const char *nv_status_name(enum nv_status code);

#endif

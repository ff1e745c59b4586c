/*
 * err.c: error records and the status → exit-code table; see err.h.
 */
#include "util/err.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	int exit_code;
} status_table[] = {
	[NV_OK] = {"ok", 0},
	[NV_ERR] = {"error", 1},
	[NV_EUSAGE] = {"usage", 2},
	[NV_ECONFIG] = {"config", 2},
	[NV_EINVAL] = {"invalid", 1},
	[NV_ENOTFOUND] = {"not_found", 1},
	[NV_ELOCKED] = {"locked", 3},
	[NV_EBUSY] = {"busy", 1},
	[NV_EIO] = {"io", 1},
	[NV_ESCHEMA] = {"schema", 1},
	[NV_EHTTP] = {"http", 1},
	[NV_ENET] = {"network", 1},
	[NV_EBREAKER] = {"circuit_open", 1},
	[NV_EINTERRUPTED] = {"interrupted", 1},
	[NV_ETAMPERED] = {"tampered", 1},
};

void nv_err_clear(struct nv_err *err)
{
	if (!err)
		return;
	err->code = NV_OK;
	err->http_status = 0;
	err->msg[0] = '\0';
}

int nv_err_set(struct nv_err *err, enum nv_status code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int nv_err_prefix(struct nv_err *err, const char *fmt, ...)
{
	char old[NV_ERR_MSG_MAX];
	va_list ap;
	int n;

	if (!err)
		return NV_ERR;
	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n + 2 < sizeof(err->msg)) {
		size_t room = sizeof(err->msg) - (size_t)n;
		memcpy(err->msg + n, ": ", 2);
		memcpy(err->msg + n + 2, old, room - 2);
		err->msg[sizeof(err->msg) - 1] = '\0';
	}
	return err->code;
}

int nv_exit_code(enum nv_status code)
{
	if ((unsigned)code >= sizeof(status_table) / sizeof(status_table[0]))
		return 1;
	return status_table[code].exit_code;
}

const char *nv_status_name(enum nv_status code)
{
	if ((unsigned)code >= sizeof(status_table) / sizeof(status_table[0]))
		return "error";
	return status_table[code].name;
}

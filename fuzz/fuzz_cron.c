/*
 * fuzz_cron.c: libFuzzer target for the cron parser and run-time search.
 * Any input must parse or be refused with a message; an accepted
 * expression must yield a next run strictly after and a previous run at or
 * before several probe instants (in a DST zone, around its changes), and
 * the previous run of a run must be that run itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sched/cron.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* 2026-03-08 06:59:30Z (NY spring forward), 2026-11-01 05:30Z (fall back), 2026-06-15 */
	static const int64_t probes[] = {INT64_C(1772953170000), INT64_C(1777613400000),
					 INT64_C(1781524800000)};
	static int zone_set;
	char text[512];
	struct cron_expr e;
	struct nv_err err;

	if (!zone_set) {
		setenv("TZ", "America/New_York", 1);
		tzset();
		zone_set = 1;
	}
	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data, size);
	text[size] = '\0';
	nv_err_clear(&err);
	if (cron_parse(text, &e, &err)) {
		if (err.code != NV_EINVAL || !err.msg[0])
			abort();
		return 0;
	}
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		int64_t next, prev, again;
		if (cron_next(&e, probes[i], &next) || next <= probes[i] || next % 60000)
			abort();
		if (cron_prev(&e, probes[i], &prev) || prev > probes[i])
			abort();
		if (cron_prev(&e, next, &again) || again != next)
			abort();
		if (cron_next(&e, prev, &again) || again <= prev)
			abort();
	}
	return 0;
}

/*
 * fuzz_retry_after.c: libFuzzer target for the Retry-After parser and the
 * retry decision, which read a header a server controls. Any input must
 * parse or be refused without a crash; an accepted value never yields a
 * negative delay; a retry decision never asks for a negative delay or one
 * beyond the policy's caps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/retry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static double fuzz_rand(void *ud)
{
	return *(const double *)ud;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int statuses[] = {429, 529, 500, 503, 404};
	const int64_t now = INT64_C(1445412480000); /* 2015-10-21T07:28:00Z */
	struct retry_policy p;
	char text[256];
	int64_t delay = -1;
	double r = size ? (double)data[0] / 256.0 : 0.0;

	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data, size);
	text[size] = '\0';

	if (retry_parse_retry_after(text, now, &delay) == 0 && delay < 0)
		abort();
	retry_policy_default(&p);
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		struct retry_attempt a = {.http_status = statuses[i],
					  .attempt = size ? data[size - 1] % 5 : 0,
					  .retry_after = text,
					  .now_ms = now};
		if (retry_decide(&p, &a, fuzz_rand, &r, &delay)) {
			if (delay < 0 || (delay > p.max_backoff_ms && delay > p.max_retry_after_ms))
				abort();
		} else if (delay != 0) {
			abort();
		}
	}
	return 0;
}

/*
 * nv_assert.c: the failure path of NV_ASSERT (nv_assert.h). The one place
 * below the CLI that writes to stderr: an invariant is broken, so the
 * process ends before it can write anything wrong into the store.
 */
#include "util/nv_assert.h"

#include <stdio.h>
#include <stdlib.h>

void nv_assert_fail(const char *cond, const char *file, int line)
{
	fprintf(stderr, "nvault: assertion failed: %s:%d: %s\n", file, line, cond);
	fflush(stderr);
	abort();
}

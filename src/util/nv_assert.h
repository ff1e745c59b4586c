/*
 * nv_assert.h: NV_ASSERT(cond), the invariants the comments state, checked
 * in every build (not only debug ones: a broken invariant in a backup tool
 * must stop it before it writes something wrong). A failed assertion prints
 * "nvault: assertion failed: FILE:LINE: COND" to stderr and aborts. It is
 * for programming errors only; bad input and failed I/O return a status.
 */
#ifndef NV_ASSERT_H
#define NV_ASSERT_H

/* Prints where and what failed, then aborts. Never returns. */
void nv_assert_fail(const char *cond, const char *file, int line) __attribute__((noreturn));

#define NV_ASSERT(cond) ((cond) ? (void)0 : nv_assert_fail(#cond, __FILE__, __LINE__))

#endif

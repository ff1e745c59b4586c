/*
 * iofail.c: an LD_PRELOAD shim that fails one chosen write or fsync of the
 * store's files (issue 15: I/O fault injection). Every write(), pwrite(),
 * pwrite64(), fsync() and fdatasync() on a file whose path contains
 * $NV_IOFAIL_MATCH is counted; the $NV_IOFAIL_AT-th one fails with EIO
 * (0 or unset: none fails), and with $NV_IOFAIL_FROM=N every one from the
 * N-th on fails with ENOSPC (a disk that filled up); with
 * $NV_IOFAIL_MAX_BYTES=B a write reaching past byte B of its file fails with
 * ENOSPC (a disk with B bytes for that file: a rolled-back transaction frees
 * its WAL tail again, as on a real full disk). At exit the count is written to
 * $NV_IOFAIL_COUNT_FILE, so a test first counts the I/O of a sync, then
 * fails each of them in turn.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static long io_count;
static long fail_at = -1;
static long fail_from;
static long long max_bytes;
static const char *match;

static void init(void)
{
	const char *at;

	if (fail_at >= 0)
		return;
	at = getenv("NV_IOFAIL_AT");
	fail_at = at ? atol(at) : 0;
	at = getenv("NV_IOFAIL_FROM");
	fail_from = at ? atol(at) : 0;
	at = getenv("NV_IOFAIL_MAX_BYTES");
	max_bytes = at ? atoll(at) : 0;
	match = getenv("NV_IOFAIL_MATCH");
}

/*
 * Whether this I/O on fd is the one to fail (and counts it when it is the
 * store's). end: the file offset the write reaches (-1: not a write, or unknown).
 */
static int fail_io(int fd, long long end)
{
	char link[64], path[4096];
	ssize_t n;
	long k;

	init();
	if (!match || !*match)
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0)
		return 0;
	path[n] = '\0';
	if (!strstr(path, match))
		return 0;
	k = __atomic_add_fetch(&io_count, 1, __ATOMIC_SEQ_CST);
	if (fail_at > 0 && k == fail_at) {
		errno = EIO;
		return 1;
	}
	if ((fail_from > 0 && k >= fail_from) || (max_bytes > 0 && end > max_bytes)) {
		errno = ENOSPC;
		return 1;
	}
	return 0;
}

static int fail_now(int fd)
{
	return fail_io(fd, -1);
}

typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*pwrite64_fn)(int, const void *, size_t, off64_t);
typedef int (*sync_fn)(int);

ssize_t write(int fd, const void *buf, size_t n)
{
	static write_fn real;

	if (!real)
		real = (write_fn)dlsym(RTLD_NEXT, "write");
	return fail_io(fd, (long long)lseek(fd, 0, SEEK_CUR) + (long long)n) ? -1
									     : real(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	static pwrite_fn real;

	if (!real)
		real = (pwrite_fn)dlsym(RTLD_NEXT, "pwrite");
	return fail_io(fd, (long long)off + (long long)n) ? -1 : real(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	static pwrite64_fn real;

	if (!real)
		real = (pwrite64_fn)dlsym(RTLD_NEXT, "pwrite64");
	return fail_io(fd, (long long)off + (long long)n) ? -1 : real(fd, buf, n, off);
}

int fsync(int fd)
{
	static sync_fn real;

	if (!real)
		real = (sync_fn)dlsym(RTLD_NEXT, "fsync");
	return fail_now(fd) ? -1 : real(fd);
}

int fdatasync(int fd)
{
	static sync_fn real;

	if (!real)
		real = (sync_fn)dlsym(RTLD_NEXT, "fdatasync");
	return fail_now(fd) ? -1 : real(fd);
}

__attribute__((destructor)) static void report(void)
{
	const char *file = getenv("NV_IOFAIL_COUNT_FILE");
	FILE *f;

	if (!file || !(f = fopen(file, "w")))
		return;
	fprintf(f, "%ld\n", io_count);
	fclose(f);
}

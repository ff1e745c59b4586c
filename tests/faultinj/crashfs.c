/*
 * crashfs.c: an LD_PRELOAD shim that simulates a power cut (issue 15: the
 * crash test SQLite's own test suite runs with its crash VFS). Every
 * write(), pwrite(), pwrite64(), ftruncate(), fsync() and fdatasync() on a
 * file whose path contains $NV_CRASH_MATCH (except SQLite's -shm, which
 * holds no data and is rebuilt after a crash) is counted. At the
 * $NV_CRASH_AT-th one (0 or unset: never) the process "loses power" before
 * that I/O happens: every file it wrote goes back to what it held at its
 * last fsync/fdatasync (or, never synced, to what it held when this process
 * first wrote to it; a file it unlinked stays empty), and the process is
 * killed with SIGKILL ($NV_CRASH_KEEP=1: killed only, as by kill -9, with
 * every write kept). So every write
 * not yet synced is dropped, the worst a kernel may do on a crash.
 *
 * The durable image of each file is kept in $NV_CRASH_DIR (a private
 * directory the test makes). At exit the count is written to
 * $NV_CRASH_COUNT_FILE, so a test first counts the I/O of a run, then
 * crashes it at each point in turn.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define MAX_FILES 16

typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*pwrite64_fn)(int, const void *, size_t, off64_t);
typedef int (*ftruncate_fn)(int, off_t);
typedef int (*sync_fn)(int);

static write_fn real_write;
static pwrite_fn real_pwrite;
static pwrite64_fn real_pwrite64;
static ftruncate_fn real_ftruncate;
static sync_fn real_fsync, real_fdatasync;

/* A file this process wrote: its path and where its durable image is kept. */
static struct tracked {
	char path[4096];
	char image[4096];
} files[MAX_FILES];
static int n_files;
static long io_count, crash_at = -1;
static const char *match, *image_dir;
/* recursive: a crash point inside a tracked I/O restores under the same lock */
static pthread_mutex_t mu = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

static void init(void)
{
	const char *at;

	if (crash_at >= 0)
		return;
	real_write = (write_fn)dlsym(RTLD_NEXT, "write");
	real_pwrite = (pwrite_fn)dlsym(RTLD_NEXT, "pwrite");
	real_pwrite64 = (pwrite64_fn)dlsym(RTLD_NEXT, "pwrite64");
	real_ftruncate = (ftruncate_fn)dlsym(RTLD_NEXT, "ftruncate");
	real_fsync = (sync_fn)dlsym(RTLD_NEXT, "fsync");
	real_fdatasync = (sync_fn)dlsym(RTLD_NEXT, "fdatasync");
	match = getenv("NV_CRASH_MATCH");
	image_dir = getenv("NV_CRASH_DIR");
	at = getenv("NV_CRASH_AT");
	crash_at = at ? atol(at) : 0;
}

/* Copies the file from to the file to (created or truncated); 0 or -1. */
static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	if (in < 0 && errno == ENOENT)
		in = open("/dev/null", O_RDONLY | O_CLOEXEC); /* not there yet: empty */
	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (real_write(out, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
	close(in);
	close(out);
	return n < 0 ? -1 : 0;
}

/* The tracked entry of fd's file (made, with its image, on first sight), or NULL. */
static struct tracked *track(int fd)
{
	char link[64], path[4096];
	ssize_t n;
	size_t len;

	if (!match || !*match || !image_dir)
		return NULL;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0)
		return NULL;
	path[n] = '\0';
	len = (size_t)n;
	if (!strstr(path, match) || (len > 4 && !strcmp(path + len - 4, "-shm")))
		return NULL;
	for (int i = 0; i < n_files; i++)
		if (!strcmp(files[i].path, path))
			return &files[i];
	if (n_files == MAX_FILES)
		abort();
	snprintf(files[n_files].path, sizeof(files[n_files].path), "%s", path);
	snprintf(files[n_files].image, sizeof(files[n_files].image), "%s/file%d", image_dir,
		 n_files);
	if (copy_file(path, files[n_files].image))
		abort();
	return &files[n_files++];
}

/* The power cut: every tracked file back to its durable image, then SIGKILL. */
static void crash(void)
{
	/* NV_CRASH_KEEP=1: a plain kill -9 (the page cache survives), nothing dropped */
	const char *keep = getenv("NV_CRASH_KEEP");

	for (int i = 0; i < n_files && !(keep && !strcmp(keep, "1")); i++)
		if (copy_file(files[i].image, files[i].path))
			abort();
	raise(SIGKILL);
	abort();
}

/* Counts one I/O on fd; crashes when it is the chosen one. Returns fd's entry. */
static struct tracked *before_io(int fd)
{
	struct tracked *t;

	init();
	pthread_mutex_lock(&mu);
	t = track(fd);
	if (t && ++io_count == crash_at)
		crash();
	return t;
}

ssize_t write(int fd, const void *buf, size_t n)
{
	ssize_t r;

	before_io(fd);
	r = real_write(fd, buf, n);
	pthread_mutex_unlock(&mu);
	return r;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	ssize_t r;

	before_io(fd);
	r = real_pwrite(fd, buf, n, off);
	pthread_mutex_unlock(&mu);
	return r;
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	ssize_t r;

	before_io(fd);
	r = real_pwrite64(fd, buf, n, off);
	pthread_mutex_unlock(&mu);
	return r;
}

int ftruncate(int fd, off_t len)
{
	int r;

	before_io(fd);
	r = real_ftruncate(fd, len);
	pthread_mutex_unlock(&mu);
	return r;
}

/* After a successful sync the file's current contents are its durable image. */
static int synced(int fd, sync_fn real)
{
	struct tracked *t = before_io(fd);
	int r = real(fd);

	if (r == 0 && t && copy_file(t->path, t->image))
		abort();
	pthread_mutex_unlock(&mu);
	return r;
}

int fsync(int fd)
{
	init();
	return synced(fd, real_fsync);
}

int fdatasync(int fd)
{
	init();
	return synced(fd, real_fdatasync);
}

/* A tracked file removed (SQLite's WAL at the last close): gone for good. */
int unlink(const char *path)
{
	static int (*real_unlink)(const char *);
	int r;

	init();
	if (!real_unlink)
		real_unlink = (int (*)(const char *))dlsym(RTLD_NEXT, "unlink");
	pthread_mutex_lock(&mu);
	r = real_unlink(path);
	for (int i = 0; r == 0 && i < n_files; i++)
		if (!strcmp(files[i].path, path) && copy_file("/dev/null", files[i].image))
			abort();
	pthread_mutex_unlock(&mu);
	return r;
}

__attribute__((destructor)) static void report(void)
{
	const char *file = getenv("NV_CRASH_COUNT_FILE");
	FILE *f;

	if (!file || !(f = fopen(file, "w")))
		return;
	fprintf(f, "%ld\n", io_count);
	fclose(f);
}

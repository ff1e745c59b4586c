/*
 * bench_store.c: how fast the store answers on a big database. Builds (or
 * reuses) a store of N tasks with V versions each (default 100,000 x 5,
 * Notion-like rows with metadata), then reports p50/p99 in-process latency
 * of get, history, a list page, full-text search and an as-of view of the
 * whole database, and the wall time of the real CLI (`nvault task get` and
 * `nvault task history`, process start to exit).
 *
 *   bench_store [--tasks N] [--versions V] [--db PATH] [--keep] [--nvault BIN]
 *
 * The nvault binary comes from --nvault, else $NVAULT, else "nvault" next
 * to this program. An existing --db with the right number of tasks is
 * reused, so repeated runs skip the build. Each figure is also printed as a
 * `BENCH figure|value|unit|rows|target` line for scripts/bench.sh.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "util/buf.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

extern char **environ;

static const char *const words[] = {
	"migrate",  "database", "backup",     "invoice", "customer", "release",
	"sprint",   "design",	"review",     "deploy",	 "kitchen",  "pipeline",
	"latency",  "budget",	"onboarding", "audit",	 "roadmap",  "feedback",
	"security", "report",	"mobile",     "search",	 "billing",  "support",
};
#define N_WORDS (sizeof(words) / sizeof(words[0]))

static const char *const areas[] = {"backend", "frontend", "ops", "sales", "docs", "infra"};

static int64_t bench_now;

static int64_t bench_clock(void)
{
	return bench_now++;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void page_id(int64_t i, char out[64])
{
	snprintf(out, 64, "%08llx-0000-4000-8000-%012llx", (unsigned long long)(i & 0xffffffff),
		 (unsigned long long)(i & 0xffffffffffffLL));
}

/* The desired state of task i in version v (1-based): something changes each version. */
static void make_task(struct task *t, int64_t i, int v)
{
	char buf[256], page[64];

	task_init(t);
	snprintf(buf, sizeof(buf), "%s the %s %s #%lld", words[i % N_WORDS],
		 words[(i / N_WORDS) % N_WORDS], v >= 3 ? "(revised)" : "", (long long)i);
	t->title = xstrdup(buf);
	snprintf(buf, sizeof(buf), "Notes on %s and %s, revision %d. Owner follows up with %s.",
		 words[(i * 7) % N_WORDS], words[(i * 11) % N_WORDS], v, words[(i * 3) % N_WORDS]);
	t->description = xstrdup(buf);
	t->status = xstrdup(task_status_names[(i + v) % task_status_count]);
	t->notion_status = xstrdup(t->status);
	t->category = xstrdup(areas[i % 6]);
	t->assignee = xstrdup(v >= 4 ? "Ada" : "Grace");
	t->due_date = xstrdup(v >= 2 ? "2026-03-01" : "2026-02-01");
	t->tags = json_pack("[ss]", areas[(i + 1) % 6], words[(i * 5) % N_WORDS]);
	/* the shape the mapper writes: {"type", "value"} per property */
	t->metadata = json_pack("{s:{s:{s:s,s:f},s:{s:s,s:[{s:s}]}}}", "notionProperties",
				"Estimate", "type", "number", "value", (double)(i % 13), "Owner",
				"type", "people", "value", "name", v >= 4 ? "Ada" : "Grace");
	t->source = xstrdup("notion");
	t->notion_database_id = xstrdup("1a2b3c4d-5e6f-47a8-b9c0-d1e2f3a4b5c6");
	t->notion_data_source_id = xstrdup("2b3c4d5e-6f70-48a9-b0c1-d2e3f4a5b6c7");
	page_id(i, page);
	t->notion_page_id = xstrdup(page);
	snprintf(buf, sizeof(buf), "https://www.notion.so/%lld", (long long)i);
	t->notion_url = xstrdup(buf);
	t->notion_created_time = xstrdup("2026-01-01T00:00:00.000Z");
	snprintf(buf, sizeof(buf), "2026-01-0%dT00:00:00.000Z", v);
	t->notion_last_edited_time = xstrdup(buf);
}

static void die(const char *what, const struct nv_err *err)
{
	fprintf(stderr, "bench_store: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

static void build_store(struct store *s, int64_t ntasks, int nversions)
{
	const struct version_info vi = {"notion-sync", "updated in Notion", 0};
	struct nv_err err;
	int64_t t0 = time_mono_ms();

	/* version v of every task is written on "day" v, so as-of has a meaning */
	for (int v = 1; v <= nversions; v++) {
		time_parse_iso("2026-01-01T00:00:00Z", &bench_now);
		bench_now += (int64_t)v * 86400000;
		time_set_clock(bench_clock);
		for (int64_t i = 0; i < ntasks; i++) {
			struct task t;
			enum put_outcome out;
			if (i % 5000 == 0 && store_begin(s, &err))
				die("begin", &err);
			make_task(&t, i, v);
			if (store_task_put(s, &t, &vi, &out, &err))
				die("put", &err);
			task_release(&t);
			if ((i % 5000 == 4999 || i == ntasks - 1) && store_commit(s, &err))
				die("commit", &err);
		}
		fprintf(stderr, "  version %d of %lld tasks written (%.1f s)\n", v,
			(long long)ntasks, (double)(time_mono_ms() - t0) / 1000.0);
	}
	time_set_clock(NULL);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* CPU time of this thread: what a call costs, whatever else the machine runs */
static double cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* tasks in the store, for the BENCH lines */
static int64_t bench_tasks;

/*
 * Prints the p50 and p99 of n timings (sorted in place), and the same as
 * `BENCH figure|value|unit|rows|target` lines for scripts/bench.sh: in us
 * for in-process calls, in ms for the CLI ("CLI: ..." names).
 */
static void report(const char *name, double *us, int n, const char *target)
{
	int cli = !strncmp(name, "CLI", 3);
	double scale = cli ? 1000.0 : 1.0, p50, p99;

	qsort(us, (size_t)n, sizeof(double), cmp_double);
	p50 = us[n / 2];
	p99 = us[(int)((double)n * 0.99) < n ? (int)((double)n * 0.99) : n - 1];
	printf("%-37s n=%-5d p50 %10.3f ms   p99 %10.3f ms\n", name, n, p50 / 1000.0, p99 / 1000.0);
	printf("BENCH store: %s, p50|%.*f|%s|%lld|%s\n", name, cli ? 2 : 1, p50 / scale,
	       cli ? "ms" : "us", (long long)bench_tasks, target);
	printf("BENCH store: %s, p99|%.*f|%s|%lld|\n", name, cli ? 2 : 1, p99 / scale,
	       cli ? "ms" : "us", (long long)bench_tasks);
}

/* Is benchmark section name selected by --only (NULL: all)? */
static int want(const char *only, const char *name)
{
	return !only || !strcmp(only, name);
}

static int count_cb(void *ud, const struct task_version *v)
{
	(*(int64_t *)ud)++;
	return 0;
}

/* Runs nvault with args, stdout to /dev/null; returns the wall time in us. */
static double run_cli(const char *bin, char *const *argv)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status;
	double t0 = now_us();

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, bin, &fa, NULL, argv, environ)) {
		fprintf(stderr, "bench_store: cannot run %s\n", bin);
		exit(1);
	}
	waitpid(pid, &status, 0);
	posix_spawn_file_actions_destroy(&fa);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "bench_store: %s %s %s failed\n", bin, argv[1], argv[2]);
		exit(1);
	}
	return now_us() - t0;
}

int main(int argc, char **argv)
{
	int64_t ntasks = 100000, active = 0, deleted = 0;
	int nversions = 5, keep = 0, reps;
	const char *db = NULL, *only = NULL, *nvault = getenv("NVAULT");
	char tmpdir[64] = "", dbbuf[128], exe[4096];
	struct store *s = NULL;
	struct nv_err err;
	double *us, *cpu;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--tasks") && i + 1 < argc)
			ntasks = atoll(argv[++i]);
		else if (!strcmp(argv[i], "--versions") && i + 1 < argc)
			nversions = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--db") && i + 1 < argc)
			db = argv[++i];
		else if (!strcmp(argv[i], "--nvault") && i + 1 < argc)
			nvault = argv[++i];
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--keep"))
			keep = 1;
		else {
			fprintf(stderr, "usage: bench_store [--tasks N] [--versions V] [--db PATH] "
					"[--keep] [--nvault BIN] [--only "
					"get|history|list|search|as_of|cli]\n");
			return 2;
		}
	}
	if (ntasks < 1 || nversions < 1)
		return 2;
	if (!nvault) {
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 16);
		if (n > 0) {
			exe[n] = '\0';
			char *slash = strrchr(exe, '/');
			snprintf(slash ? slash + 1 : exe, 16, "nvault");
			nvault = exe;
		}
	}
	if (!db) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/nvault-bench-XXXXXX");
		if (!mkdtemp(tmpdir))
			return 1;
		snprintf(dbbuf, sizeof(dbbuf), "%s/bench.db", tmpdir);
		db = dbbuf;
	}
	nv_err_clear(&err);
	if (store_open(db, 0, &s, &err))
		die("open", &err);
	if (store_count_tasks(s, NULL, NULL, &active, &deleted, &err))
		die("count", &err);
	if (active + deleted != ntasks) {
		double t0 = now_us();
		if (active + deleted)
			die("the --db store exists with a different task count", NULL);
		fprintf(stderr, "building %lld tasks x %d versions in %s ...\n", (long long)ntasks,
			nversions, db);
		build_store(s, ntasks, nversions);
		printf("build: %lld tasks x %d versions = %lld versions in %.1f s (%.0f "
		       "versions/s)\n",
		       (long long)ntasks, nversions, (long long)ntasks * nversions,
		       (now_us() - t0) / 1e6, (double)ntasks * nversions / ((now_us() - t0) / 1e6));
		printf("BENCH store: writing versions (build, one transaction per 5,000 "
		       "tasks)|%.0f|"
		       "versions/s|%lld|\n",
		       (double)ntasks * nversions / ((now_us() - t0) / 1e6), (long long)ntasks);
	} else {
		printf("reusing %s (%lld tasks)\n", db, (long long)ntasks);
	}

	bench_tasks = ntasks;
	reps = 2000;
	us = xcalloc((size_t)reps, sizeof(double));
	cpu = xcalloc((size_t)reps, sizeof(double));

	if (want(only, "get")) {
		/* get: half by page id without dashes, half by the task's own id */
		for (int r = 0; r < reps; r++) {
			char page[64], compact[64];
			struct task t;
			int64_t i = (int64_t)(rnd() % (uint64_t)ntasks);
			size_t k = 0;
			page_id(i, page);
			for (const char *p = page; *p; p++)
				if (*p != '-')
					compact[k++] = *p;
			compact[k] = '\0';
			double t0 = now_us();
			if (store_task_get(s, r % 2 ? page : compact, &t, &err))
				die("get", &err);
			us[r] = now_us() - t0;
			task_release(&t);
		}
		report("get (by Notion page id)", us, reps, "< 50 us");
	}

	if (want(only, "history")) {
		for (int r = 0; r < reps; r++) {
			char page[64];
			struct task_version *v;
			size_t n;
			page_id((int64_t)(rnd() % (uint64_t)ntasks), page);
			double t0 = now_us();
			if (store_task_history(s, page, &v, &n, &err))
				die("history", &err);
			us[r] = now_us() - t0;
			if ((int)n != nversions)
				die("history length", NULL);
			task_versions_free(v, n);
		}
		report("history (5 versions)", us, reps, "< 50 us");
	}

	reps = 200;
	if (want(only, "list")) {
		for (int r = 0; r < reps; r++) {
			struct task_filter f = {0};
			struct task_list l;
			f.limit = 50;
			f.offset = r % 4 ? 0 : (int64_t)(rnd() % 5000);
			double t0 = now_us(), c0 = cpu_us();
			if (store_task_list(s, &f, &l, &err))
				die("list", &err);
			us[r] = now_us() - t0;
			cpu[r] = cpu_us() - c0;
			task_list_release(&l);
		}
		report("list page (50, with total count)", us, reps, "");
		report("list page (50, with total count), CPU time", cpu, reps, "");

		/* the next page by cursor, as an agent pages: no count, a key seek */
		{
			struct task_filter f = {0};
			struct task_list l;
			char *cursor = NULL;
			f.limit = 50;
			for (int r = 0; r < reps; r++) {
				f.cursor = cursor;
				double t0 = now_us(), c0 = cpu_us();
				if (store_task_list(s, &f, &l, &err))
					die("list by cursor", &err);
				us[r] = now_us() - t0;
				cpu[r] = cpu_us() - c0;
				free(cursor);
				cursor = l.next_cursor ? xstrdup(l.next_cursor) : NULL;
				task_list_release(&l);
			}
			free(cursor);
			report("list page (50, next page by cursor)", us, reps, "p50 <= 1 ms");
			report("list page (50, next page by cursor), CPU time", cpu, reps, "");
		}
		for (int r = 0; r < reps; r++) {
			struct task_filter f = {0};
			struct task_list l;
			const char *where[] = {"Estimate>=5", "status=open"};
			f.limit = 50;
			f.where = where;
			f.n_where = 2;
			f.sort = "dueDate";
			double t0 = now_us();
			if (store_task_list(s, &f, &l, &err))
				die("list with filters", &err);
			us[r] = now_us() - t0;
			task_list_release(&l);
			if (r == 4)
				break;
		}
		report("list page (Notion property filter + sort, full scan)", us, 5, "");

		for (int r = 0; r < reps; r++) {
			struct task_filter f = {0};
			struct task_list l;
			f.limit = 50;
			f.status = task_status_names[r % task_status_count];
			double t0 = now_us();
			if (store_task_list(s, &f, &l, &err))
				die("list", &err);
			us[r] = now_us() - t0;
			task_list_release(&l);
		}
		report("list page filtered by status", us, reps, "");
	}

	if (want(only, "search")) {
		/* 1-2 words each in about a fifth of the tasks, ranked, as an agent asks */
		for (int page = 10; page <= 50; page += 40) {
			for (int r = 0; r < reps; r++) {
				struct task_filter f = {0};
				struct task_list l;
				char q[64];
				snprintf(q, sizeof(q), "%s %s", words[rnd() % N_WORDS],
					 r % 2 ? words[rnd() % N_WORDS] : "");
				f.search = q;
				f.limit = page;
				double t0 = now_us(), c0 = cpu_us();
				if (store_task_list(s, &f, &l, &err))
					die("search", &err);
				us[r] = now_us() - t0;
				cpu[r] = cpu_us() - c0;
				task_list_release(&l);
			}
			report(page == 10 ? "search (ranked, 1-2 common words, page of 10)"
					  : "search (ranked, 1-2 common words, page of 50)",
			       us, reps, page == 10 ? "p50 <= 5 ms, p99 <= 20 ms" : "");
			report(page == 10 ? "search (ranked, page of 10), CPU time"
					  : "search (ranked, page of 50), CPU time",
			       cpu, reps, "");
		}
	}

	if (want(only, "as_of")) {
		reps = 5;
		for (int r = 0; r < reps; r++) {
			struct task_filter f = {0};
			int64_t seen = 0;
			f.database_id = "1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6";
			double t0 = now_us();
			if (store_task_as_of(s, "2026-01-04T12:00:00Z", &f, count_cb, &seen, &err))
				die("as_of", &err);
			us[r] = now_us() - t0;
			if (r == 0)
				printf("as-of view returned %lld tasks\n", (long long)seen);
		}
		report("as_of (whole database, streamed)", us, reps, "");
	}

	store_close(s);

	if (!want(only, "cli")) {
		/* skipped */
	} else if (nvault && access(nvault, X_OK) == 0) {
		char page[64], dbflag[200];
		reps = 30;
		snprintf(dbflag, sizeof(dbflag), "--db=%s", db);
		for (int r = 0; r < reps; r++) {
			page_id((int64_t)(rnd() % (uint64_t)ntasks), page);
			char *args[] = {(char *)nvault, (char *)"task", (char *)"get",
					page,		dbflag,		NULL};
			us[r] = run_cli(nvault, args);
		}
		report("CLI: nvault task get ID (wall)", us, reps, "< 10 ms");
		for (int r = 0; r < reps; r++) {
			page_id((int64_t)(rnd() % (uint64_t)ntasks), page);
			char *args[] = {(char *)nvault, (char *)"task", (char *)"history",
					page,		dbflag,		NULL};
			us[r] = run_cli(nvault, args);
		}
		report("CLI: nvault task history ID (wall)", us, reps, "< 10 ms");
	} else {
		printf("CLI timings skipped: no nvault binary (use --nvault or NVAULT)\n");
	}
	free(us);
	free(cpu);
	if (tmpdir[0] && !keep) {
		struct buf cmd = BUF_INIT;
		buf_addf(&cmd, "rm -rf '%s'", tmpdir);
		if (system(cmd.data))
			fprintf(stderr, "could not remove %s\n", tmpdir);
		buf_release(&cmd);
	} else if (tmpdir[0]) {
		printf("kept %s\n", db);
	}
	return 0;
}

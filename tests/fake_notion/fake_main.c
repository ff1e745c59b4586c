/*
 * fake_main.c: the fake-notion program. Parses the options (one table),
 * builds the data set (generated or from a fixture), starts the HTTP server
 * on 127.0.0.1, writes the chosen port to --port-file (atomically, so a
 * poller never reads half a number), then waits for SIGINT/SIGTERM and shuts
 * down cleanly, ending stalled requests early and freeing everything.
 *
 *   fake-notion --port 0 --port-file F [--rows N --seed S | --fixture FILE]
 *               [--cap N] [--rate R] [--burst B] [--token T] [--clock ISO]
 */
#include "fake.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "util/buf.h"
#include "util/id.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define STANDARD_DB "1a2b3c4d-5e6f-47a8-b9c0-d1e2f3a4b5c6"
#define STANDARD_DS "2b3c4d5e-6f70-48a9-b0c1-d2e3f4a5b6c7"

struct options {
	long port;
	const char *port_file;
	long rows;
	long seed;
	const char *fixture;
	long cap;
	double rate;
	double burst;
	const char *token;
	const char *clock;
	long latency_ms;
};

enum opt_kind { OPT_LONG, OPT_DOUBLE, OPT_STRING };

static const struct option_def {
	const char *name;
	enum opt_kind kind;
	size_t offset;
	double min, max;
	const char *help;
} option_defs[] = {
	{"--port", OPT_LONG, offsetof(struct options, port), 0, 65535,
	 "TCP port on 127.0.0.1 (0 = any free port)"},
	{"--port-file", OPT_STRING, offsetof(struct options, port_file), 0, 0,
	 "write the bound port to this file once listening"},
	{"--rows", OPT_LONG, offsetof(struct options, rows), 0, 10000000,
	 "rows in the generated standard database (default 100)"},
	{"--seed", OPT_LONG, offsetof(struct options, seed), 0, 2147483647,
	 "seed for generated data (default 1)"},
	{"--fixture", OPT_STRING, offsetof(struct options, fixture), 0, 0,
	 "load databases from a JSON fixture instead"},
	{"--cap", OPT_LONG, offsetof(struct options, cap), 1, 2147483647,
	 "results per query before request_status incomplete (default 10000)"},
	{"--rate", OPT_DOUBLE, offsetof(struct options, rate), 0, 1e6,
	 "enforce R requests/s with 429 + Retry-After (default 0 = off)"},
	{"--burst", OPT_DOUBLE, offsetof(struct options, burst), 0, 1e6,
	 "token bucket capacity (default max(1, R))"},
	{"--token", OPT_STRING, offsetof(struct options, token), 0, 0,
	 "required bearer token (default: any non-empty token)"},
	{"--clock", OPT_STRING, offsetof(struct options, clock), 0, 0,
	 "start the fake clock at this ISO time (default: now)"},
	{"--latency-ms", OPT_LONG, offsetof(struct options, latency_ms), 0, 600000,
	 "delay every API answer by this many ms, requests overlapping (default 0)"},
};

#define N_OPTIONS (sizeof(option_defs) / sizeof(option_defs[0]))

static void usage(FILE *out)
{
	fprintf(out, "usage: fake-notion --port 0 --port-file F [options]\n\n");
	for (size_t i = 0; i < N_OPTIONS; i++)
		fprintf(out, "  %-12s %s\n", option_defs[i].name, option_defs[i].help);
	fprintf(out,
		"\nSee docs/internals/fake-notion.md for the fixture format and control API.\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
	for (int i = 1; i < argc; i++) {
		const struct option_def *d = NULL;
		char *end;

		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			exit(0);
		}
		for (size_t k = 0; k < N_OPTIONS; k++)
			if (!strcmp(argv[i], option_defs[k].name))
				d = &option_defs[k];
		if (!d) {
			fprintf(stderr, "fake-notion: unknown option '%s'\n", argv[i]);
			return -1;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "fake-notion: %s needs a value\n", d->name);
			return -1;
		}
		i++;
		if (d->kind == OPT_STRING) {
			*(const char **)((char *)o + d->offset) = argv[i];
			continue;
		}
		errno = 0;
		double v = strtod(argv[i], &end);
		if (errno || *end || end == argv[i] || v < d->min || v > d->max ||
		    (d->kind == OPT_LONG && v != (double)(long)v)) {
			fprintf(stderr, "fake-notion: %s: '%s' is not a %s from %g to %g\n",
				d->name, argv[i], d->kind == OPT_LONG ? "whole number" : "number",
				d->min, d->max);
			return -1;
		}
		if (d->kind == OPT_LONG)
			*(long *)((char *)o + d->offset) = (long)v;
		else
			*(double *)((char *)o + d->offset) = v;
	}
	if (o->fixture && o->rows >= 0) {
		fprintf(stderr, "fake-notion: use either --fixture or --rows, not both\n");
		return -1;
	}
	return 0;
}

static int write_port_file(const char *path, unsigned port)
{
	struct buf tmp = BUF_INIT;
	FILE *f;
	int ok;

	buf_addf(&tmp, "%s.tmp", path);
	f = fopen(tmp.data, "w");
	if (!f) {
		fprintf(stderr, "fake-notion: cannot write %s: %s\n", tmp.data, strerror(errno));
		buf_release(&tmp);
		return -1;
	}
	fprintf(f, "%u\n", port);
	ok = fclose(f) == 0 && rename(tmp.data, path) == 0;
	if (!ok)
		fprintf(stderr, "fake-notion: cannot write %s: %s\n", path, strerror(errno));
	buf_release(&tmp);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct options o = {0, NULL, -1, 1, NULL, FAKE_DEFAULT_CAP, 0, 0, NULL, NULL, 0};
	struct buf err = BUF_INIT;
	sigset_t sigs;
	unsigned port;
	int sig, status = 1;
	int64_t t0;
	size_t n_rows = 0;

	if (parse_options(argc, argv, &o) < 0) {
		usage(stderr);
		return 2;
	}
	pthread_mutex_init(&fake.lock, NULL);
	pthread_cond_init(&fake.wake, NULL);
	fake.cap = o.cap;
	fake.rate = o.rate;
	fake.latency_ms = o.latency_ms;
	fake.burst = o.burst;
	fake.token = o.token;
	if (o.clock) {
		int64_t start;
		if (time_parse_iso(o.clock, &start) < 0) {
			fprintf(stderr, "fake-notion: --clock: '%s' is not an ISO 8601 time\n",
				o.clock);
			return 2;
		}
		fake.clock_offset_ms = start - time_now_ms();
	}
	{
		/* the cursor key makes cursors opaque and unforgeable per run */
		char a[ID_DASHED_LEN + 1];
		id_new_uuid(a);
		for (int i = 0; i < 16; i++)
			fake.cursor_key[i] = (unsigned char)a[i * 2] ^ (unsigned char)a[i * 2 + 1]
									       << 3;
	}

	t0 = time_mono_ms();
	data_init_users();
	if (o.fixture) {
		if (data_load_fixture(o.fixture, &err) < 0) {
			fprintf(stderr, "fake-notion: fixture: %s\n", err.data);
			status = 2;
			goto out;
		}
	} else {
		size_t db = data_add_db(STANDARD_DB, "Engineering tasks");
		size_t s = data_add_source(db, STANDARD_DS, "Tasks");

		data_standard_schema(&fake.sources[s]);
		data_generate(s, (uint32_t)(o.rows >= 0 ? o.rows : 100), (uint64_t)o.seed);
	}
	for (size_t s = 0; s < fake.n_sources; s++)
		n_rows += fake.sources[s].n_rows;

	/* block the signals before any thread starts, then take them with sigwait */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (http_start((unsigned)o.port, &port) < 0) {
		fprintf(stderr, "fake-notion: cannot listen on 127.0.0.1:%ld\n", o.port);
		goto out;
	}
	fprintf(stderr,
		"fake-notion: %zu databases, %zu rows ready in %lld ms; listening on "
		"127.0.0.1:%u\n",
		fake.n_dbs, n_rows, (long long)(time_mono_ms() - t0), port);
	if (o.port_file && write_port_file(o.port_file, port) < 0) {
		http_stop();
		goto out;
	}
	sigwait(&sigs, &sig);
	http_stop();
	{
		/* what the fake itself cost, so benchmarks can tell its share */
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		fprintf(stderr,
			"fake-notion: served %llu API requests; CPU user %.2f s, system %.2f s; "
			"max RSS %ld MB\n",
			(unsigned long long)fake.api_requests,
			ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
			ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss / 1024);
	}
	status = 0;
out:
	buf_release(&err);
	faults_free();
	log_free();
	data_free();
	pthread_cond_destroy(&fake.wake);
	pthread_mutex_destroy(&fake.lock);
	return status;
}

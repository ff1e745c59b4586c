/*
 * bench_ratelimit.c: does the client's token bucket keep a sync under
 * Notion's rate limit without wasting time? Starts the fake Notion server
 * enforcing 3 requests/s (--rate 3: 429 + Retry-After beyond that), then
 * sends 60 requests through one client at its default rate (one database
 * GET and 59 query pages of 10 rows) and reports the 429s seen (target 0)
 * and the wall time against the 20 s floor that 60 requests at 3/s need
 * (target: at most 10% over). Also prints `BENCH figure|value|unit|rows|target`
 * lines for scripts/bench.sh.
 *
 *   bench_ratelimit [path/to/fake-notion]
 *
 * Without an argument the fake is $FAKE_NOTION, else fake-notion next to
 * this program. Exits 1 if a target is missed.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/unit/fake_proc.h"
#include "notion/notion.h"
#include "util/timeutil.h"

#define REQUESTS 60
#define RATE 3.0
#define PAGE_SIZE 10

static int count_rows(void *ud, json_t *rows, struct nv_err *err)
{
	*(size_t *)ud += json_array_size(rows);
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const args[] = {"--rows", "590", "--seed", "11", "--rate", "3", NULL};
	struct fake_proc f;
	struct notion_client_opts o = {.token = "secret_bench", .max_retries = -1};
	struct notion_client *c;
	struct notion_query q = {.data_source = 1,
				 .id = "2b3c4d5e-6f70-48a9-b0c1-d2e3f4a5b6c7",
				 .page_size = PAGE_SIZE};
	struct notion_stats st;
	struct nv_err err;
	json_t *db = NULL, *log, *e;
	size_t rows = 0, i, fake_429 = 0;
	int64_t t0, elapsed;
	double floor_s = REQUESTS / RATE, wall_s, over;
	char self[4096], fake_path[4200];
	int ok;

	if (argc > 1) {
		setenv("FAKE_NOTION", argv[1], 1);
	} else if (!getenv("FAKE_NOTION")) {
		snprintf(self, sizeof(self), "%s", argv[0]);
		snprintf(fake_path, sizeof(fake_path), "%s/fake-notion", dirname(self));
		setenv("FAKE_NOTION", fake_path, 1);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (fake_proc_start(&f, args) != 0) {
		fake_proc_stop(&f, 1);
		return 2;
	}
	o.base_url = f.base_url;
	if (notion_client_new(&o, &c, &err) != NV_OK) {
		fprintf(stderr, "bench_ratelimit: %s\n", err.msg);
		fake_proc_stop(&f, 1);
		return 2;
	}
	fake_proc_clear_log(&f);

	t0 = time_mono_ms();
	if (notion_retrieve_database(c, "1a2b3c4d-5e6f-47a8-b9c0-d1e2f3a4b5c6", &db, &err) ||
	    notion_query(c, &q, count_rows, &rows, &err)) {
		fprintf(stderr, "bench_ratelimit: %s\n", err.msg);
		notion_client_free(c);
		fake_proc_stop(&f, 1);
		return 2;
	}
	elapsed = time_mono_ms() - t0;
	json_decref(db);
	notion_client_stats(c, &st);

	log = fake_proc_log(&f);
	json_array_foreach(log, i, e) if (json_integer_value(json_object_get(e, "status")) == 429)
		fake_429++;
	json_decref(log);

	wall_s = (double)elapsed / 1000.0;
	over = (wall_s / floor_s - 1.0) * 100.0;
	ok = st.rate_limited == 0 && fake_429 == 0 && over <= 10.0 && rows == 590;
	printf("bench_ratelimit: %lld requests (%zu rows) through the client at its default "
	       "3 req/s, fake enforcing 3 req/s\n",
	       (long long)st.requests, rows);
	printf("  429 answers: %lld seen by the client, %zu in the fake's log (target 0)\n",
	       (long long)st.rate_limited, fake_429);
	printf("  wall time:   %.2f s vs the %.1f s floor: %+.1f%% (target <= +10%%)\n", wall_s,
	       floor_s, over);
	printf("  throttle:    %lld ms waited for the token bucket, %lld retries\n",
	       (long long)st.throttle_wait_ms, (long long)st.retries);
	printf("RESULT bench_ratelimit requests=%lld http429=%lld wall_s=%.2f floor_s=%.1f "
	       "over_pct=%.1f %s\n",
	       (long long)st.requests, (long long)st.rate_limited + (long long)fake_429, wall_s,
	       floor_s, over, ok ? "PASS" : "FAIL");
	/* for scripts/bench.sh: BENCH figure|value|unit|rows|target */
	printf("BENCH client at 3 req/s vs fake at 3 req/s: wall time for %d requests|%.2f|s|%zu|"
	       "<= %.1f s floor + 10%%\n",
	       REQUESTS, wall_s, rows, floor_s);
	printf("BENCH client at 3 req/s vs fake at 3 req/s: over the floor|%+.1f|%%|%zu|<= +10%%\n",
	       over, rows);
	printf("BENCH client at 3 req/s vs fake at 3 req/s: 429 answers|%lld|answers|%zu|0\n",
	       (long long)st.rate_limited + (long long)fake_429, rows);
	notion_client_free(c);
	fake_proc_stop(&f, 0);
	curl_global_cleanup();
	return ok ? 0 : 1;
}

/*
 * bench_mcp.c: throughput of `nvault mcp` over one session: the real
 * binary on pipes, initialize, one memory_task add, then N memory_task get
 * calls (default 10,000) written by one thread while this one reads and
 * counts the replies. Reports calls per second and the mean latency per
 * call (pipelined, so this is server cost, not round-trip time).
 *
 *   bench_mcp [NVAULT_BINARY] [CALLS]
 *
 * Without a binary argument it runs $NVAULT, else the nvault next to this
 * program; CALLS defaults to 10,000. Prints one human line, one JSON
 * line and `BENCH figure|value|unit|rows|target` lines for scripts/bench.sh;
 * exits 1 if any call failed.
 *
 * The store is a fresh file in a temporary directory, removed afterwards.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "jsonrpc/jsonrpc.h"
#include "util/buf.h"
#include "util/timeutil.h"

struct writer {
	int fd;
	long calls;
	char task_id[64];
};

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			perror("bench_mcp: write");
			exit(1);
		}
		p += w;
		n -= (size_t)w;
	}
}

static void *write_gets(void *arg)
{
	struct writer *w = arg;
	struct buf b = BUF_INIT;

	for (long i = 0; i < w->calls; i++) {
		buf_reset(&b);
		buf_addf(&b,
			 "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":\"tools/"
			 "call\",\"params\":{\"name\":"
			 "\"memory_task\",\"arguments\":{\"action\":\"get\",\"id\":\"%s\"}}}\n",
			 i + 100, w->task_id);
		write_all(w->fd, b.data, b.len);
	}
	buf_release(&b);
	close(w->fd);
	return NULL;
}

/* Reads one reply line; returns the parsed message (new reference) or exits. */
static json_t *read_reply(struct line_reader *r)
{
	json_error_t e;
	json_t *m;
	int st;

	do
		st = line_reader_next(r);
	while (st == LINE_INTR);
	if (st != LINE_OK) {
		fprintf(stderr, "bench_mcp: server closed its output early\n");
		exit(1);
	}
	if (!(m = json_loadb(r->line.data, r->line.len, 0, &e))) {
		fprintf(stderr, "bench_mcp: bad reply: %.200s\n", r->line.data);
		exit(1);
	}
	return m;
}

/* $NVAULT, else the nvault binary in this program's directory. */
static const char *default_binary(void)
{
	static char path[4096];
	ssize_t n;
	char *slash;

	if (getenv("NVAULT") && *getenv("NVAULT"))
		return getenv("NVAULT");
	n = readlink("/proc/self/exe", path, sizeof(path) - 16);
	if (n <= 0)
		return "./nvault";
	path[n] = '\0';
	slash = strrchr(path, '/');
	snprintf(slash + 1, sizeof(path) - (size_t)(slash + 1 - path), "nvault");
	return path;
}

int main(int argc, char **argv)
{
	const char *binary = argc > 1 ? argv[1] : default_binary();
	long calls = argc > 2 ? atol(argv[2]) : 10000;
	char dir[] = "/tmp/nvault-bench-mcp.XXXXXX";
	char db[256], cmd[512];
	int to_child[2], from_child[2], status;
	struct line_reader r;
	struct writer w = {0};
	pthread_t thread;
	json_t *m;
	const char *init =
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
		"\"protocolVersion\":"
		"\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"bench\",\"version\":"
		"\"1\"}}}\n"
		"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n"
		"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/"
		"call\",\"params\":{\"name\":\"memory_task\","
		"\"arguments\":{\"action\":\"add\",\"title\":\"Benchmark "
		"task\",\"description\":\"read "
		"many times\",\"tags\":[\"bench\",\"mcp\"],\"status\":\"in_progress\"}}}\n";
	int64_t t0, t1;
	long errors = 0;
	pid_t pid;

	if (calls <= 0 || !mkdtemp(dir)) {
		fprintf(stderr, "usage: bench_mcp [NVAULT_BINARY] [CALLS]\n");
		return 2;
	}
	snprintf(db, sizeof(db), "%s/vault.db", dir);
	signal(SIGPIPE, SIG_IGN);
	if (pipe(to_child) || pipe(from_child)) {
		perror("bench_mcp: pipe");
		return 1;
	}
	if ((pid = fork()) == 0) {
		dup2(to_child[0], 0);
		dup2(from_child[1], 1);
		close(to_child[0]);
		close(to_child[1]);
		close(from_child[0]);
		close(from_child[1]);
		execl(binary, binary, "--db", db, "-q", "mcp", (char *)NULL);
		perror("bench_mcp: exec");
		_exit(127);
	}
	close(to_child[0]);
	close(from_child[1]);
	line_reader_init(&r, from_child[0], 0);

	write_all(to_child[1], init, strlen(init));
	json_decref(read_reply(&r)); /* initialize */
	m = read_reply(&r);	     /* add */
	snprintf(w.task_id, sizeof(w.task_id), "%s",
		 json_string_value(json_object_get(
			 json_object_get(
				 json_object_get(json_object_get(m, "result"), "structuredContent"),
				 "task"),
			 "id")));
	json_decref(m);
	if (!w.task_id[0] || !strcmp(w.task_id, "(null)")) {
		fprintf(stderr, "bench_mcp: the add call failed\n");
		return 1;
	}

	w.fd = to_child[1];
	w.calls = calls;
	t0 = time_mono_ms();
	pthread_create(&thread, NULL, write_gets, &w);
	for (long i = 0; i < calls; i++) {
		m = read_reply(&r);
		if (!json_is_false(json_object_get(json_object_get(m, "result"), "isError")))
			errors++;
		json_decref(m);
	}
	t1 = time_mono_ms();
	pthread_join(thread, NULL);
	waitpid(pid, &status, 0);
	line_reader_release(&r);
	close(from_child[0]);
	unlink(db);
	snprintf(cmd, sizeof(cmd), "%s-wal", db);
	unlink(cmd);
	snprintf(cmd, sizeof(cmd), "%s-shm", db);
	unlink(cmd);
	rmdir(dir);

	{
		double secs = (double)(t1 - t0) / 1000.0;
		if (secs <= 0)
			secs = 0.001;
		printf("bench_mcp: %ld memory_task get calls over one session in %.2f s: "
		       "%.0f calls/s, %.1f us per call, %ld errors\n",
		       calls, secs, (double)calls / secs, secs * 1e6 / (double)calls, errors);
		printf("{\"bench\":\"mcp_get\",\"calls\":%ld,\"seconds\":%.3f,\"callsPerSec\":%.0f,"
		       "\"errors\":%ld}\n",
		       calls, secs, (double)calls / secs, errors);
		/* for scripts/bench.sh: BENCH figure|value|unit|rows|target */
		printf("BENCH nvault mcp: memory_task get throughput (%ld calls, one session)|%.0f|"
		       "calls/s|1|\n",
		       calls, (double)calls / secs);
		printf("BENCH nvault mcp: memory_task get, mean per call (pipelined)|%.1f|us|1|\n",
		       secs * 1e6 / (double)calls);
		printf("BENCH nvault mcp: memory_task get errors|%ld|calls|1|0\n", errors);
	}
	return errors || !WIFEXITED(status) || WEXITSTATUS(status) ? 1 : 0;
}

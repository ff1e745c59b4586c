/*
 * fake_proc.h: runs the fake Notion server (tests/fake_notion, binary
 * `fake-notion`) as a child process for C tests and benchmarks, and talks
 * to its control endpoints with libcurl. Header-only (static inline) so a
 * test or bench includes it without a build change.
 *
 *   struct fake_proc f;
 *   const char *args[] = { "--rows", "100", NULL };
 *   if (fake_proc_start(&f, args) == 0) { use(f.base_url); fake_proc_stop(&f, 0); }
 *
 * The binary is $FAKE_NOTION, else $NV_BUILD_DIR/fake-notion. The fake's
 * stdout and stderr go to a log file in a private temp dir, printed by
 * fake_proc_stop() when asked to (after a failure).
 */
#ifndef NV_TEST_FAKE_PROC_H
#define NV_TEST_FAKE_PROC_H

#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"

struct fake_proc {
	pid_t pid;
	int port;
	char base_url[64];
	char dir[64];
	char port_file[128];
	char log_file[128];
};

static inline void fake_proc_nap(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Returns the path of the fake binary (static storage). */
static inline const char *fake_proc_binary(void)
{
	static char path[512];
	const char *env = getenv("FAKE_NOTION"), *dir = getenv("NV_BUILD_DIR");

	if (env && *env)
		return env;
	snprintf(path, sizeof(path), "%s/fake-notion", dir && *dir ? dir : ".");
	return path;
}

/*
 * Starts the fake with --port 0 --port-file plus extra_args (NULL-ended)
 * and waits until it listens. Returns 0, or -1 (message on stderr).
 */
static inline int fake_proc_start(struct fake_proc *f, const char *const *extra_args)
{
	const char *argv[64];
	size_t n = 0;

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/nv-fake-XXXXXX");
	if (!mkdtemp(f->dir)) {
		perror("mkdtemp");
		return -1;
	}
	snprintf(f->port_file, sizeof(f->port_file), "%s/port", f->dir);
	snprintf(f->log_file, sizeof(f->log_file), "%s/fake.log", f->dir);
	argv[n++] = fake_proc_binary();
	argv[n++] = "--port";
	argv[n++] = "0";
	argv[n++] = "--port-file";
	argv[n++] = f->port_file;
	for (size_t i = 0; extra_args && extra_args[i] && n < 63; i++)
		argv[n++] = extra_args[i];
	argv[n] = NULL;

	f->pid = fork();
	if (f->pid < 0) {
		perror("fork");
		return -1;
	}
	if (f->pid == 0) {
		int fd = open(f->log_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		/* no orphan server if the test dies before its teardown */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "cannot run %s\n", argv[0]);
		_exit(127);
	}
	for (int waited = 0; waited < 15000; waited += 20) {
		FILE *pf = fopen(f->port_file, "r");
		int status;
		if (pf) {
			int port = 0;
			if (fscanf(pf, "%d", &port) == 1 && port > 0) {
				fclose(pf);
				f->port = port;
				snprintf(f->base_url, sizeof(f->base_url), "http://127.0.0.1:%d",
					 port);
				return 0;
			}
			fclose(pf);
		}
		if (waitpid(f->pid, &status, WNOHANG) == f->pid) {
			fprintf(stderr, "fake-notion (%s) exited before listening\n", argv[0]);
			f->pid = 0;
			return -1;
		}
		fake_proc_nap(20);
	}
	fprintf(stderr, "fake-notion did not write its port file\n");
	return -1;
}

/* Stops the fake (SIGTERM, then SIGKILL), optionally prints its log, cleans up. */
static inline void fake_proc_stop(struct fake_proc *f, int show_log)
{
	if (f->pid > 0) {
		int status;
		kill(f->pid, SIGTERM);
		for (int i = 0; i < 100 && waitpid(f->pid, &status, WNOHANG) != f->pid; i++) {
			if (i == 99) {
				kill(f->pid, SIGKILL);
				waitpid(f->pid, &status, 0);
			}
			fake_proc_nap(20);
		}
		f->pid = 0;
	}
	if (show_log) {
		FILE *lf = fopen(f->log_file, "r");
		char line[512];
		while (lf && fgets(line, sizeof(line), lf))
			fprintf(stderr, "fake-notion: %s", line);
		if (lf)
			fclose(lf);
	}
	unlink(f->port_file);
	unlink(f->log_file);
	if (f->dir[0])
		rmdir(f->dir);
}

static inline size_t fake_proc_collect(char *data, size_t size, size_t nmemb, void *ud)
{
	buf_add(ud, data, size * nmemb);
	return size * nmemb;
}

/*
 * Sends METHOD path (body may be NULL) to a control endpoint. Returns the
 * HTTP status (0 on transport failure); *out (if given) gets the parsed
 * JSON answer or NULL.
 */
static inline int fake_proc_control(const struct fake_proc *f, const char *method, const char *path,
				    const char *body, json_t **out)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	struct buf url = BUF_INIT, resp = BUF_INIT;
	long status = 0;

	if (out)
		*out = NULL;
	if (!h || !hdr) {
		curl_easy_cleanup(h);
		curl_slist_free_all(hdr);
		return 0;
	}
	buf_addf(&url, "%s%s", f->base_url, path);
	curl_easy_setopt(h, CURLOPT_URL, url.data);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fake_proc_collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp);
	if (body)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (out && resp.len)
		*out = json_loadb(resp.data, resp.len, 0, NULL);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdr);
	buf_release(&url);
	buf_release(&resp);
	return (int)status;
}

/*
 * Returns the fake's log of API requests (paths under /v1/) as a new JSON
 * array of {"method","path","query","body","timeMs","status"}, or NULL.
 */
static inline json_t *fake_proc_log(const struct fake_proc *f)
{
	json_t *all = NULL, *api = NULL, *e;
	size_t i;

	if (fake_proc_control(f, "GET", "/_control/log", NULL, &all) != 200 || !all)
		goto out;
	api = json_array();
	json_array_foreach(json_object_get(all, "requests"), i, e)
	{
		const char *path = json_string_value(json_object_get(e, "path"));
		if (path && strncmp(path, "/v1/", 4) == 0)
			json_array_append(api, e);
	}
out:
	json_decref(all);
	return api;
}

/* Clears the request log; returns 0 or -1. */
static inline int fake_proc_clear_log(const struct fake_proc *f)
{
	int st = fake_proc_control(f, "DELETE", "/_control/log", NULL, NULL);

	return st >= 200 && st < 300 ? 0 : -1;
}

#endif

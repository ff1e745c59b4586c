/*
 * locator.c: store locators (see locator.h). The URL and conninfo grammars
 * are libpq's (PostgreSQL 15, "Connection Strings"), so what is hidden here
 * is exactly what libpq would take as a password.
 */
#include "util/locator.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "util/xalloc.h"

#define MASK "***"
#define HIDDEN "(PostgreSQL locator hidden: it may hold a password)"

/* libpq's connection keywords (PostgreSQL 16 included), and nvault's schema */
static const char *const keywords[] = {
	"host",
	"hostaddr",
	"port",
	"dbname",
	"user",
	"password",
	"passfile",
	"channel_binding",
	"connect_timeout",
	"client_encoding",
	"options",
	"application_name",
	"fallback_application_name",
	"keepalives",
	"keepalives_idle",
	"keepalives_interval",
	"keepalives_count",
	"tcp_user_timeout",
	"replication",
	"gssencmode",
	"sslmode",
	"requiressl",
	"sslcompression",
	"sslcert",
	"sslkey",
	"sslpassword",
	"sslcertmode",
	"sslrootcert",
	"sslcrl",
	"sslcrldir",
	"sslsni",
	"requirepeer",
	"require_auth",
	"ssl_min_protocol_version",
	"ssl_max_protocol_version",
	"krbsrvname",
	"gsslib",
	"gssdelegation",
	"service",
	"target_session_attrs",
	"load_balance_hosts",
	"schema", /* nvault's own: the store's schema, removed before libpq sees the rest */
	NULL,
};

/* The length of the URL scheme prefix ("postgresql://"), or 0. */
static size_t url_prefix(const char *loc)
{
	if (!strncasecmp(loc, "postgresql://", 13))
		return 13;
	if (!strncasecmp(loc, "postgres://", 11))
		return 11;
	return 0;
}

static int is_keyword(const char *s, size_t n)
{
	for (size_t i = 0; keywords[i]; i++)
		if (strlen(keywords[i]) == n && !strncasecmp(keywords[i], s, n))
			return 1;
	return 0;
}

/* A key that holds a secret, given %-decoded or raw. */
static int is_secret_key(const char *s, size_t n)
{
	return (n == 8 && !strncasecmp(s, "password", 8)) ||
	       (n == 11 && !strncasecmp(s, "sslpassword", 11));
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Is the %-encoded URL query key s[0..n) a secret once decoded? */
static int is_secret_url_key(const char *s, size_t n)
{
	char dec[32];
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			c = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
			i += 2;
		}
		if (k + 1 >= sizeof(dec))
			return 0; /* longer than any keyword */
		dec[k++] = (char)c;
	}
	return is_secret_key(dec, k);
}

int locator_is_postgres(const char *loc)
{
	const char *p = loc;
	size_t n;

	if (!loc)
		return 0;
	if (url_prefix(loc))
		return 1;
	while (isspace((unsigned char)*p))
		p++;
	n = strcspn(p, "= \t\r\n\f\v");
	if (!n || !is_keyword(p, n))
		return 0;
	p += n;
	while (isspace((unsigned char)*p))
		p++;
	return *p == '=';
}

/*
 * The URL form: postgresql://[user[:password]@][hosts][/dbname][?k=v&...].
 * Like libpq, the credentials end at the first '@' before any '/'; the
 * password is what follows the user's first ':'.
 */
static void redact_url(const char *loc, struct buf *out, int *found)
{
	size_t pre = url_prefix(loc);
	const char *p = loc + pre, *at, *q;

	buf_add(out, loc, pre);
	at = p + strcspn(p, "@/");
	if (*at == '@') {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		if (colon && colon + 1 < at) {
			buf_add(out, p, (size_t)(colon + 1 - p));
			buf_adds(out, MASK);
			*found = 1;
			p = at;
		}
	}
	q = strchr(p, '?');
	if (!q) {
		buf_adds(out, p);
		return;
	}
	buf_add(out, p, (size_t)(q + 1 - p));
	p = q + 1;
	while (*p) {
		size_t len = strcspn(p, "&");
		const char *eq = memchr(p, '=', len);
		if (eq && is_secret_url_key(p, (size_t)(eq - p))) {
			buf_add(out, p, (size_t)(eq + 1 - p));
			buf_adds(out, MASK);
			*found = 1;
		} else {
			buf_add(out, p, len);
		}
		p += len;
		if (*p == '&')
			buf_addch(out, *p++);
	}
}

/*
 * The conninfo form: key = value pairs separated by white space; a value is
 * a word or a single-quoted string, with \ escaping the next character.
 * Returns 0, or -1 when loc does not parse.
 */
static int redact_conninfo(const char *loc, struct buf *out, int *found)
{
	const char *p = loc;

	while (*p) {
		const char *key, *v;
		size_t klen;
		int secret;

		while (isspace((unsigned char)*p))
			buf_addch(out, *p++);
		if (!*p)
			break;
		key = p;
		while (*p && *p != '=' && !isspace((unsigned char)*p))
			p++;
		klen = (size_t)(p - key);
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '=' || !klen)
			return -1;
		p++;
		while (isspace((unsigned char)*p))
			p++;
		secret = is_secret_key(key, klen);
		buf_add(out, key, klen);
		buf_addch(out, '=');
		v = p;
		if (*p == '\'') {
			for (p++; *p && *p != '\''; p++)
				if (*p == '\\' && p[1])
					p++;
			if (*p != '\'')
				return -1;
			p++;
		} else {
			for (; *p && !isspace((unsigned char)*p); p++)
				if (*p == '\\' && p[1])
					p++;
		}
		if (secret) {
			buf_adds(out, MASK);
			*found = 1;
		} else {
			buf_add(out, v, (size_t)(p - v));
		}
	}
	return 0;
}

/* Redacts loc into out; *found says whether a password was there. */
static int redact(const char *loc, struct buf *out, int *found)
{
	*found = 0;
	if (url_prefix(loc)) {
		redact_url(loc, out, found);
		return 0;
	}
	if (locator_is_postgres(loc))
		return redact_conninfo(loc, out, found);
	buf_adds(out, loc);
	return 0;
}

/* Does s mention a password at all (any case)? */
static int mentions_password(const char *s)
{
	for (; *s; s++)
		if (!strncasecmp(s, "password", 8))
			return 1;
	return 0;
}

int locator_has_password(const char *loc)
{
	struct buf out = BUF_INIT;
	int found = 0;

	if (!loc)
		return 0;
	if (redact(loc, &out, &found))
		found = mentions_password(loc);
	buf_release(&out);
	return found;
}

char *locator_redact(const char *loc)
{
	struct buf out = BUF_INIT;
	int found;

	if (!loc)
		return xstrdup("");
	if (redact(loc, &out, &found) != 0) {
		/* an unparseable conninfo: shown as given unless it may hold a password */
		buf_reset(&out);
		buf_adds(&out, mentions_password(loc) ? HIDDEN : loc);
	}
	return buf_detach(&out);
}

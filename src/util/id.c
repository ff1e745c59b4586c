/*
 * id.c: Notion id normalisation and UUID generation (random v4, and
 * time-ordered v7 for the store's own ids); see id.h.
 */
#include "util/id.h"

#include <ctype.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/timeutil.h"

int id_compact(const char *in, char out[33])
{
	int n = 0;

	if (!in)
		return -1;
	for (const char *p = in; *p; p++) {
		if (*p == '-')
			continue;
		if (!isxdigit((unsigned char)*p) || n == 32)
			return -1;
		out[n++] = (char)tolower((unsigned char)*p);
	}
	out[n] = '\0';
	return n == 32 ? 0 : -1;
}

int id_normalize(const char *in, char out[ID_DASHED_LEN + 1])
{
	char hex[33];
	int j = 0;

	if (id_compact(in, hex))
		return -1;
	for (int i = 0; i < 32; i++) {
		if (i == 8 || i == 12 || i == 16 || i == 20)
			out[j++] = '-';
		out[j++] = hex[i];
	}
	out[j] = '\0';
	return 0;
}

static void random_bytes(unsigned char *b, int n)
{
	if (RAND_bytes(b, n) != 1) {
		fprintf(stderr, "nvault: no random bytes for an id\n");
		abort();
	}
}

/* Dashed lowercase text of 16 bytes. */
static void uuid_text(const unsigned char b[16], char out[ID_DASHED_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	char hex[33];

	for (int i = 0; i < 16; i++) {
		hex[2 * i] = digits[b[i] >> 4];
		hex[2 * i + 1] = digits[b[i] & 15];
	}
	hex[32] = '\0';
	id_normalize(hex, out);
}

void id_new_uuid(char out[ID_DASHED_LEN + 1])
{
	unsigned char b[16];

	random_bytes(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	uuid_text(b, out);
}

void id_new_uuid7(char out[ID_DASHED_LEN + 1])
{
	/* per thread: the order matters for index locality, not for correctness */
	static _Thread_local int64_t last_ms = -1;
	static _Thread_local unsigned counter;
	int64_t ms = time_now_ms();
	unsigned char b[16];

	random_bytes(b, sizeof(b));
	if (ms <= last_ms) {
		/* same millisecond (or the clock stepped back): count on from the last id */
		ms = last_ms;
		if (++counter > 0xfff) {
			ms++;
			counter = 0;
		}
	} else {
		counter = (unsigned)(b[6] & 0x07) << 8 | b[7]; /* random start, room to count */
	}
	last_ms = ms;
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)((uint64_t)ms >> (8 * (5 - i)));
	b[6] = (unsigned char)(0x70 | (counter >> 8));
	b[7] = (unsigned char)(counter & 0xff);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	uuid_text(b, out);
}

/*
 * id.c: Notion id normalisation and UUID generation; see id.h.
 */
#include "util/id.h"

#include <ctype.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>

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

void id_new_uuid(char out[ID_DASHED_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char b[16];
	char hex[33];

	if (RAND_bytes(b, sizeof(b)) != 1) {
		fprintf(stderr, "nvault: no random bytes for a task id\n");
		abort();
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	for (int i = 0; i < 16; i++) {
		hex[2 * i] = digits[b[i] >> 4];
		hex[2 * i + 1] = digits[b[i] & 15];
	}
	hex[32] = '\0';
	id_normalize(hex, out);
}

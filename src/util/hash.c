/*
 * hash.c: SHA-256 via libcrypto's EVP interface; see hash.h.
 */
#include "util/hash.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void to_hex(const unsigned char *md, unsigned int n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned int i = 0; i < n; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * n] = '\0';
}

static void sha256_parts(const void *a, size_t alen, const void *b, size_t blen,
			 char out[HASH_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, a, alen) != 1 || EVP_DigestUpdate(ctx, b, blen) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &n) != 1) {
		fprintf(stderr, "nvault: libcrypto SHA-256 failed\n");
		abort();
	}
	EVP_MD_CTX_free(ctx);
	to_hex(md, n, out);
}

void hash_sha256(const void *data, size_t len, unsigned char out[HASH_LEN])
{
	unsigned int n = 0;

	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 || n != HASH_LEN) {
		fprintf(stderr, "nvault: libcrypto SHA-256 failed\n");
		abort();
	}
}

void hash_sha256_hex(const void *data, size_t len, char out[HASH_HEX_LEN + 1])
{
	sha256_parts(data, len, "", 0, out);
}

void hash_sha256_hex2(const char *a, const char *b, char out[HASH_HEX_LEN + 1])
{
	sha256_parts(a, strlen(a), b, strlen(b), out);
}

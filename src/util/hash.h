/*
 * hash.h: SHA-256 (OpenSSL libcrypto) as lowercase hex, for version content
 * and chain hashes.
 */
#ifndef NV_HASH_H
#define NV_HASH_H

#include <stddef.h>

#define HASH_HEX_LEN 64
#define HASH_LEN 32

/* Writes the hex SHA-256 of data into out (HASH_HEX_LEN + 1 bytes). */
void hash_sha256_hex(const void *data, size_t len, char out[HASH_HEX_LEN + 1]);
/* Writes the raw SHA-256 of data into out (HASH_LEN bytes). */
void hash_sha256(const void *data, size_t len, unsigned char out[HASH_LEN]);
/* Hex SHA-256 of the concatenation a || b (either may be ""). */
void hash_sha256_hex2(const char *a, const char *b, char out[HASH_HEX_LEN + 1]);

#endif

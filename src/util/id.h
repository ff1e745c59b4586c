/*
 * id.h: identifiers. Notion ids are UUIDs that users write with or without
 * dashes; nvault stores them dashed and lowercase. The store's own ids
 * (tasks, versions, evidence, conflicts) are time-ordered UUIDv7 strings, so
 * that new rows land at the end of the indexes on them; ids written before
 * (random UUIDv4) stay valid everywhere: nothing parses an id's version.
 */
#ifndef NV_ID_H
#define NV_ID_H

#define ID_DASHED_LEN 36

/*
 * Normalises a Notion id (32 hex digits, dashes anywhere ignored, any case)
 * to dashed lowercase form in out (ID_DASHED_LEN + 1 bytes).
 * Returns 0, or -1 if in is not such an id.
 */
int id_normalize(const char *in, char out[ID_DASHED_LEN + 1]);
/* Writes the 32 lowercase hex digits of a valid id (33 bytes); -1 if invalid. */
int id_compact(const char *in, char out[33]);
/* Writes a fresh random UUIDv4 (dashed lowercase) into out. */
void id_new_uuid(char out[ID_DASHED_LEN + 1]);
/*
 * Writes a fresh UUIDv7 (RFC 9562: 48-bit Unix time in ms, then a 12-bit
 * counter, then random bits) into out. Ids made by one thread sort in the
 * order they were made, also within one millisecond.
 */
void id_new_uuid7(char out[ID_DASHED_LEN + 1]);

#endif

/*
 * id.h: identifiers. Notion ids are UUIDs that users write with or without
 * dashes; nvault stores them dashed and lowercase. Local task ids are random
 * UUIDv4 strings.
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

#endif

/*
 * pushjson.h - a validated record as the JSON object thidua.push() takes
 * (sql/005_fast_sync.sql): the keys of thidua.v1.Record, content_hash in hex,
 * and the folded name keys the database uses to find possible duplicates.
 *
 * thiduad builds its batches with it, and so does the benchmark that calls
 * thidua.push() directly: what the baseline measures is exactly what the
 * server sends.
 */
#ifndef THIDUAD_PUSHJSON_H
#define THIDUAD_PUSHJSON_H

#include <stdint.h>

#include "defs.h"
#include "record.h"
#include "strbuf.h"

/* Lowercase hex of a content hash into out. */
void pushjson_hex(const uint8_t hash[RECORD_HASH_LEN], char out[2 * RECORD_HASH_LEN + 1]);

/*
 * The content fields of r, id to proposed_award, as JSON members, each
 * followed by a comma ("id":"...",...,"proposed_award":"...",): what a
 * revision holds, before what each use adds.
 */
void pushjson_fields(strbuf_t *sb, const record_t *r);

/*
 * Append r as one object for thidua.push(). Returns 0, or the text_ error of
 * folding the name (out of memory, ICU failing): the object is then complete
 * but without name_key and name_loose_key, which the database stores as
 * NULL, so the record only escapes duplicate detection. Allocation failures
 * of sb are sticky in sb.
 */
int pushjson_record(strbuf_t *sb, const record_t *r, const uint8_t hash[RECORD_HASH_LEN]);

#endif

/*
 * pushjson.c - records as thidua.push() reads them (pushjson.h).
 */
#include "pushjson.h"

#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "text.h"

void pushjson_hex(const uint8_t hash[RECORD_HASH_LEN], char out[2 * RECORD_HASH_LEN + 1])
{
    hex_encode(hash, RECORD_HASH_LEN, out);
}

void pushjson_fields(strbuf_t *sb, const record_t *r)
{
    const struct {
        const char *key;
        const char *value;
    } fields[] = {
        {"id", r->id},
        {"campaign", r->campaign},
        {"org_unit", r->org_unit},
        {"nominee_kind", r->nominee_kind},
        {"nominee_name", r->nominee_name},
        {"birth_date", r->birth_date},
        {"gender", r->gender},
        {"position", r->position},
        {"workplace", r->workplace},
        {"title", r->title},
        {"summary", r->summary},
        {"category", r->category},
        {"achieved_on", r->achieved_on},
        {"proposed_award", r->proposed_award},
    };
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(fields); i++) {
        strbuf_printf(sb, "\"%s\":", fields[i].key);
        strbuf_json_string(sb, fields[i].value);
        strbuf_putc(sb, ',');
    }
}

int pushjson_record(strbuf_t *sb, const record_t *r, const uint8_t hash[RECORD_HASH_LEN])
{
    char hex[2 * RECORD_HASH_LEN + 1];
    pushjson_hex(hash, hex);
    strbuf_putc(sb, '{');
    pushjson_fields(sb, r);
    strbuf_puts(sb, "\"content_hash\":");
    strbuf_json_string(sb, hex);
    strbuf_putc(sb, ',');

    char *key = NULL, *loose = NULL;
    size_t nlen = strlen(r->nominee_name);
    int rc = text_fold_key(r->nominee_name, nlen, &key);
    if (rc == TD_OK)
        rc = text_fold_loose(r->nominee_name, nlen, &loose);
    if (rc == TD_OK) {
        strbuf_puts(sb, "\"name_key\":");
        strbuf_json_string(sb, key);
        strbuf_puts(sb, ",\"name_loose_key\":");
        strbuf_json_string(sb, loose);
        strbuf_putc(sb, ',');
    }
    free(key);
    free(loose);
    strbuf_printf(sb, "\"revision\":%u,\"withdrawn\":%s}", r->revision,
                  r->withdrawn ? "true" : "false");
    return rc;
}

/*
 * output.c - display widths, dates for people, status names and JSON pieces.
 */
#include "output.h"

#include <string.h>
#include <time.h>

#include "cli.h"
#include "thidua.pb-c.h"

/* Decode one UTF-8 sequence at s; *len is its length (1 for an ill-formed byte). */
static uint32_t out_decode(const unsigned char *s, size_t *len)
{
    uint32_t cp = s[0];
    size_t n = cp < 0x80           ? 1
               : (cp >> 5) == 0x6  ? 2
               : (cp >> 4) == 0xE  ? 3
               : (cp >> 3) == 0x1E ? 4
                                   : 0;
    if (n == 0) {
        *len = 1;
        return 0xFFFD;
    }
    if (n > 1)
        cp &= 0x7Fu >> n;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *len = 1;
            return 0xFFFD;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    *len = n;
    return cp;
}

/* Columns a code point takes in a terminal. */
static size_t out_cp_width(uint32_t cp)
{
    if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
        (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF) ||
        (cp >= 0xFE20 && cp <= 0xFE2F) || (cp >= 0x200B && cp <= 0x200F) || cp == 0xFEFF)
        return 0;
    if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
        (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
        (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
        (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD))
        return 2;
    return 1;
}

size_t out_width(const char *s)
{
    size_t w = 0, len;
    for (const unsigned char *p = (const unsigned char *)s; *p; p += len)
        w += out_cp_width(out_decode(p, &len));
    return w;
}

void out_cell(FILE *f, const char *s, size_t width)
{
    size_t total = out_width(s);
    size_t room = width == 0 || total <= width ? (size_t)-1 : width - 1; /* 1 for "…" */
    size_t used = 0, len;
    for (const unsigned char *p = (const unsigned char *)s; *p; p += len) {
        uint32_t cp = out_decode(p, &len);
        size_t w = out_cp_width(cp);
        if (used + w > room)
            break;
        if (cp < 0x20 || cp == 0x7F)
            fputc(' ', f);
        else
            fwrite(p, 1, len, f);
        used += w;
    }
    if (width == 0)
        return;
    if (total > width) {
        fputs("…", f);
        used++;
    }
    for (; used < width; used++)
        fputc(' ', f);
}

const char *out_date_vn(const char *iso, char out[DATE_STR_SIZE])
{
    int32_t days;
    if (iso == NULL)
        return "";
    if (date_parse_iso(iso, &days, NULL) != TD_OK || date_format_vn(days, out) != TD_OK)
        return iso;
    return out;
}

const char *out_time_vn(int64_t ms, char out[OUT_TIME_SIZE])
{
    out[0] = '\0';
    if (ms <= 0)
        return out;
    time_t t = (time_t)(ms / 1000) + 7 * 3600; /* Viet Nam: UTC+7, no daylight saving time */
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL)
        return out;
    strftime(out, OUT_TIME_SIZE, "%d/%m/%Y %H:%M", &tm);
    return out;
}

static const char *const out_status_names[] = {
    [THIDUA__V1__RECORD__STATUS__STATUS_UNSPECIFIED] = "new",
    [THIDUA__V1__RECORD__STATUS__SUBMITTED] = "submitted",
    [THIDUA__V1__RECORD__STATUS__RETURNED] = "returned",
    [THIDUA__V1__RECORD__STATUS__APPROVED] = "approved",
    [THIDUA__V1__RECORD__STATUS__REJECTED] = "rejected",
    [THIDUA__V1__RECORD__STATUS__WITHDRAWN] = "withdrawn",
    [THIDUA__V1__RECORD__STATUS__AWARDED] = "awarded",
    [THIDUA__V1__RECORD__STATUS__REVOKED] = "revoked",
};

const char *out_status_name(int status)
{
    if (status < 0 || (size_t)status >= THIDUA_ARRAY_LEN(out_status_names))
        return "unknown";
    return out_status_names[status];
}

int out_status_parse(const char *name)
{
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(out_status_names); i++) {
        if (strcmp(out_status_names[i], name) == 0)
            return (int)i;
    }
    return -1;
}

static const struct {
    store_sync_t sync;
    const char *name;
} out_sync_names[] = {
    {STORE_SYNC_SYNCED, "synced"}, {STORE_SYNC_PENDING, "pending"},
    {STORE_SYNC_STALE, "stale"},   {STORE_SYNC_CONFLICT, "conflict"},
    {STORE_SYNC_LOCKED, "locked"}, {STORE_SYNC_REJECTED, "invalid"},
    {STORE_SYNC_DENIED, "denied"},
};

const char *out_sync_name(store_sync_t sync)
{
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(out_sync_names); i++) {
        if (out_sync_names[i].sync == sync)
            return out_sync_names[i].name;
    }
    return "unknown";
}

int out_sync_parse(const char *name)
{
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(out_sync_names); i++) {
        if (strcmp(out_sync_names[i].name, name) == 0)
            return (int)out_sync_names[i].sync;
    }
    return -1;
}

bool out_needs_attention(const store_record_t *r)
{
    switch (r->sync) {
    case STORE_SYNC_STALE:
    case STORE_SYNC_CONFLICT:
    case STORE_SYNC_LOCKED:
    case STORE_SYNC_REJECTED:
    case STORE_SYNC_DENIED:
        return true;
    case STORE_SYNC_PENDING:
        return false;
    default:
        return r->rec.status == THIDUA__V1__RECORD__STATUS__RETURNED;
    }
}

const char *out_record_state(const store_record_t *r, char *buf, size_t len)
{
    const char *status = out_status_name(r->rec.status);
    const char *reason = r->rec.decision != NULL ? r->rec.decision->reason : "";
    const char *sep = reason[0] ? ": " : "";
    const Thidua__V1__Award *aw = r->rec.award;
    char d[DATE_STR_SIZE];

    switch (r->sync) {
    case STORE_SYNC_PENDING:
        if (r->rec.status == THIDUA__V1__RECORD__STATUS__STATUS_UNSPECIFIED)
            snprintf(buf, len, "%s, not sent", r->rec.withdrawn ? "withdrawn here" : "new");
        else
            snprintf(buf, len, "%s, %s not sent", status, r->rec.withdrawn ? "withdrawal" : "edit");
        return buf;
    case STORE_SYNC_REJECTED:
        snprintf(buf, len, "! refused at sync: %s%s%s", r->mark_field, r->mark_field[0] ? ": " : "",
                 r->mark_message);
        return buf;
    case STORE_SYNC_LOCKED:
        snprintf(buf, len, "! %s: the province decided before the edit arrived", status);
        return buf;
    case STORE_SYNC_STALE:
    case STORE_SYNC_CONFLICT:
        snprintf(buf, len, "! %s: %s", out_sync_name(r->sync),
                 r->mark_message[0] ? r->mark_message : "another computer changed it");
        return buf;
    case STORE_SYNC_DENIED:
        snprintf(buf, len, "! not permitted for this office%s%s", r->mark_message[0] ? ": " : "",
                 r->mark_message);
        return buf;
    default:
        break;
    }
    switch (r->rec.status) {
    case THIDUA__V1__RECORD__STATUS__RETURNED:
        snprintf(buf, len, "! returned%s%s", sep, reason);
        break;
    case THIDUA__V1__RECORD__STATUS__REJECTED:
        snprintf(buf, len, "rejected%s%s", sep, reason);
        break;
    case THIDUA__V1__RECORD__STATUS__AWARDED:
        if (aw != NULL && aw->decision != NULL)
            snprintf(buf, len, "awarded: %s (%s, %s)", aw->form, aw->decision->number,
                     out_date_vn(aw->decision->date, d));
        else
            snprintf(buf, len, "awarded");
        break;
    case THIDUA__V1__RECORD__STATUS__REVOKED:
        snprintf(buf, len, "revoked%s%s", aw && aw->revoked_reason[0] ? ": " : "",
                 aw ? aw->revoked_reason : "");
        break;
    default:
        snprintf(buf, len, "%s", status);
        break;
    }
    return buf;
}

void out_json_key(strbuf_t *sb, const char *key)
{
    if (sb->len > 0 && sb->data[sb->len - 1] != '{' && sb->data[sb->len - 1] != '[')
        strbuf_putc(sb, ',');
    if (key != NULL) {
        strbuf_json_string(sb, key);
        strbuf_putc(sb, ':');
    }
}

void out_json_str(strbuf_t *sb, const char *key, const char *value)
{
    out_json_key(sb, key);
    strbuf_json_string(sb, value != NULL ? value : "");
}

void out_json_int(strbuf_t *sb, const char *key, long long value)
{
    out_json_key(sb, key);
    strbuf_printf(sb, "%lld", value);
}

void out_json_bool(strbuf_t *sb, const char *key, bool value)
{
    out_json_key(sb, key);
    strbuf_puts(sb, value ? "true" : "false");
}

const char *out_unit_name(const Thidua__V1__Welcome *w, const char *code)
{
    if (w == NULL || code == NULL)
        return NULL;
    if (strcmp(w->org_unit, code) == 0)
        return w->org_unit_name;
    for (size_t i = 0; i < w->n_units; i++) {
        if (strcmp(w->units[i]->code, code) == 0)
            return w->units[i]->name;
    }
    return NULL;
}

const char *out_category_name(const Thidua__V1__Welcome *w, const char *code)
{
    if (w == NULL || w->campaign == NULL || code == NULL)
        return NULL;
    for (size_t i = 0; i < w->campaign->n_categories; i++) {
        if (strcmp(w->campaign->categories[i]->code, code) == 0)
            return w->campaign->categories[i]->name;
    }
    return NULL;
}

const char *out_form_name(const Thidua__V1__Welcome *w, const char *code)
{
    if (w == NULL || w->campaign == NULL || code == NULL)
        return NULL;
    for (size_t i = 0; i < w->campaign->n_award_forms; i++) {
        if (strcmp(w->campaign->award_forms[i]->code, code) == 0)
            return w->campaign->award_forms[i]->name;
    }
    return NULL;
}

bool out_json_print(strbuf_t *sb)
{
    if (strbuf_failed(sb)) {
        fprintf(stderr, "thidua: out of memory building the JSON output\n");
        return false;
    }
    fputs(strbuf_str(sb), stdout);
    fputc('\n', stdout);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "thidua: cannot write the output\n");
        return false;
    }
    return true;
}

int out_json_done(strbuf_t *sb)
{
    bool ok = out_json_print(sb);
    strbuf_free(sb);
    return ok ? CLI_EXIT_OK : CLI_EXIT_STORE;
}

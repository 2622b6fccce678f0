/*
 * output.c - display widths, dates for people, status names and JSON pieces.
 */
#include "output.h"

#include <string.h>
#include <time.h>

#include "cli.h"
#include "fields.h"
#include "i18n.h"
#include "record.h"
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

size_t out_label_width(const char *const *msgids, size_t n, size_t at_least)
{
    size_t width = at_least;
    for (size_t i = 0; i < n; i++) {
        size_t w = out_width(_(msgids[i]));
        if (w > width)
            width = w;
    }
    return width;
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

const char *out_unit_closed_note(const Thidua__V1__Welcome *w, char *out, size_t size)
{
    out[0] = '\0';
    if (w == NULL || !w->unit_closed)
        return out;
    char heirs[400] = "", last[DATE_STR_SIZE], until[DATE_STR_SIZE];
    size_t o = 0;
    for (size_t i = 0; i < w->n_successors && o < sizeof(heirs); i++) {
        int n = snprintf(heirs + o, sizeof(heirs) - o, "%s%s %s", i ? ", " : "",
                         w->successors[i]->code, w->successors[i]->name);
        o += n > 0 ? (size_t)n : 0;
    }
    if (w->n_successors > 0)
        snprintf(out, size,
                 _("unit %s (%s) closed on %s; its work passed to %s. Until %s this office may "
                   "still pull and send new revisions of its records, but no new record."),
                 w->org_unit, w->org_unit_name, out_date_vn(w->unit_last_day, last), heirs,
                 out_date_vn(w->grace_until, until));
    else
        snprintf(out, size,
                 _("unit %s (%s) closed on %s. Until %s this office may still pull and send new "
                   "revisions of its records, but no new record."),
                 w->org_unit, w->org_unit_name, out_date_vn(w->unit_last_day, last),
                 out_date_vn(w->grace_until, until));
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

/*
 * Each status with its code (--json, --status) and the word people read. The
 * English words are the codes themselves, so that English output reads as it
 * always did; the catalogue gives the Vietnamese.
 */
static const struct {
    const char *name, *label;
} out_statuses[] = {
    [THIDUA__V1__RECORD__STATUS__STATUS_UNSPECIFIED] = {"new", N_("new")},
    [THIDUA__V1__RECORD__STATUS__SUBMITTED] = {"submitted", N_("submitted")},
    [THIDUA__V1__RECORD__STATUS__RETURNED] = {"returned", N_("returned")},
    [THIDUA__V1__RECORD__STATUS__APPROVED] = {"approved", N_("approved")},
    [THIDUA__V1__RECORD__STATUS__REJECTED] = {"rejected", N_("rejected")},
    [THIDUA__V1__RECORD__STATUS__WITHDRAWN] = {"withdrawn", N_("withdrawn")},
    [THIDUA__V1__RECORD__STATUS__AWARDED] = {"awarded", N_("awarded")},
    [THIDUA__V1__RECORD__STATUS__REVOKED] = {"revoked", N_("revoked")},
};

static bool out_status_known(int status)
{
    return status >= 0 && (size_t)status < THIDUA_ARRAY_LEN(out_statuses);
}

const char *out_status_name(int status)
{
    return out_status_known(status) ? out_statuses[status].name : "unknown";
}

const char *out_status_label(int status)
{
    return out_status_known(status) ? _(out_statuses[status].label) : _("unknown");
}

int out_status_parse(const char *name)
{
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(out_statuses); i++) {
        if (strcmp(out_statuses[i].name, name) == 0)
            return (int)i;
    }
    return -1;
}

/* Each sync state with its code and its word, as out_statuses. */
static const struct {
    store_sync_t sync;
    const char *name, *label;
} out_syncs[] = {
    {STORE_SYNC_SYNCED, "synced", N_("synced")}, {STORE_SYNC_PENDING, "pending", N_("pending")},
    {STORE_SYNC_STALE, "stale", N_("stale")},    {STORE_SYNC_CONFLICT, "conflict", N_("conflict")},
    {STORE_SYNC_LOCKED, "locked", N_("locked")}, {STORE_SYNC_REJECTED, "invalid", N_("invalid")},
    {STORE_SYNC_DENIED, "denied", N_("denied")},
};

const char *out_sync_name(store_sync_t sync)
{
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(out_syncs); i++) {
        if (out_syncs[i].sync == sync)
            return out_syncs[i].name;
    }
    return "unknown";
}

const char *out_sync_label(store_sync_t sync)
{
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(out_syncs); i++) {
        if (out_syncs[i].sync == sync)
            return _(out_syncs[i].label);
    }
    return _("unknown");
}

int out_sync_parse(const char *name)
{
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(out_syncs); i++) {
        if (strcmp(out_syncs[i].name, name) == 0)
            return (int)out_syncs[i].sync;
    }
    return -1;
}

const char *out_action_label(const char *action)
{
    /* The province's decisions, as the wire names them (docs/protocol.md). */
    static const struct {
        const char *action, *label;
    } actions[] = {
        {"approve", N_("approve")},
        {"reject", N_("reject")},
        {"return", N_("return")},
    };
    for (size_t i = 0; action != NULL && i < THIDUA_ARRAY_LEN(actions); i++) {
        if (strcmp(actions[i].action, action) == 0)
            return _(actions[i].label);
    }
    return action != NULL ? action : "";
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

/* The field of a refusal as people name it, or its wire name for JSON. */
static const char *out_field_for(bool people, const char *field)
{
    const char *label = people && field[0] ? field_label(field) : NULL;
    return label != NULL ? label : field;
}

/* Where a record stands on this computer, when something waits or was refused; NULL otherwise. */
static const char *out_sync_state(const store_record_t *r, bool people, char *buf, size_t len)
{
    const char *status = people ? out_status_label(r->rec.status) : out_status_name(r->rec.status);
    const char *field = out_field_for(people, r->mark_field);
    switch (r->sync) {
    case STORE_SYNC_PENDING:
        if (r->rec.status == THIDUA__V1__RECORD__STATUS__STATUS_UNSPECIFIED)
            snprintf(buf, len, "%s",
                     r->rec.withdrawn ? _("withdrawn here, not sent") : _("new, not sent"));
        else
            snprintf(buf, len,
                     r->rec.withdrawn ? _("%s, withdrawal not sent") : _("%s, edit not sent"),
                     status);
        return buf;
    case STORE_SYNC_REJECTED:
        snprintf(buf, len, _("! refused at sync: %s%s%s"), field, field[0] ? ": " : "",
                 r->mark_message);
        return buf;
    case STORE_SYNC_LOCKED:
        snprintf(buf, len, _("! %s: the province decided before the edit arrived"), status);
        return buf;
    case STORE_SYNC_STALE:
    case STORE_SYNC_CONFLICT:
        snprintf(buf, len, "! %s: %s", people ? out_sync_label(r->sync) : out_sync_name(r->sync),
                 r->mark_message[0] ? r->mark_message : _("another computer changed it"));
        return buf;
    case STORE_SYNC_DENIED:
        snprintf(buf, len, _("! not permitted for this office%s%s"), r->mark_message[0] ? ": " : "",
                 r->mark_message);
        return buf;
    default:
        return NULL;
    }
}

const char *out_record_state(const store_record_t *r, const Thidua__V1__Welcome *w, bool people,
                             char *buf, size_t len)
{
    if (out_sync_state(r, people, buf, len) != NULL)
        return buf;
    const char *reason = r->rec.decision != NULL ? r->rec.decision->reason : "";
    const char *sep = reason[0] ? ": " : "";
    const Thidua__V1__Award *aw = r->rec.award;
    char d[DATE_STR_SIZE];
    switch (r->rec.status) {
    case THIDUA__V1__RECORD__STATUS__RETURNED:
        snprintf(buf, len, _("! returned%s%s"), sep, reason);
        break;
    case THIDUA__V1__RECORD__STATUS__REJECTED:
        snprintf(buf, len, _("rejected%s%s"), sep, reason);
        break;
    case THIDUA__V1__RECORD__STATUS__AWARDED:
        if (aw != NULL && aw->decision != NULL)
            snprintf(buf, len, _("awarded: %s (%s, %s)"),
                     people ? out_form_label(w, aw->form) : aw->form, aw->decision->number,
                     out_date_vn(aw->decision->date, d));
        else
            snprintf(buf, len, "%s", _("awarded"));
        break;
    case THIDUA__V1__RECORD__STATUS__REVOKED:
        snprintf(buf, len, _("revoked%s%s"), aw && aw->revoked_reason[0] ? ": " : "",
                 aw ? aw->revoked_reason : "");
        break;
    default:
        snprintf(buf, len, "%s",
                 people ? out_status_label(r->rec.status) : out_status_name(r->rec.status));
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

void out_json_strs(strbuf_t *sb, const char *key, char *const *values, size_t n)
{
    out_json_key(sb, key);
    strbuf_putc(sb, '[');
    for (size_t i = 0; i < n; i++)
        out_json_str(sb, NULL, values[i]);
    strbuf_putc(sb, ']');
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
    /* A record of a unit closed since it was made keeps that unit's name (the latest holder's). */
    const char *name = NULL;
    for (size_t i = 0; i < w->n_former_units; i++) {
        if (strcmp(w->former_units[i]->code, code) == 0)
            name = w->former_units[i]->name;
    }
    return name;
}

/*
 * The campaign of w that holds code, by find(): the default campaign first,
 * then the others (a code of two campaigns is named as the default one names
 * it).
 */
static const void *out_campaign_lookup(const Thidua__V1__Welcome *w, const char *code,
                                       const void *(*find)(const Thidua__V1__Campaign *c,
                                                           const char *code))
{
    if (w == NULL || code == NULL)
        return NULL;
    const void *hit = w->campaign != NULL ? find(w->campaign, code) : NULL;
    Thidua__V1__Campaign *const *list;
    size_t n = record_welcome_campaigns(w, &list);
    for (size_t i = 0; i < n && hit == NULL; i++)
        hit = find(list[i], code);
    return hit;
}

static const void *out_find_category(const Thidua__V1__Campaign *c, const char *code)
{
    return record_campaign_category(c, code);
}

static const void *out_find_form(const Thidua__V1__Campaign *c, const char *code)
{
    return record_campaign_form(c, code);
}

const char *out_category_name(const Thidua__V1__Welcome *w, const char *code)
{
    const Thidua__V1__Category *k = out_campaign_lookup(w, code, out_find_category);
    return k != NULL ? k->name : NULL;
}

const char *out_form_name(const Thidua__V1__Welcome *w, const char *code)
{
    const Thidua__V1__AwardForm *f = out_campaign_lookup(w, code, out_find_form);
    return f != NULL ? f->name : NULL;
}

const char *out_form_label(const Thidua__V1__Welcome *w, const char *code)
{
    const char *name = out_form_name(w, code);
    return name != NULL && name[0] != '\0' ? name : code;
}

const char *out_category_label(const Thidua__V1__Welcome *w, const char *code)
{
    const char *name = out_category_name(w, code);
    return name != NULL && name[0] != '\0' ? name : code;
}

bool out_json_print(strbuf_t *sb)
{
    if (strbuf_failed(sb)) {
        cli_error("%s", _("out of memory building the JSON output"));
        return false;
    }
    fputs(strbuf_str(sb), stdout);
    fputc('\n', stdout);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("%s", _("cannot write the output"));
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

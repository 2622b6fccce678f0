/*
 * report_json.c - the campaign report as JSON (thidua --json report), for
 * scripts: codes as keys, counts as numbers, dates in ISO 8601 and times in
 * Unix milliseconds, as on the wire.
 */
#include "output.h"
#include "report.h"

static void json_counts(strbuf_t *sb, const char *key, const report_count_t *t, size_t n,
                        uint64_t total)
{
    out_json_key(sb, key);
    strbuf_putc(sb, '[');
    for (size_t i = 0; i < n; i++) {
        out_json_key(sb, NULL);
        strbuf_putc(sb, '{');
        out_json_str(sb, "code", t[i].code);
        out_json_str(sb, "name", t[i].name);
        out_json_int(sb, "count", (long long)t[i].n);
        strbuf_putc(sb, '}');
    }
    strbuf_putc(sb, ']');
    strbuf_printf(sb, ",\"%s_total\":%llu", key, (unsigned long long)total);
}

int report_write_json(const report_t *r, FILE *f, char *err, size_t errlen)
{
    strbuf_t sb;
    strbuf_init(&sb);
    strbuf_putc(&sb, '{');
    out_json_key(&sb, "campaign");
    strbuf_putc(&sb, '{');
    out_json_str(&sb, "code", r->campaign_code);
    out_json_str(&sb, "name", r->campaign_name);
    out_json_str(&sb, "organiser", r->organiser);
    out_json_str(&sb, "starts_on", r->starts_on);
    out_json_str(&sb, "ends_on", r->ends_on);
    strbuf_putc(&sb, '}');
    out_json_int(&sb, "generated_at_ms", (long long)r->generated_at_ms);

    out_json_key(&sb, "by_unit_status");
    strbuf_putc(&sb, '[');
    for (size_t i = 0; i < r->n_units; i++) {
        const report_unit_t *u = &r->units[i];
        out_json_key(&sb, NULL);
        strbuf_putc(&sb, '{');
        out_json_str(&sb, "unit", u->code);
        out_json_str(&sb, "name", u->name);
        for (size_t k = 0; k < REPORT_NSTATUS; k++)
            out_json_int(&sb, report_status_code(k), (long long)u->n[k]);
        out_json_int(&sb, "total", (long long)u->total);
        strbuf_putc(&sb, '}');
    }
    strbuf_putc(&sb, ']');
    out_json_key(&sb, "status_totals");
    strbuf_putc(&sb, '{');
    for (size_t k = 0; k < REPORT_NSTATUS; k++)
        out_json_int(&sb, report_status_code(k), (long long)r->status_total[k]);
    strbuf_putc(&sb, '}');
    out_json_int(&sb, "total", (long long)r->total);
    json_counts(&sb, "by_category", r->categories, r->n_categories, r->categories_total);
    json_counts(&sb, "by_award_form", r->forms, r->n_forms, r->forms_total);
    json_counts(&sb, "by_kind", r->kinds, r->n_kinds, r->kinds_total);

    out_json_key(&sb, "successions");
    strbuf_putc(&sb, '[');
    for (size_t i = 0; i < r->n_successions; i++) {
        const Thidua__V1__Succession *u = r->successions[i];
        out_json_key(&sb, NULL);
        strbuf_putc(&sb, '{');
        out_json_str(&sb, "org_unit", u->org_unit);
        out_json_str(&sb, "org_unit_name", u->org_unit_name);
        out_json_str(&sb, "last_day", u->last_day);
        out_json_str(&sb, "successors", u->successors);
        strbuf_putc(&sb, '}');
    }
    strbuf_putc(&sb, ']');

    out_json_key(&sb, "awardees");
    strbuf_putc(&sb, '[');
    for (size_t i = 0; i < r->n_awardees; i++) {
        const Thidua__V1__Awardee *a = r->awardees[i];
        out_json_key(&sb, NULL);
        strbuf_putc(&sb, '{');
        out_json_str(&sb, "id", a->id);
        out_json_str(&sb, "form", a->form);
        out_json_str(&sb, "form_name", a->form_name);
        out_json_str(&sb, "org_unit", a->org_unit);
        out_json_str(&sb, "org_unit_name", a->org_unit_name);
        out_json_str(&sb, "nominee_kind", a->nominee_kind);
        out_json_str(&sb, "nominee_name", a->nominee_name);
        out_json_str(&sb, "title", a->title);
        out_json_str(&sb, "category", a->category);
        out_json_str(&sb, "decision_number", a->decision_number);
        out_json_str(&sb, "decision_date", a->decision_date);
        out_json_str(&sb, "issuer", a->issuer);
        out_json_str(&sb, "issuer_name", a->issuer_name);
        strbuf_putc(&sb, '}');
    }
    strbuf_putc(&sb, ']');
    if (r->has_sync) {
        out_json_key(&sb, "sync_health");
        strbuf_putc(&sb, '[');
        for (size_t i = 0; i < r->n_sync; i++) {
            const Thidua__V1__UnitSyncHealth *h = r->sync[i];
            out_json_key(&sb, NULL);
            strbuf_putc(&sb, '{');
            out_json_str(&sb, "unit", h->org_unit);
            out_json_str(&sb, "name", h->org_unit_name);
            out_json_int(&sb, "last_sync_ms", (long long)h->last_sync_ms);
            out_json_int(&sb, "submitted", (long long)h->submitted);
            out_json_int(&sb, "returned", (long long)h->returned);
            out_json_int(&sb, "rejected_pushes", (long long)h->rejected_pushes);
            strbuf_putc(&sb, '}');
        }
        strbuf_putc(&sb, ']');
    }
    strbuf_puts(&sb, "}\n");
    bool ok = !strbuf_failed(&sb) && fwrite(sb.data, 1, sb.len, f) == sb.len && fflush(f) == 0;
    strbuf_free(&sb);
    if (!ok) {
        snprintf(err, errlen, "cannot write the report");
        return -1;
    }
    return 0;
}

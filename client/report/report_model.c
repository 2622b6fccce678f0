/*
 * report_model.c - the campaign summary's model: the ReportResponse's sparse counts
 * laid out as full tables with totals, the awardees in publishing order, and
 * the fixed wording of the documents in English and Vietnamese.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "text.h"

static const struct {
    const char *code, *en, *vi;
} report_statuses[REPORT_NSTATUS] = {
    {"submitted", "submitted", "Chờ xét"}, {"returned", "returned", "Trả lại bổ sung"},
    {"approved", "approved", "Đã duyệt"},  {"rejected", "rejected", "Không duyệt"},
    {"withdrawn", "withdrawn", "Đã rút"},  {"awarded", "awarded", "Đã khen thưởng"},
    {"revoked", "revoked", "Đã thu hồi"},
};

static const struct {
    const char *key, *en, *vi;
} report_texts[] = {
    {"title", "Campaign report", "Tổng kết đợt thi đua"},
    {"campaign", "Campaign", "Đợt thi đua"},
    {"code", "Code", "Mã"},
    {"organiser", "Organiser", "Đơn vị tổ chức"},
    {"period", "Period", "Thời gian"},
    {"generated", "Generated", "Lập lúc"},
    {"from", "From", "Từ ngày"},
    {"to", "To", "Đến ngày"},
    {"units", "Records by unit and status", "Hồ sơ theo đơn vị và trạng thái"},
    {"unit_code", "Unit", "Mã đơn vị"},
    {"unit", "Unit name", "Đơn vị"},
    {"total", "Total", "Tổng cộng"},
    {"categories", "Records by category", "Hồ sơ theo nội dung thi đua"},
    {"category", "Category", "Nội dung thi đua"},
    {"forms", "Awards in force by award form", "Khen thưởng theo hình thức"},
    {"form_code", "Form", "Mã hình thức"},
    {"form", "Award form", "Hình thức khen thưởng"},
    {"kinds", "Records by nominee kind", "Hồ sơ theo đối tượng"},
    {"kind", "Kind", "Đối tượng"},
    {"count", "Records", "Số hồ sơ"},
    {"awards", "Awards", "Số lượng"},
    {"awardees", "Awardees", "Danh sách được khen thưởng"},
    {"no", "No.", "STT"},
    {"name", "Name", "Cá nhân, tập thể, hộ gia đình"},
    {"achievement", "Achievement", "Thành tích"},
    {"decision", "Decision", "Số quyết định"},
    {"decision_date", "Date", "Ngày quyết định"},
    {"issuer", "Issued by", "Cơ quan ban hành"},
    {"successions", "Closed units and their successors", "Đơn vị đã kết thúc và đơn vị kế thừa"},
    {"last_day", "Last day", "Ngày kết thúc"},
    {"successors", "Succeeded by", "Đơn vị kế thừa"},
    {"sync", "Synchronisation by unit", "Tình hình đồng bộ của các đơn vị"},
    {"last_sync", "Last sync", "Lần đồng bộ gần nhất"},
    {"never", "never", "chưa có"},
    {"rejected_pushes", "Refused at push", "Bị từ chối khi gửi"},
    {"no_records", "No records yet.", "Chưa có hồ sơ."},
    {"no_awards", "No awards yet.", "Chưa có khen thưởng."},
    {"chart_units", "Records by unit and status", "Biểu đồ hồ sơ theo đơn vị và trạng thái"},
    {"chart_forms", "Awards by form", "Biểu đồ khen thưởng theo hình thức"},
    {"info", "About", "Thông tin"},
    {"item", "Item", "Mục"},
    {"value", "Value", "Giá trị"},
};

const char *report_status_code(size_t i)
{
    return i < REPORT_NSTATUS ? report_statuses[i].code : "";
}

const char *report_status_label(size_t i, report_lang_t lang)
{
    if (i >= REPORT_NSTATUS)
        return "";
    return lang == REPORT_VI ? report_statuses[i].vi : report_statuses[i].en;
}

const char *report_text(const char *key, report_lang_t lang)
{
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(report_texts); i++) {
        if (strcmp(report_texts[i].key, key) == 0)
            return lang == REPORT_VI ? report_texts[i].vi : report_texts[i].en;
    }
    return key;
}

static const struct {
    const char *code, *vi;
} report_kinds[] = {
    {"individual", "Cá nhân"},
    {"collective", "Tập thể"},
    {"household", "Hộ gia đình"},
};

const char *report_kind_label(const char *code, report_lang_t lang)
{
    if (lang == REPORT_EN)
        return code;
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(report_kinds); i++) {
        if (strcmp(report_kinds[i].code, code) == 0)
            return report_kinds[i].vi;
    }
    return code;
}

static int report_status_index(const char *code)
{
    for (size_t i = 0; i < REPORT_NSTATUS; i++) {
        if (strcmp(report_statuses[i].code, code) == 0)
            return (int)i;
    }
    return -1;
}

/*
 * A one-way table: first the codes the campaign lists (zeros included), in
 * its order, then any code the server counted that the campaign does not
 * list (kept, so that the totals add up).
 */
static int report_counts(report_count_t **out, size_t *n_out, uint64_t *total,
                         const char *const *codes, const char *const *names, size_t ncodes,
                         Thidua__V1__CountRow *const *rows, size_t nrows)
{
    report_count_t *t = calloc(ncodes + nrows + 1, sizeof(*t));
    if (t == NULL)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < ncodes; i++) {
        t[n].code = codes[i];
        t[n].name = names[i];
        n++;
    }
    *total = 0;
    for (size_t j = 0; j < nrows; j++) {
        const Thidua__V1__CountRow *row = rows[j];
        size_t i = 0;
        while (i < n && strcmp(t[i].code, row->key) != 0)
            i++;
        if (i == n) {
            t[n].code = row->key;
            t[n].name = row->key_name;
            n++;
        }
        if (t[i].name == NULL || t[i].name[0] == '\0')
            t[i].name = row->key_name;
        t[i].n += row->count;
        *total += row->count;
    }
    *out = t;
    *n_out = n;
    return 0;
}

/* An awardee with its form's place in the campaign's list, for sorting. */
typedef struct report_ranked {
    size_t rank;
    const Thidua__V1__Awardee *a;
} report_ranked_t;

static size_t report_form_rank(const Thidua__V1__Campaign *c, const char *form)
{
    for (size_t i = 0; c != NULL && i < c->n_award_forms; i++) {
        if (strcmp(c->award_forms[i]->code, form) == 0)
            return i;
    }
    return (size_t)-1;
}

static int report_awardee_cmp(const void *x, const void *y)
{
    const report_ranked_t *p = x, *q = y;
    const Thidua__V1__Awardee *a = p->a, *b = q->a;
    if (p->rank != q->rank)
        return p->rank < q->rank ? -1 : 1;
    int c = strcmp(a->form, b->form);
    if (c == 0)
        c = strcmp(a->org_unit, b->org_unit);
    if (c == 0)
        c = text_collate(a->nominee_name, b->nominee_name);
    if (c == 0)
        c = strcmp(a->id, b->id);
    return c;
}

/* The awardees by form (the campaign's order), unit code, then name in Vietnamese order. */
static int report_sort_awardees(report_t *r, const Thidua__V1__ReportResponse *resp)
{
    size_t n = resp->n_awardees;
    report_ranked_t *k = calloc(n + 1, sizeof(*k));
    r->awardees = calloc(n + 1, sizeof(*r->awardees));
    if (k == NULL || r->awardees == NULL) {
        free(k);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        k[i].a = resp->awardees[i];
        k[i].rank = report_form_rank(resp->campaign, k[i].a->form);
    }
    qsort(k, n, sizeof(*k), report_awardee_cmp);
    for (size_t i = 0; i < n; i++)
        r->awardees[i] = k[i].a;
    r->n_awardees = n;
    free(k);
    return 0;
}

static int report_units(report_t *r, const Thidua__V1__ReportResponse *resp)
{
    r->units = calloc(resp->n_by_unit_status + 1, sizeof(*r->units));
    if (r->units == NULL)
        return -1;
    for (size_t j = 0; j < resp->n_by_unit_status; j++) {
        const Thidua__V1__CountRow *row = resp->by_unit_status[j];
        size_t i = 0;
        while (i < r->n_units && strcmp(r->units[i].code, row->key) != 0)
            i++;
        if (i == r->n_units) {
            r->units[i].code = row->key;
            r->units[i].name = row->key_name;
            r->n_units++;
        }
        int s = report_status_index(row->key2);
        if (s >= 0) {
            r->units[i].n[s] += row->count;
            r->status_total[s] += row->count;
        }
        r->units[i].total += row->count;
        r->total += row->count;
    }
    return 0;
}

int report_build(report_t *r, const Thidua__V1__ReportResponse *resp, bool with_sync)
{
    memset(r, 0, sizeof(*r));
    r->resp = resp;
    const Thidua__V1__Campaign *c = resp->campaign;
    r->campaign_code = c != NULL ? c->code : "";
    r->campaign_name = c != NULL ? c->name : "";
    r->organiser = c != NULL ? c->organiser : "";
    r->starts_on = c != NULL ? c->starts_on : "";
    r->ends_on = c != NULL ? c->ends_on : "";
    r->generated_at_ms = resp->generated_at_ms;

    size_t nc = c != NULL ? c->n_categories : 0, nf = c != NULL ? c->n_award_forms : 0;
    size_t nk = THIDUA_ARRAY_LEN(report_kinds);
    const char **codes = calloc(nc + nf + nk + 1, sizeof(*codes));
    const char **names = calloc(nc + nf + nk + 1, sizeof(*names));
    int rc = codes == NULL || names == NULL ? -1 : 0;
    if (rc == 0)
        rc = report_units(r, resp);
    if (rc == 0) {
        for (size_t i = 0; i < nc; i++) {
            codes[i] = c->categories[i]->code;
            names[i] = c->categories[i]->name;
        }
        rc = report_counts(&r->categories, &r->n_categories, &r->categories_total, codes, names, nc,
                           resp->by_category, resp->n_by_category);
    }
    if (rc == 0) {
        for (size_t i = 0; i < nf; i++) {
            codes[i] = c->award_forms[i]->code;
            names[i] = c->award_forms[i]->name;
        }
        rc = report_counts(&r->forms, &r->n_forms, &r->forms_total, codes, names, nf,
                           resp->by_award_form, resp->n_by_award_form);
    }
    if (rc == 0) {
        for (size_t i = 0; i < nk; i++) {
            codes[i] = report_kinds[i].code;
            names[i] = report_kinds[i].vi;
        }
        rc = report_counts(&r->kinds, &r->n_kinds, &r->kinds_total, codes, names, nk, resp->by_kind,
                           resp->n_by_kind);
    }
    free(codes);
    free(names);
    if (rc == 0)
        rc = report_sort_awardees(r, resp);
    if (rc != 0) {
        report_free(r);
        return -1;
    }
    r->has_sync = with_sync;
    r->sync = (const Thidua__V1__UnitSyncHealth *const *)resp->sync_health;
    r->n_sync = resp->n_sync_health;
    r->successions = (const Thidua__V1__Succession *const *)resp->successions;
    r->n_successions = resp->n_successions;
    return 0;
}

void report_free(report_t *r)
{
    free(r->units);
    free(r->categories);
    free(r->forms);
    free(r->kinds);
    free(r->awardees);
    memset(r, 0, sizeof(*r));
}

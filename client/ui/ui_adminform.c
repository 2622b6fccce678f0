/*
 * ui_adminform.c - what the province's forms share (ui_console.h): a text
 * or a date read from a form and checked as the province's commands check
 * their options (NFC, the field's limit, dd/mm/yyyy), every problem listed
 * by field; and the three inputs of an award decision.
 */
#include <string.h>

#include "date.h"
#include "fields.h"
#include "i18n.h"
#include "ui_console.h"
#include "validate.h"

static void ui_problem(strbuf_t *problems, const char *key, const char *label, const char *why)
{
    strbuf_printf(problems, "<li data-field=\"%s\"><strong>", key);
    ui_esc(problems, label);
    strbuf_puts(problems, "</strong>: ");
    ui_esc(problems, why);
    strbuf_puts(problems, "</li>");
}

int ui_form_text(const ui_req_t *rq, const char *key, const char *label, bool multiline,
                 size_t max_chars, char **out, strbuf_t *problems)
{
    const char *in = ui_req_value(rq, key);
    text_rules_t rules = {.flags = multiline ? TEXT_MULTILINE : 0, .min_chars = 1,
                          .max_chars = max_chars};
    valid_error_t why;
    *out = NULL;
    if (valid_text(key, in, strlen(in), &rules, out, &why) == TD_OK)
        return 0;
    ui_problem(problems, key, label, why.reason);
    return -1;
}

int ui_form_date(const ui_req_t *rq, const char *key, const char *label, char out[DATE_STR_SIZE],
                 strbuf_t *problems)
{
    const char *in = ui_req_value(rq, key);
    int32_t days;
    int rc = strchr(in, '/') != NULL ? date_parse_vn(in, &days, NULL)
                                     : date_parse_iso(in, &days, NULL);
    if (rc == TD_OK && date_format_iso(days, out) == TD_OK)
        return 0;
    char why[200];
    snprintf(why, sizeof(why),
             in[0] == '\0'     ? _("give the date, as dd/mm/yyyy")
             : rc == TD_EFORMAT ? _("'%s' is not a date: write it as dd/mm/yyyy")
                               : _("'%s' is no day of the calendar"),
             in);
    ui_problem(problems, key, label, why);
    return -1;
}

void ui_decision_inputs(strbuf_t *sb, const ui_req_t *rq)
{
    static const struct {
        const char *key, *label, *hint;
    } in[] = {
        {"number", N_("Decision number"), "1520/QĐ-UBND"},
        {"date", N_("Signed on"), "dd/mm/yyyy"},
        {"signer", N_("Signer (title and name)"), "KT. CHỦ TỊCH – PHÓ CHỦ TỊCH Nguyễn Văn An"},
    };
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(in); i++) {
        strbuf_printf(sb, "<p><label for=\"%s\">", in[i].key);
        ui_esc(sb, _(in[i].label));
        strbuf_printf(sb, "</label> <input type=\"text\" id=\"%s\" name=\"%s\" placeholder=\"",
                      in[i].key, in[i].key);
        ui_esc(sb, in[i].hint);
        strbuf_puts(sb, "\" value=\"");
        if (rq != NULL && rq->post)
            ui_esc(sb, ui_req_value(rq, in[i].key));
        strbuf_puts(sb, "\" required></p>\n");
    }
}

int ui_decision_read(const ui_req_t *rq, ui_decision_t *d, strbuf_t *problems)
{
    memset(d, 0, sizeof(*d));
    int bad = 0;
    bad |= ui_form_text(rq, "number", _("Decision number"), false, FIELD_MAX(decision_number),
                        &d->number, problems);
    bad |= ui_form_date(rq, "date", _("Signed on"), d->date, problems);
    bad |= ui_form_text(rq, "signer", _("Signer (title and name)"), false,
                        FIELD_MAX(decision_signer), &d->signer, problems);
    Thidua__V1__AwardDecision init = THIDUA__V1__AWARD_DECISION__INIT;
    d->msg = init;
    d->msg.number = d->number != NULL ? d->number : (char *)"";
    d->msg.date = d->date;
    d->msg.signer = d->signer != NULL ? d->signer : (char *)"";
    d->msg.issuer = (char *)"";
    return bad ? -1 : 0;
}

void ui_decision_free(ui_decision_t *d)
{
    free(d->number);
    free(d->signer);
    memset(d, 0, sizeof(*d));
}

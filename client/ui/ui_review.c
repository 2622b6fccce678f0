/*
 * ui_review.c - one nomination as the province reviews it: its content, where
 * it stands, its possible duplicates, every revision the office sent and
 * what changed between two of them, the decisions and the award; and the
 * decisions themselves (approve, return for supplements, reject) and the
 * revocation of an award.
 *
 * A decision is made on the revision the page showed: the form carries it,
 * and the server refuses the decision if the office sent another revision
 * since (CONFLICT). The page then says so and shows what changed, exactly as
 * `thidua approve` explains a conflict; nothing is decided on content the
 * administrator has not read.
 *
 * Routes: GET /review/ID[?a=REV&b=REV], POST /review/ID/decide, POST
 * /review/ID/revoke.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "i18n.h"
#include "output.h"
#include "record.h"
#include "record_input.h"
#include "ui_console.h"
#include "ui_html.h"
#include "uuid.h"

/* A record with its whole history, the pages joined. Owns the envelopes. */
typedef struct ui_history {
    Thidua__V1__Envelope **envs;
    size_t nenvs;
    const Thidua__V1__Record *rec; /* the newest page's */
    const Thidua__V1__HistoryEntry **e;
    size_t n; /* oldest first */
} ui_history_t;

static void ui_history_free(ui_history_t *h)
{
    for (size_t i = 0; i < h->nenvs; i++)
        thidua__v1__envelope__free_unpacked(h->envs[i], NULL);
    free(h->envs);
    free(h->e);
    memset(h, 0, sizeof(*h));
}

/* Every page of id's history: TD_OK, or an error in e. */
static int ui_history_fetch(ui_console_t *c, const char *id, ui_history_t *h, ui_admin_err_t *e)
{
    memset(h, 0, sizeof(*h));
    Thidua__V1__GetRecordRequest g = THIDUA__V1__GET_RECORD_REQUEST__INIT;
    g.id = (char *)id;
    for (;;) {
        Thidua__V1__Envelope *env = NULL;
        int rc = ui_admin_call(c, &g.base, THIDUA__V1__ENVELOPE__BODY_GET_RECORD_RESPONSE, true,
                               &env, e);
        if (rc != TD_OK)
            return rc;
        Thidua__V1__Envelope **envs = realloc(h->envs, (h->nenvs + 1) * sizeof(*envs));
        const Thidua__V1__GetRecordResponse *r = env->get_record_response;
        const Thidua__V1__HistoryEntry **ents =
            realloc(h->e, (h->n + r->n_history + 1) * sizeof(*ents));
        if (envs != NULL)
            h->envs = envs;
        if (ents != NULL)
            h->e = ents;
        if (envs == NULL || ents == NULL) {
            thidua__v1__envelope__free_unpacked(env, NULL);
            snprintf(e->message, sizeof(e->message), "%s", _("out of memory"));
            return TD_ENOMEM;
        }
        h->envs[h->nenvs++] = env;
        if (h->rec == NULL)
            h->rec = r->record;
        /* Pages run from the newest back: this older page goes in front. */
        memmove(h->e + r->n_history, h->e, h->n * sizeof(*h->e));
        for (size_t i = 0; i < r->n_history; i++)
            h->e[i] = r->history[i];
        h->n += r->n_history;
        if (!r->history_more || r->history_next == 0)
            return TD_OK;
        g.history_before = r->history_next;
    }
}

/* The content of revision rev in the history, or NULL. */
static const Thidua__V1__Record *ui_history_revision(const ui_history_t *h, uint32_t rev)
{
    for (size_t i = h->n; i-- > 0;) {
        if (strcmp(h->e[i]->kind, "revision") == 0 && h->e[i]->revision == rev &&
            h->e[i]->content != NULL)
            return h->e[i]->content;
    }
    return NULL;
}

/* The content fields of a record as the server sent it, in record_input's order. */
static void ui_proto_values(const Thidua__V1__Record *r, const char *v[RECIN_NFIELDS])
{
    /* The same order as the office's pages: each field found by its proto name. */
    const ProtobufCMessageDescriptor *d = r->base.descriptor;
    for (int f = 0; f < RECIN_NFIELDS; f++) {
        const ProtobufCFieldDescriptor *fd =
            protobuf_c_message_descriptor_get_field_by_name(d, recin_fields[f].proto);
        if (fd != NULL && fd->type == PROTOBUF_C_TYPE_STRING) {
            const char *s = *(const char *const *)((const char *)r + fd->offset);
            v[f] = s != NULL ? s : "";
        } else {
            v[f] = "";
        }
    }
}

static void ui_review_content(const ui_console_t *c, strbuf_t *sb, const Thidua__V1__Record *r)
{
    const char *v[RECIN_NFIELDS];
    ui_proto_values(r, v);
    ui_record_fields(sb, c->office.welcome, v);
}

/* What changed from revision a to revision b, field by field. */
static void ui_review_diff(const ui_console_t *c, strbuf_t *sb, const ui_history_t *h,
                           uint32_t ra, uint32_t rb)
{
    const Thidua__V1__Record *a = ui_history_revision(h, ra), *b = ui_history_revision(h, rb);
    if (a == NULL || b == NULL)
        return;
    const char *va[RECIN_NFIELDS], *vb[RECIN_NFIELDS];
    ui_proto_values(a, va);
    ui_proto_values(b, vb);
    strbuf_printf(sb, "<table id=\"diff\" data-a=\"%" PRIu32 "\" data-b=\"%" PRIu32
                      "\"><caption>",
                  ra, rb);
    char cap[200];
    snprintf(cap, sizeof(cap), _("What changed from revision %u to revision %u"),
             ra, rb);
    ui_esc(sb, cap);
    strbuf_puts(sb, "</caption><thead><tr><th scope=\"col\">");
    ui_esc(sb, _("Field"));
    strbuf_printf(sb, "</th><th scope=\"col\">%s %" PRIu32 "</th><th scope=\"col\">%s %" PRIu32
                      "</th></tr></thead><tbody>\n",
                  _("Revision"), ra, _("Revision"), rb);
    size_t changed = 0;
    char d1[DATE_STR_SIZE], d2[DATE_STR_SIZE];
    for (int f = 0; f < RECIN_NFIELDS; f++) {
        if (strcmp(va[f], vb[f]) == 0)
            continue;
        changed++;
        const char *label = field_label(recin_fields[f].proto);
        strbuf_printf(sb, "<tr class=\"changed\" data-field=\"%s\"><th scope=\"row\">",
                      recin_fields[f].proto);
        ui_esc(sb, label != NULL ? label : recin_fields[f].proto);
        strbuf_puts(sb, "</th><td class=\"old\"><del>");
        ui_esc(sb, ui_field_text(c->office.welcome, (recin_field_t)f, va[f], d1));
        strbuf_puts(sb, "</del></td><td class=\"new\"><ins>");
        ui_esc(sb, ui_field_text(c->office.welcome, (recin_field_t)f, vb[f], d2));
        strbuf_puts(sb, "</ins></td></tr>\n");
    }
    if (changed == 0) {
        strbuf_puts(sb, "<tr><td colspan=\"3\">");
        ui_esc(sb, _("No field changed."));
        strbuf_puts(sb, "</td></tr>\n");
    }
    strbuf_puts(sb, "</tbody></table>\n");
}

/* The two revisions to compare, chosen or by default the last two. */
static void ui_review_compare(const ui_console_t *c, strbuf_t *sb, const ui_history_t *h,
                              const ui_req_t *rq, uint32_t read_rev)
{
    uint32_t last = h->rec->revision;
    if (last < 2)
        return;
    const char *qa = ui_req_query(rq, "a"), *qb = ui_req_query(rq, "b");
    uint32_t a = qa != NULL ? (uint32_t)strtoul(qa, NULL, 10) : 0;
    uint32_t b = qb != NULL ? (uint32_t)strtoul(qb, NULL, 10) : 0;
    if (b == 0 || b > last)
        b = last;
    if (a == 0 || a >= b)
        a = read_rev > 0 && read_rev < b ? read_rev : b - 1;
    strbuf_puts(sb, "<h2>");
    ui_esc(sb, _("Changes between revisions"));
    strbuf_printf(sb, "</h2>\n<form method=\"get\" action=\"/review/%s\" class=\"filters\">",
                  h->rec->id);
    const char *names[2] = {"a", "b"};
    uint32_t chosen[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        strbuf_printf(sb, "<label for=\"rev-%s\">%s</label> <select id=\"rev-%s\" name=\"%s\">",
                      names[k], k == 0 ? _("from revision") : _("to revision"), names[k],
                      names[k]);
        for (uint32_t r = 1; r <= last; r++)
            strbuf_printf(sb, "<option value=\"%" PRIu32 "\"%s>%" PRIu32 "</option>", r,
                          r == chosen[k] ? " selected" : "", r);
        strbuf_puts(sb, "</select> ");
    }
    strbuf_puts(sb, "<button type=\"submit\" data-action=\"compare\">");
    ui_esc(sb, _("Compare"));
    strbuf_puts(sb, "</button></form>\n");
    ui_review_diff(c, sb, h, a, b);
}

static void ui_review_history(strbuf_t *sb, const ui_history_t *h)
{
    strbuf_puts(sb, "<h2>");
    ui_esc(sb, _("History"));
    strbuf_puts(sb, "</h2>\n<table id=\"history\"><thead><tr>");
    const char *heads[] = {_("When"), _("What"), _("By"), _("Reason")};
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(heads); i++) {
        strbuf_puts(sb, "<th scope=\"col\">");
        ui_esc(sb, heads[i]);
        strbuf_puts(sb, "</th>");
    }
    strbuf_puts(sb, "</tr></thead><tbody>\n");
    for (size_t i = 0; i < h->n; i++) {
        const Thidua__V1__HistoryEntry *e = h->e[i];
        char when[OUT_TIME_SIZE], what[300];
        if (strcmp(e->kind, "revision") == 0)
            snprintf(what, sizeof(what), _("revision %u sent"), e->revision);
        else if (strcmp(e->kind, "decision") == 0)
            snprintf(what, sizeof(what), _("%s (revision %u)"),
                     out_action_label(e->action), e->revision);
        else
            snprintf(what, sizeof(what), "%s", out_action_label(e->kind));
        strbuf_printf(sb, "<tr data-kind=\"%s\"><td>", e->kind);
        ui_esc(sb, out_time_vn(e->at_ms, when));
        strbuf_puts(sb, "</td><td>");
        ui_esc(sb, what);
        strbuf_puts(sb, "</td><td>");
        ui_esc(sb, e->by_unit);
        strbuf_puts(sb, "</td><td>");
        ui_esc(sb, e->reason);
        strbuf_puts(sb, "</td></tr>\n");
    }
    strbuf_puts(sb, "</tbody></table>\n");
}

/* The decision forms, on the revision shown; only a submitted record can be decided. */
static void ui_review_decide_form(ui_console_t *c, strbuf_t *sb, const Thidua__V1__Record *r)
{
    if (r->status != THIDUA__V1__RECORD__STATUS__SUBMITTED)
        return;
    strbuf_puts(sb, "<h2>");
    ui_esc(sb, _("Decide"));
    strbuf_printf(sb, "</h2>\n<form method=\"post\" action=\"/review/%s/decide\" id=\"decide\">",
                  r->id);
    ui_csrf(sb, &c->auth);
    strbuf_printf(sb, "<input type=\"hidden\" name=\"revision\" value=\"%" PRIu32 "\">",
                  r->revision);
    strbuf_puts(sb, "<p><label for=\"reason\">");
    ui_esc(sb, _("Reason (needed to return or reject; the office reads it)"));
    strbuf_puts(sb, "</label><br><textarea id=\"reason\" name=\"reason\" rows=\"3\" cols=\"70\">"
                    "</textarea></p>\n<p class=\"actions\">");
    static const struct {
        const char *action, *label;
    } acts[] = {
        {"approve", N_("Approve")},
        {"return", N_("Return for supplements")},
        {"reject", N_("Reject")},
    };
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(acts); i++) {
        strbuf_printf(sb, "<button type=\"submit\" name=\"action\" value=\"%s\" "
                          "data-action=\"%s\">",
                      acts[i].action, acts[i].action);
        ui_esc(sb, _(acts[i].label));
        strbuf_puts(sb, "</button> ");
    }
    char line[200];
    snprintf(line, sizeof(line), _("The decision is made on revision %u, shown above."),
             r->revision);
    strbuf_puts(sb, "</p><p class=\"hint\">");
    ui_esc(sb, line);
    strbuf_puts(sb, "</p></form>\n");
}

static void ui_review_award(const ui_console_t *c, strbuf_t *sb, const Thidua__V1__Record *r,
                            const ui_req_t *rq)
{
    const Thidua__V1__Award *aw = r->award;
    if (aw == NULL || aw->form == NULL || aw->form[0] == '\0')
        return;
    char d[DATE_STR_SIZE];
    strbuf_puts(sb, "<h2>");
    ui_esc(sb, _("Award"));
    strbuf_puts(sb, "</h2>\n<dl class=\"award\" id=\"award\"><dt>");
    ui_esc(sb, _("Award form"));
    strbuf_puts(sb, "</dt><dd>");
    ui_esc(sb, out_form_label(c->office.welcome, aw->form));
    strbuf_puts(sb, "</dd>");
    if (aw->decision != NULL) {
        strbuf_puts(sb, "<dt>");
        ui_esc(sb, _("Decision"));
        strbuf_puts(sb, "</dt><dd data-field=\"decision\">");
        ui_esc(sb, aw->decision->number);
        strbuf_puts(sb, ", ");
        ui_esc(sb, out_date_vn(aw->decision->date, d));
        strbuf_puts(sb, ", ");
        ui_esc(sb, aw->decision->signer);
        strbuf_printf(sb, " · <a href=\"/decisions/print.pdf?number=");
        ui_esc(sb, aw->decision->number);
        strbuf_printf(sb, "&amp;year=%.4s\" data-action=\"print-decision\">", aw->decision->date);
        ui_esc(sb, _("Print the decision"));
        strbuf_puts(sb, "</a></dd>");
    }
    if (aw->revoked_reason != NULL && aw->revoked_reason[0] != '\0') {
        strbuf_puts(sb, "<dt>");
        ui_esc(sb, _("Revoked"));
        strbuf_puts(sb, "</dt><dd id=\"revoked\">");
        ui_esc(sb, aw->revoked_reason);
        if (aw->revoked_by != NULL) {
            strbuf_puts(sb, " (");
            ui_esc(sb, aw->revoked_by->number);
            strbuf_puts(sb, ")");
        }
        strbuf_puts(sb, "</dd>");
    }
    strbuf_puts(sb, "</dl>\n");
    if (r->status != THIDUA__V1__RECORD__STATUS__AWARDED)
        return;
    strbuf_puts(sb, "<details><summary>");
    ui_esc(sb, _("Revoke the award (false declaration)"));
    strbuf_printf(sb, "</summary><form method=\"post\" action=\"/review/%s/revoke\" "
                      "id=\"revoke\">",
                  r->id);
    ui_csrf(sb, &c->auth);
    strbuf_puts(sb, "<p><label for=\"reason\">");
    ui_esc(sb, _("Reason"));
    strbuf_puts(sb, "</label><br><textarea id=\"reason\" name=\"reason\" rows=\"3\" cols=\"70\" "
                    "required></textarea></p>\n");
    ui_decision_inputs(sb, rq);
    strbuf_puts(sb, "<p><button type=\"submit\" data-action=\"revoke\">");
    ui_esc(sb, _("Revoke"));
    strbuf_puts(sb, "</button></p></form></details>\n");
}

/* The record's page; notice (or NULL) and problems (or NULL) on top. */
static void ui_review_page(ui_console_t *c, const char *id, const ui_req_t *rq, ui_resp_t *rs,
                           const char *flash, const char *problems, uint32_t read_rev)
{
    strbuf_t *sb = &rs->body;
    ui_history_t h;
    ui_admin_err_t e;
    int rc = ui_history_fetch(c, id, &h, &e);
    if (rc != TD_OK) {
        rs->status = e.code == THIDUA__V1__ERROR__CODE__NOT_FOUND ? 404 : 502;
        ui_page_begin(sb, _("Nomination"), UI_NAV_QUEUE, &c->frame);
        ui_admin_notice(sb, &e);
        ui_page_end(sb);
        ui_history_free(&h);
        return;
    }
    const Thidua__V1__Record *r = h.rec;
    const Thidua__V1__Welcome *w = c->office.welcome;
    ui_page_begin(sb, r->nominee_name, UI_NAV_QUEUE, &c->frame);
    if (flash != NULL)
        ui_notice(sb, "ok", flash);
    if (problems != NULL && problems[0] != '\0') {
        strbuf_puts(sb, "<div class=\"notice error\" role=\"alert\" id=\"problems\"><ul>");
        strbuf_puts(sb, problems); /* already HTML, each text escaped */
        strbuf_puts(sb, "</ul></div>\n");
    }
    const char *unit = out_unit_name(w, r->org_unit);
    char line[1400];
    snprintf(line, sizeof(line), _("%s · from %s · revision %u"), out_status_label(r->status),
             unit != NULL ? unit : r->org_unit, r->revision);
    strbuf_printf(sb, "<p class=\"state\" id=\"state\" data-status=\"%s\" data-revision=\"%" PRIu32
                      "\">",
                  out_status_name(r->status), r->revision);
    ui_esc(sb, line);
    strbuf_puts(sb, "</p>\n");
    const Thidua__V1__Decision *dec = r->decision;
    if (dec != NULL && dec->action != NULL && dec->action[0] != '\0') {
        char when[OUT_TIME_SIZE];
        snprintf(line, sizeof(line), _("Last decision: %s on revision %u, %s"),
                 out_action_label(dec->action), dec->revision, out_time_vn(dec->decided_at_ms, when));
        strbuf_puts(sb, "<p id=\"decision\">");
        ui_esc(sb, line);
        if (dec->reason != NULL && dec->reason[0] != '\0') {
            strbuf_puts(sb, ": <q class=\"reason\">");
            ui_esc(sb, dec->reason);
            strbuf_puts(sb, "</q>");
        }
        strbuf_puts(sb, "</p>\n");
    }
    if (r->n_possible_duplicates > 0) {
        strbuf_puts(sb, "<div class=\"notice warn\" id=\"duplicates\">");
        ui_esc(sb, _("Other nominations of the campaign may be the same nominee:"));
        for (size_t i = 0; i < r->n_possible_duplicates; i++)
            strbuf_printf(sb, " <a href=\"/review/%s\">%.8s</a>", r->possible_duplicates[i],
                          r->possible_duplicates[i]);
        strbuf_puts(sb, "</div>\n");
    }
    /* What changed first: a resubmitted nomination is read for its changes, then decided. */
    ui_review_compare(c, sb, &h, rq, read_rev);
    ui_review_decide_form(c, sb, r);
    ui_review_content(c, sb, r);
    ui_review_award(c, sb, r, rq);
    ui_review_history(sb, &h);
    ui_page_end(sb);
    ui_history_free(&h);
}

/* The id at the start of rest ("ID" or "ID/verb"); false when it is none. */
static bool ui_review_id(const char *rest, char id[UUID_STR_SIZE], const char **verb)
{
    size_t n = strcspn(rest, "/");
    if (n >= UUID_STR_SIZE)
        return false;
    char buf[UUID_STR_SIZE];
    memcpy(buf, rest, n);
    buf[n] = '\0';
    if (uuid_parse(buf, id, NULL) != TD_OK)
        return false;
    *verb = rest[n] == '/' ? rest + n + 1 : "";
    return true;
}

void ui_page_review_get(void *app, ui_req_t *rq, ui_resp_t *rs)
{
    ui_console_t *c = app;
    char id[UUID_STR_SIZE];
    const char *verb;
    if (!ui_review_id(rq->path + strlen("/review/"), id, &verb) || verb[0] != '\0') {
        rs->status = 404;
        ui_page_begin(&rs->body, _("No such nomination"), UI_NAV_QUEUE, &c->frame);
        ui_page_end(&rs->body);
        return;
    }
    static const ui_flash_t flashes[] = {
        {"approve", N_("Approved.")},
        {"return", N_("Returned to the office with the reason: it sees it at its next sync.")},
        {"reject", N_("Rejected.")},
        {"revoke", N_("The award is revoked.")},
    };
    const char *flash =
        ui_flash(ui_req_query(rq, "done"), flashes, THIDUA_ARRAY_LEN(flashes));
    ui_review_page(c, id, rq, rs, flash, NULL, 0);
}

/* POST /review/ID/decide. */
static void ui_review_decide(ui_console_t *c, const char *id, ui_req_t *rq, ui_resp_t *rs)
{
    const char *action = ui_req_value(rq, "action");
    unsigned long rev = strtoul(ui_req_value(rq, "revision"), NULL, 10);
    strbuf_t problems;
    strbuf_init(&problems);
    char *reason = NULL;
    bool needs_reason = strcmp(action, "approve") != 0;
    if (strcmp(action, "approve") != 0 && strcmp(action, "return") != 0 &&
        strcmp(action, "reject") != 0)
        strbuf_puts(&problems, "<li>?</li>"); /* only a forged form: the page has three buttons */
    else if (rev == 0 || rev > UINT32_MAX)
        strbuf_puts(&problems, "<li>?</li>");
    else if (needs_reason || ui_req_value(rq, "reason")[0] != '\0')
        (void)ui_form_text(rq, "reason", _("Reason"), true, FIELD_MAX(reason), &reason, &problems);
    if (problems.len > 0) {
        rs->status = 422;
        ui_review_page(c, id, rq, rs, NULL, strbuf_str(&problems), 0);
        strbuf_free(&problems);
        return;
    }
    Thidua__V1__DecideRequest d = THIDUA__V1__DECIDE_REQUEST__INIT;
    d.id = (char *)id;
    d.revision = (uint32_t)rev;
    d.action = (char *)action;
    d.reason = reason != NULL ? reason : (char *)"";
    Thidua__V1__Envelope *env = NULL;
    ui_admin_err_t e;
    int rc = ui_admin_call(c, &d.base, THIDUA__V1__ENVELOPE__BODY_DECIDE_RESPONSE, false, &env, &e);
    free(reason);
    if (rc == TD_OK) {
        thidua__v1__envelope__free_unpacked(env, NULL);
        char to[128];
        snprintf(to, sizeof(to), "/review/%s?done=%s", id, action);
        ui_resp_redirect(rs, to);
        strbuf_free(&problems);
        return;
    }
    if (e.code == THIDUA__V1__ERROR__CODE__CONFLICT) {
        char said[sizeof(e.message)];
        memcpy(said, e.message, sizeof(said));
        snprintf(e.message, sizeof(e.message),
                 _("Not decided: the nomination changed since you read revision %lu (%s). Read "
                   "what changed below, then decide again."),
                 rev, said);
    }
    strbuf_puts(&problems, "<li>");
    ui_esc(&problems, e.message);
    strbuf_puts(&problems, "</li>");
    rs->status = 409;
    ui_review_page(c, id, rq, rs, NULL, strbuf_str(&problems), (uint32_t)rev);
    strbuf_free(&problems);
}

/* POST /review/ID/revoke. */
static void ui_review_revoke(ui_console_t *c, const char *id, ui_req_t *rq, ui_resp_t *rs)
{
    strbuf_t problems;
    strbuf_init(&problems);
    char *reason = NULL;
    ui_decision_t dec;
    int bad = ui_form_text(rq, "reason", _("Reason"), true, FIELD_MAX(reason), &reason, &problems);
    bad |= ui_decision_read(rq, &dec, &problems);
    if (bad == 0) {
        Thidua__V1__RevokeRequest r = THIDUA__V1__REVOKE_REQUEST__INIT;
        r.id = (char *)id;
        r.reason = reason;
        r.decision = &dec.msg;
        Thidua__V1__Envelope *env = NULL;
        ui_admin_err_t e;
        if (ui_admin_call(c, &r.base, THIDUA__V1__ENVELOPE__BODY_REVOKE_RESPONSE, false, &env,
                          &e) == TD_OK) {
            thidua__v1__envelope__free_unpacked(env, NULL);
            char to[128];
            snprintf(to, sizeof(to), "/review/%s?done=revoke", id);
            ui_resp_redirect(rs, to);
        } else {
            strbuf_puts(&problems, "<li>");
            ui_esc(&problems, e.message);
            strbuf_puts(&problems, "</li>");
        }
    }
    if (problems.len > 0) {
        rs->status = 422;
        ui_review_page(c, id, rq, rs, NULL, strbuf_str(&problems), 0);
    }
    free(reason);
    ui_decision_free(&dec);
    strbuf_free(&problems);
}

void ui_page_review_post(void *app, ui_req_t *rq, ui_resp_t *rs)
{
    ui_console_t *c = app;
    char id[UUID_STR_SIZE];
    const char *verb;
    if (!ui_review_id(rq->path + strlen("/review/"), id, &verb) ||
        (strcmp(verb, "decide") != 0 && strcmp(verb, "revoke") != 0)) {
        rs->status = 404;
        ui_page_begin(&rs->body, _("No such nomination"), UI_NAV_QUEUE, &c->frame);
        ui_page_end(&rs->body);
        return;
    }
    if (strcmp(verb, "decide") == 0)
        ui_review_decide(c, id, rq, rs);
    else
        ui_review_revoke(c, id, rq, rs);
}

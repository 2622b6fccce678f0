/*
 * admin_session.c - the province commands' shared session: connection, Errors in one
 * line with an exit code, names from Welcome, ids and arguments as typed.
 */
#include "admin_session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "output.h"
#include "seen_revisions.h"
#include "text.h"
#include "validate.h"

int admin_init(admin_t *a, cli_t *cli, const char *cmd)
{
    memset(a, 0, sizeof(*a));
    a->cli = cli;
    a->cmd = cmd;
    int rc = cli_load_config(cli);
    if (rc != CLI_EXIT_OK || cli->help_only)
        return rc;
    if (seen_path(cli->cfg.path, a->seen_path, sizeof(a->seen_path)) != 0) {
        cli_error(_("%s: the configuration's folder name is too long"), cmd);
        return CLI_EXIT_STORE;
    }
    return CLI_EXIT_OK;
}

int admin_connect(admin_t *a)
{
    char err[1024];
    if (clientcfg_check_network(&a->cli->cfg, err, sizeof(err)) != 0) {
        cli_error("%s", err);
        return CLI_EXIT_STORE;
    }
    int rc = rpc_open(&a->rpc, &a->cli->cfg, err, sizeof(err));
    if (rc != 0) {
        cli_error(_("%s: cannot connect: %s"), a->cmd, err);
        return cli_rpc_exit(rc);
    }
    a->open = true;
    return CLI_EXIT_OK;
}

void admin_close(admin_t *a)
{
    if (a->open)
        rpc_close(&a->rpc);
    a->open = false;
}

int admin_error_exit(Thidua__V1__Error__Code code)
{
    switch (code) {
    case THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT:
    case THIDUA__V1__ERROR__CODE__NOT_FOUND:
    case THIDUA__V1__ERROR__CODE__CONFLICT:
    case THIDUA__V1__ERROR__CODE__TOO_LARGE:
        return CLI_EXIT_INVALID;
    case THIDUA__V1__ERROR__CODE__PERMISSION_DENIED:
    case THIDUA__V1__ERROR__CODE__UNSUPPORTED:
    case THIDUA__V1__ERROR__CODE__UNSUPPORTED_VERSION:
        return CLI_EXIT_REFUSED;
    default:
        return CLI_EXIT_NETWORK; /* unavailable, shutting down, a server fault: later */
    }
}

const char *admin_field_option(const char *field)
{
    static const struct {
        const char *field, *option;
    } map[] = {
        {"decision.number", "--decision"},
        {"decision.date", "--date"},
        {"decision.signer", "--signer"},
        {"decision.issuer", "--issuer"},
        {"decision", "--decision"},
        {"form", "--form"},
        {"reason", "--reason"},
        {"revision", "--revision"},
        {"org_unit", "--unit"},
        {"nominee_kind", "--kind"},
        {"category", "--category"},
        {"award", "--award"},
        {"campaign", "--campaign"},
        {"status", NULL},
        {"limit", "--limit"},
        {"offset", "--page"},
        {"id", "ID"},
        {"ids", "ID"},
    };
    for (size_t i = 0; field != NULL && i < THIDUA_ARRAY_LEN(map); i++) {
        if (strcmp(map[i].field, field) == 0)
            return map[i].option;
    }
    return NULL;
}

void admin_error_print(const admin_t *a, const admin_error_t *e)
{
    const char *opt = admin_field_option(e->field);
    if (e->code == THIDUA__V1__ERROR__CODE__UNSUPPORTED) {
        cli_error(_("%s: the server does not answer this request (%s): it is an older version"),
                  a->cmd, e->message);
        return;
    }
    if (e->field[0] == '\0')
        cli_error("%s: %s", a->cmd, e->message);
    else if (opt != NULL)
        cli_error("%s: %s (%s): %s", a->cmd, e->field, opt, e->message);
    else
        cli_error("%s: %s: %s", a->cmd, e->field, e->message);
}

int admin_call(admin_t *a, const ProtobufCMessage *body, Thidua__V1__Envelope__BodyCase want,
               Thidua__V1__Envelope **reply, admin_error_t *err_out)
{
    *reply = NULL;
    if (err_out != NULL)
        memset(err_out, 0, sizeof(*err_out)); /* code 0: no Error, the problem was printed */
    Thidua__V1__Envelope *env = NULL;
    int rc = rpc_call(&a->rpc, body, &env);
    if (rc != 0) {
        cli_error("%s: %s", a->cmd, rpc_error(&a->rpc));
        return cli_rpc_exit(rc);
    }
    if (env->body_case == want) {
        *reply = env;
        return CLI_EXIT_OK;
    }
    if (env->body_case != THIDUA__V1__ENVELOPE__BODY_ERROR) {
        cli_error(_("%s: the server answered with an unexpected message (%d)"), a->cmd,
                  (int)env->body_case);
        thidua__v1__envelope__free_unpacked(env, NULL);
        return CLI_EXIT_NETWORK;
    }
    admin_error_t e;
    memset(&e, 0, sizeof(e));
    e.code = env->error->code;
    snprintf(e.field, sizeof(e.field), "%s", env->error->field ? env->error->field : "");
    snprintf(e.message, sizeof(e.message), "%s", env->error->message ? env->error->message : "");
    thidua__v1__envelope__free_unpacked(env, NULL);
    if (e.code == THIDUA__V1__ERROR__CODE__PERMISSION_DENIED && a->rpc.welcome != NULL &&
        a->rpc.welcome->role != THIDUA__V1__ROLE__ROLE_PROVINCE &&
        strstr(e.message, "province certificate") == NULL) {
        size_t len = strlen(e.message);
        snprintf(e.message + len, sizeof(e.message) - len,
                 _("%sthis command needs a province certificate; this one is unit %s's"),
                 len > 0 ? "; " : "", a->rpc.welcome->org_unit);
    }
    if (err_out != NULL)
        *err_out = e;
    else
        admin_error_print(a, &e);
    return admin_error_exit(e.code);
}

int admin_resolve_id(const admin_t *a, const char *where, const char *arg, char out[UUID_STR_SIZE])
{
    if (where == NULL)
        where = "ID";
    if (uuid_parse(arg, out, NULL) == TD_OK)
        return CLI_EXIT_OK;
    size_t hex = 0;
    for (const char *p = arg; *p != '\0'; p++) {
        bool h = (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F');
        if (!h && *p != '-') {
            cli_error(_("%s: %s '%s' is not a record id (a UUID, or its first 8 or more "
                      "hexadecimal digits)"),
                      a->cmd, where, arg);
            return CLI_EXIT_USAGE;
        }
        hex += h;
    }
    if (hex < 8 || hex >= 32) {
        cli_error(_("%s: %s '%s': give the whole id or at least its first 8 hexadecimal digits"),
                  a->cmd, where, arg);
        return CLI_EXIT_USAGE;
    }
    char err[1200];
    int rc = seen_find_prefix(a->seen_path, arg, out, err, sizeof(err));
    switch (rc) {
    case TD_OK:
        return CLI_EXIT_OK;
    case TD_EAMBIGUOUS:
        cli_error(_("%s: %s '%s' starts more than one record you have listed; give more digits"),
                  a->cmd, where, arg);
        return CLI_EXIT_USAGE;
    case TD_ENOTFOUND:
        cli_error(_("%s: %s '%s' starts no record you have listed: give the whole id, or run "
                  "`thidua review list` first"),
                  a->cmd, where, arg);
        return CLI_EXIT_USAGE;
    case TD_ENOMEM:
        cli_error(_("%s: out of memory"), a->cmd);
        return CLI_EXIT_STORE;
    default:
        cli_error("%s: %s", a->cmd, err);
        return CLI_EXIT_STORE;
    }
}

int admin_text_arg(const admin_t *a, const char *option, const char *in, bool multiline,
                   size_t max_chars, char **out)
{
    text_rules_t rules = {
        .flags = multiline ? TEXT_MULTILINE : 0, .min_chars = 1, .max_chars = max_chars};
    valid_error_t why;
    int rc = valid_text(option, in, strlen(in), &rules, out, &why);
    if (rc == TD_OK)
        return CLI_EXIT_OK;
    cli_error("%s: %s: %s", a->cmd, option, why.reason);
    return rc == TD_EINPUT ? CLI_EXIT_INVALID : CLI_EXIT_STORE;
}

int admin_date_arg(const admin_t *a, const char *option, const char *in, char out[11])
{
    int32_t days;
    date_ymd_t ymd;
    int rc =
        strchr(in, '/') != NULL ? date_parse_vn(in, &days, &ymd) : date_parse_iso(in, &days, &ymd);
    if (rc == TD_OK && date_format_iso(days, out) == TD_OK)
        return CLI_EXIT_OK;
    if (rc == TD_EFORMAT)
        cli_error(_("%s: %s: '%s' is not a date (YYYY-MM-DD or DD/MM/YYYY)"), a->cmd, option, in);
    else
        cli_error(_("%s: %s: '%s' is no day of the calendar"), a->cmd, option, in);
    return CLI_EXIT_INVALID;
}

int admin_count_arg(const admin_t *a, const char *option, const char *in, unsigned long min,
                    unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(in, &end, 10);
    if (errno != 0 || end == in || *end != '\0' || in[0] == '-' || v < min || v > max) {
        cli_error(_("%s: %s must be a whole number from %lu to %lu"), a->cmd, option, min, max);
        return CLI_EXIT_USAGE;
    }
    *out = v;
    return CLI_EXIT_OK;
}

void admin_json_decision(strbuf_t *sb, const Thidua__V1__AwardDecision *d)
{
    if (d == NULL) {
        strbuf_puts(sb, "null");
        return;
    }
    strbuf_putc(sb, '{');
    out_json_str(sb, "number", d->number);
    out_json_str(sb, "date", d->date);
    out_json_str(sb, "signer", d->signer);
    out_json_str(sb, "issuer", d->issuer);
    strbuf_putc(sb, '}');
}

int admin_print_record_json(const Thidua__V1__Record *r)
{
    strbuf_t sb;
    strbuf_init(&sb);
    strbuf_puts(&sb, "{\"record\":");
    if (r != NULL)
        admin_json_record(&sb, r);
    else
        strbuf_puts(&sb, "null");
    strbuf_putc(&sb, '}');
    return out_json_done(&sb);
}

void admin_json_record(strbuf_t *sb, const Thidua__V1__Record *r)
{
    strbuf_putc(sb, '{');
    out_json_str(sb, "id", r->id);
    out_json_str(sb, "campaign", r->campaign);
    out_json_str(sb, "org_unit", r->org_unit);
    out_json_str(sb, "nominee_kind", r->nominee_kind);
    out_json_str(sb, "nominee_name", r->nominee_name);
    out_json_str(sb, "birth_date", r->birth_date);
    out_json_str(sb, "gender", r->gender);
    out_json_str(sb, "position", r->position);
    out_json_str(sb, "workplace", r->workplace);
    out_json_str(sb, "title", r->title);
    out_json_str(sb, "summary", r->summary);
    out_json_str(sb, "category", r->category);
    out_json_str(sb, "achieved_on", r->achieved_on);
    out_json_str(sb, "proposed_award", r->proposed_award);
    out_json_int(sb, "revision", r->revision);
    out_json_str(sb, "status", out_status_name(r->status));
    out_json_bool(sb, "withdrawn", r->withdrawn);
    out_json_int(sb, "change_seq", (long long)r->change_seq);
    out_json_int(sb, "updated_at_ms", (long long)r->updated_at_ms);
    out_json_key(sb, "decision");
    if (r->decision != NULL && r->decision->action != NULL && r->decision->action[0] != '\0') {
        strbuf_putc(sb, '{');
        out_json_str(sb, "action", r->decision->action);
        out_json_int(sb, "revision", r->decision->revision);
        out_json_str(sb, "reason", r->decision->reason);
        out_json_int(sb, "decided_at_ms", (long long)r->decision->decided_at_ms);
        strbuf_putc(sb, '}');
    } else {
        strbuf_puts(sb, "null");
    }
    out_json_key(sb, "award");
    if (r->award != NULL && r->award->form != NULL && r->award->form[0] != '\0') {
        strbuf_putc(sb, '{');
        out_json_str(sb, "form", r->award->form);
        out_json_key(sb, "decision");
        admin_json_decision(sb, r->award->decision);
        out_json_str(sb, "revoked_reason", r->award->revoked_reason);
        out_json_key(sb, "revoked_by");
        const Thidua__V1__AwardDecision *rb = r->award->revoked_by;
        admin_json_decision(sb,
                            rb != NULL && rb->number != NULL && rb->number[0] != '\0' ? rb : NULL);
        strbuf_putc(sb, '}');
    } else {
        strbuf_puts(sb, "null");
    }
    out_json_strs(sb, "possible_duplicates", r->possible_duplicates, r->n_possible_duplicates);
    strbuf_putc(sb, '}');
}

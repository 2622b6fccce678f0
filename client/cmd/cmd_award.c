/*
 * cmd_award.c - `award` and `revoke`: the province's award decisions.
 *
 * One award decision (quyết định khen thưởng: a number, a date, a signer) may
 * award many records, so `award` takes many ids, on the command line or from
 * a file, and prints one result per record: the server answers each record
 * separately, and one record that is not approved does not stop the others.
 * A long list goes in batches of the server's max_batch under the same
 * decision; the server accepts more records under a number already used
 * only with the same date and signer, so a rerun after a broken connection is
 * harmless (the records already awarded answer DUPLICATE).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_session.h"
#include "cli.h"
#include "i18n.h"
#include "cmdopt.h"
#include "fields.h"
#include "output.h"

/* Text bounds the server applies: the field table (fields.h, docs/protocol.md). */
enum {
    AWARD_NUMBER_MAX = FIELD_MAX(decision_number),
    AWARD_SIGNER_MAX = FIELD_MAX(decision_signer),
    AWARD_ISSUER_MAX = FIELD_MAX(decision_issuer),
    AWARD_REASON_MAX = FIELD_MAX(reason)
};

/* The decision as typed, then as sent. Owns number, signer and issuer. */
typedef struct award_decision_args {
    const char *number_arg, *date_arg, *signer_arg, *issuer_arg;
    char *number, *signer, *issuer;
    char date[DATE_STR_SIZE];
} award_decision_args_t;

static void award_decision_free(award_decision_args_t *d)
{
    free(d->number);
    free(d->signer);
    free(d->issuer);
    d->number = d->signer = d->issuer = NULL;
}

/* Check the decision's options and fill msg (which borrows from d). */
static int award_decision_build(const admin_t *a, award_decision_args_t *d,
                                Thidua__V1__AwardDecision *msg)
{
    static const struct {
        const char *opt;
        size_t off;
    } need[] = {
        {"--decision", offsetof(award_decision_args_t, number_arg)},
        {"--date", offsetof(award_decision_args_t, date_arg)},
        {"--signer", offsetof(award_decision_args_t, signer_arg)},
    };
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(need); i++) {
        if (*(const char *const *)((const char *)d + need[i].off) == NULL) {
            cli_error(_("%s: %s is required (the decision's number, date and signer)"), a->cmd,
                      need[i].opt);
            return CLI_EXIT_USAGE;
        }
    }
    int rc = admin_text_arg(a, "--decision", d->number_arg, false, AWARD_NUMBER_MAX, &d->number);
    if (rc == CLI_EXIT_OK)
        rc = admin_date_arg(a, "--date", d->date_arg, d->date);
    if (rc == CLI_EXIT_OK)
        rc = admin_text_arg(a, "--signer", d->signer_arg, false, AWARD_SIGNER_MAX, &d->signer);
    if (rc == CLI_EXIT_OK && d->issuer_arg != NULL)
        rc = admin_text_arg(a, "--issuer", d->issuer_arg, false, AWARD_ISSUER_MAX, &d->issuer);
    if (rc != CLI_EXIT_OK)
        return rc;
    thidua__v1__award_decision__init(msg);
    msg->number = d->number;
    msg->date = d->date;
    msg->signer = d->signer;
    msg->issuer = d->issuer != NULL ? d->issuer : "";
    return CLI_EXIT_OK;
}

/* The command line of award or revoke, as typed; borrows argv. */
typedef struct award_args {
    award_decision_args_t d;
    const char *form, *from_file; /* award */
    const char *reason;           /* revoke */
} award_args_t;

/*
 * Parse the options of award or revoke: opts is that command's table, which
 * says which of the options below it takes. CLI_EXIT_OK, -1 after help(), or
 * CLI_EXIT_USAGE.
 */
static int award_parse(int argc, char **argv, const struct option *opts, void (*help)(void),
                       award_args_t *args)
{
    memset(args, 0, sizeof(*args));
    int opt;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'n':
            args->d.number_arg = optarg;
            break;
        case 'd':
            args->d.date_arg = optarg;
            break;
        case 's':
            args->d.signer_arg = optarg;
            break;
        case 'i':
            args->d.issuer_arg = optarg;
            break;
        case 'f':
            args->form = optarg;
            break;
        case 'F':
            args->from_file = optarg;
            break;
        case 'r':
            args->reason = optarg;
            break;
        case 'h':
            help();
            return -1;
        default:
            return CLI_EXIT_USAGE;
        }
    }
    return CLI_EXIT_OK;
}

/* ---- the ids ---- */

/* Ids to award, canonical, without repeats. Owns ids. */
typedef struct award_ids {
    char (*ids)[UUID_STR_SIZE];
    size_t n, cap;
    size_t repeats; /* ids given more than once */
} award_ids_t;

static int award_ids_add(const admin_t *a, award_ids_t *l, const char *where, const char *arg)
{
    char id[UUID_STR_SIZE];
    int rc = admin_resolve_id(a, where, arg, id);
    if (rc != CLI_EXIT_OK)
        return rc;
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->ids[i], id) == 0) {
            l->repeats++;
            return CLI_EXIT_OK;
        }
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char(*ids)[UUID_STR_SIZE] = realloc(l->ids, cap * sizeof(*ids));
        if (ids == NULL) {
            cli_error(_("%s: out of memory"), a->cmd);
            return CLI_EXIT_STORE;
        }
        l->ids = ids;
        l->cap = cap;
    }
    memcpy(l->ids[l->n++], id, UUID_STR_SIZE);
    return CLI_EXIT_OK;
}

/* One id per line; '#' starts a comment; blank lines are skipped. */
static int award_ids_file(const admin_t *a, award_ids_t *l, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (f == NULL) {
        cli_error(_("%s: --from-file %s: %s"), a->cmd, path, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    char *line = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    int rc = CLI_EXIT_OK;
    while (rc == CLI_EXIT_OK && getline(&line, &cap, f) != -1) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash != NULL)
            *hash = '\0';
        char *s = line;
        while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
            s++;
        char *e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
            *--e = '\0';
        if (*s == '\0')
            continue;
        char where[1100];
        snprintf(where, sizeof(where), "%s:%u:", path, lineno);
        rc = award_ids_add(a, l, where, s);
    }
    if (rc == CLI_EXIT_OK && ferror(f)) {
        cli_error(_("%s: --from-file %s: cannot read it"), a->cmd, path);
        rc = CLI_EXIT_USAGE;
    }
    free(line);
    if (f != stdin)
        fclose(f);
    return rc;
}

/* ---- award ---- */

static void award_help(void)
{
    fputs(_(
        "usage: thidua award ID... --form F --decision NUMBER --date DATE --signer TEXT\n"
        "                          [--issuer CODE]\n"
        "       thidua award --from-file FILE --form F --decision NUMBER ...\n\n"
        "Award approved nominations under one award decision (quyết định khen thưởng).\n"
        "Each record's result is printed: awarded, or refused with the reason (not\n"
        "approved, already awarded, form not given to that kind of nominee). A\n"
        "decision number already used this year with another date or signer is\n"
        "refused; more records can be awarded later under the same number, date and\n"
        "signer.\n\n"
        "  --form F          award form code, e.g. BK_UBND_TINH\n"
        "  --decision NUMBER the decision's number, e.g. \"163/QĐ-UBND\"\n"
        "  --date DATE       date of signature: YYYY-MM-DD or DD/MM/YYYY\n"
        "  --signer TEXT     the signer line, e.g. \"KT. CHỦ TỊCH — PHÓ CHỦ TỊCH Nguyễn Văn A\"\n"
        "  --issuer CODE     the issuing unit (default: the certificate's unit)\n"
        "  --from-file FILE  ids, one per line ('#' starts a comment; - for stdin)\n\n"
        "IDs: whole ids, or at least 8 first digits of records you have listed.\n"
        "Exit code 6 when some records were refused.\n"), stdout);
}

/* What a record's ack says, in a word for JSON and a phrase for people. */
static const char *award_result(Thidua__V1__RecordAck__Status st, bool json)
{
    switch (st) {
    case THIDUA__V1__RECORD_ACK__STATUS__APPLIED:
        return "awarded";
    case THIDUA__V1__RECORD_ACK__STATUS__DUPLICATE:
        return json ? "duplicate" : "awarded before, under this decision";
    case THIDUA__V1__RECORD_ACK__STATUS__LOCKED:
        return json ? "locked" : "refused";
    case THIDUA__V1__RECORD_ACK__STATUS__REJECTED:
        return json ? "rejected" : "refused";
    case THIDUA__V1__RECORD_ACK__STATUS__PERMISSION_DENIED:
        return json ? "denied" : "refused";
    default:
        return json ? "unknown" : "refused";
    }
}

static bool award_ok(Thidua__V1__RecordAck__Status st)
{
    return st == THIDUA__V1__RECORD_ACK__STATUS__APPLIED ||
           st == THIDUA__V1__RECORD_ACK__STATUS__DUPLICATE;
}

static void award_print_ack(const Thidua__V1__RecordAck *k)
{
    printf("%s  %s", k->id, award_result(k->status, false));
    if (!award_ok(k->status)) {
        printf(": ");
        if (k->message != NULL && k->message[0] != '\0')
            out_cell(stdout, k->message, 0);
        else if (k->record_status != THIDUA__V1__RECORD__STATUS__STATUS_UNSPECIFIED)
            printf(_("%s (status %s)"), k->field, out_status_label(k->record_status));
        else
            printf("%s", k->field);
    }
    putchar('\n');
}

static void award_json_ack(strbuf_t *sb, const Thidua__V1__RecordAck *k)
{
    out_json_key(sb, NULL);
    strbuf_putc(sb, '{');
    out_json_str(sb, "id", k->id);
    out_json_str(sb, "result", award_result(k->status, true));
    out_json_int(sb, "revision", k->revision);
    out_json_str(sb, "status", out_status_name(k->record_status));
    out_json_str(sb, "field", k->field);
    out_json_str(sb, "message", k->message);
    strbuf_putc(sb, '}');
}

int cmd_award(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"form", required_argument, NULL, 'f'},   {"decision", required_argument, NULL, 'n'},
        {"date", required_argument, NULL, 'd'},   {"signer", required_argument, NULL, 's'},
        {"issuer", required_argument, NULL, 'i'}, {"from-file", required_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    award_args_t args;
    int rc = award_parse(argc, argv, opts, award_help, &args);
    if (rc != CLI_EXIT_OK)
        return rc < 0 ? CLI_EXIT_OK : rc;
    award_decision_args_t *d = &args.d;
    const char *form = args.form, *from_file = args.from_file;
    if (optind >= argc && from_file == NULL) {
        cli_error(_("award: give the ids to award, or --from-file FILE"));
        return CLI_EXIT_USAGE;
    }
    if (form == NULL || form[0] == '\0') {
        cli_error(_("award: --form is required (an award form code, e.g. BK_UBND_TINH)"));
        return CLI_EXIT_USAGE;
    }
    admin_t a;
    award_ids_t ids;
    memset(&ids, 0, sizeof(ids));
    Thidua__V1__AwardDecision dec;
    rc = admin_init(&a, cli, "award");
    if (rc == CLI_EXIT_OK)
        rc = award_decision_build(&a, d, &dec);
    for (int i = optind; rc == CLI_EXIT_OK && i < argc; i++)
        rc = award_ids_add(&a, &ids, NULL, argv[i]);
    if (rc == CLI_EXIT_OK && from_file != NULL)
        rc = award_ids_file(&a, &ids, from_file);
    if (rc == CLI_EXIT_OK && ids.n == 0) {
        cli_error(_("award: --from-file %s holds no id"), from_file);
        rc = CLI_EXIT_USAGE;
    }
    if (rc == CLI_EXIT_OK)
        rc = admin_connect(&a);
    if (rc != CLI_EXIT_OK) {
        free(ids.ids);
        award_decision_free(d);
        return rc;
    }
    if (ids.repeats > 0 && !cli->quiet)
        fprintf(stderr,
                ngettext("award: %zu id given more than once, sent once\n",
                         "award: %zu ids given more than once, sent once\n", ids.repeats),
                ids.repeats);

    const Thidua__V1__Limits *lim = a.rpc.welcome->limits;
    size_t batch = lim != NULL && lim->max_batch > 0 ? lim->max_batch : 500;
    size_t awarded = 0, again = 0, refused = 0, sent = 0;
    strbuf_t sb;
    strbuf_init(&sb);
    strbuf_putc(&sb, '{');
    out_json_str(&sb, "form", form);
    out_json_key(&sb, "decision");
    admin_json_decision(&sb, &dec);
    out_json_key(&sb, "results");
    strbuf_putc(&sb, '[');
    while (rc == CLI_EXIT_OK && sent < ids.n) {
        size_t n = ids.n - sent < batch ? ids.n - sent : batch;
        char **ptrs = calloc(n, sizeof(*ptrs));
        if (ptrs == NULL) {
            cli_error(_("award: out of memory"));
            rc = CLI_EXIT_STORE;
            break;
        }
        for (size_t i = 0; i < n; i++)
            ptrs[i] = ids.ids[sent + i];
        Thidua__V1__AwardRequest req = THIDUA__V1__AWARD_REQUEST__INIT;
        req.decision = &dec;
        req.form = (char *)form;
        req.n_ids = n;
        req.ids = ptrs;
        Thidua__V1__Envelope *env;
        rc = admin_call(&a, &req.base, THIDUA__V1__ENVELOPE__BODY_AWARD_RESPONSE, &env, NULL);
        free(ptrs);
        if (rc != CLI_EXIT_OK)
            break;
        const Thidua__V1__AwardResponse *resp = env->award_response;
        for (size_t i = 0; i < resp->n_acks; i++) {
            const Thidua__V1__RecordAck *k = resp->acks[i];
            if (k->status == THIDUA__V1__RECORD_ACK__STATUS__APPLIED)
                awarded++;
            else if (award_ok(k->status))
                again++;
            else
                refused++;
            if (cli->json)
                award_json_ack(&sb, k);
            else
                award_print_ack(k);
        }
        if (resp->n_acks != n) {
            cli_error(_("award: the server answered %zu of %zu records"), resp->n_acks, n);
            rc = CLI_EXIT_NETWORK;
        }
        thidua__v1__envelope__free_unpacked(env, NULL);
        sent += n;
    }
    strbuf_putc(&sb, ']');
    out_json_int(&sb, "awarded", (long long)awarded);
    out_json_int(&sb, "awarded_before", (long long)again);
    out_json_int(&sb, "refused", (long long)refused);
    out_json_int(&sb, "not_sent", (long long)(ids.n - sent));
    strbuf_putc(&sb, '}');
    if (cli->json && (sent > 0 || rc == CLI_EXIT_OK)) {
        if (!out_json_print(&sb) && rc == CLI_EXIT_OK)
            rc = CLI_EXIT_STORE;
    }
    char dd[DATE_STR_SIZE];
    if (!cli->json && sent > 0 && !cli->quiet)
        fprintf(stderr,
                _("decision %s of %s: %zu awarded, %zu awarded before under it, %zu refused\n"),
                dec.number, out_date_vn(dec.date, dd), awarded, again, refused);
    if (rc != CLI_EXIT_OK && sent > 0 && sent < ids.n)
        cli_error(_("award: %zu records were not sent; run the same command again (records "
                  "already awarded under this decision answer so)"),
                  ids.n - sent);
    if (rc == CLI_EXIT_OK && refused > 0)
        rc = CLI_EXIT_ATTENTION;
    strbuf_free(&sb);
    free(ids.ids);
    award_decision_free(d);
    admin_close(&a);
    return rc;
}

/* ---- revoke ---- */

static void revoke_help(void)
{
    printf(_("usage: thidua revoke ID --reason TEXT --decision NUMBER --date DATE --signer TEXT\n"
           "                        [--issuer CODE]\n\n"
           "Revoke an award (for example for a false declaration) under a revoking\n"
           "decision. The record becomes revoked, with the reason and the decision.\n\n"
           "  --reason TEXT     why (required)\n"
           "  --decision NUMBER the revoking decision's number\n"
           "  --date DATE       its date: YYYY-MM-DD or DD/MM/YYYY\n"
           "  --signer TEXT     its signer line\n"
           "  --issuer CODE     the issuing unit (default: the certificate's unit)\n"));
}

int cmd_revoke(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"reason", required_argument, NULL, 'r'},
        {"decision", required_argument, NULL, 'n'},
        {"date", required_argument, NULL, 'd'},
        {"signer", required_argument, NULL, 's'},
        {"issuer", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    award_args_t args;
    int rc = award_parse(argc, argv, opts, revoke_help, &args);
    if (rc != CLI_EXIT_OK)
        return rc < 0 ? CLI_EXIT_OK : rc;
    award_decision_args_t *d = &args.d;
    const char *reason_arg = args.reason;
    if (cmdopt_one_id("revoke", argc) != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;
    if (reason_arg == NULL) {
        cli_error(_("revoke: --reason is required: say why the award is revoked"));
        return CLI_EXIT_USAGE;
    }
    admin_t a;
    char id[UUID_STR_SIZE], *reason = NULL;
    Thidua__V1__AwardDecision dec;
    rc = admin_init(&a, cli, "revoke");
    if (rc == CLI_EXIT_OK)
        rc = admin_resolve_id(&a, NULL, argv[optind], id);
    if (rc == CLI_EXIT_OK)
        rc = admin_text_arg(&a, "--reason", reason_arg, true, AWARD_REASON_MAX, &reason);
    if (rc == CLI_EXIT_OK)
        rc = award_decision_build(&a, d, &dec);
    if (rc == CLI_EXIT_OK)
        rc = admin_connect(&a);
    if (rc != CLI_EXIT_OK) {
        free(reason);
        award_decision_free(d);
        return rc;
    }
    Thidua__V1__RevokeRequest req = THIDUA__V1__REVOKE_REQUEST__INIT;
    req.id = id;
    req.reason = reason;
    req.decision = &dec;
    Thidua__V1__Envelope *env;
    rc = admin_call(&a, &req.base, THIDUA__V1__ENVELOPE__BODY_REVOKE_RESPONSE, &env, NULL);
    if (rc == CLI_EXIT_OK) {
        const Thidua__V1__Record *r = env->revoke_response->record;
        char dd[DATE_STR_SIZE];
        if (cli->json) {
            rc = admin_print_record_json(r);
        } else if (r != NULL) {
            printf(_("revoked %s: %s (unit %s), %s; decision %s of %s\n"), r->id, r->nominee_name,
                   r->org_unit, r->award != NULL ? r->award->form : "", dec.number,
                   out_date_vn(dec.date, dd));
        }
        thidua__v1__envelope__free_unpacked(env, NULL);
    }
    free(reason);
    award_decision_free(d);
    admin_close(&a);
    return rc;
}

/*
 * cmd_campaigns.c - `thidua campaigns list | show CODE | create FILE
 * [--dry-run]`: the province's campaigns as data.
 *
 * A campaign is written in an INI file (input/campaign_file.h) and created
 * on the server in one transaction; running the same file again changes
 * nothing. The file is checked here first, so that every mistake the file
 * can show is reported at once with its line; what only the database knows
 * (the organiser unit, a code already taken) comes back as a field of the
 * request and is reported at the line that field came from. Offices get a
 * new campaign in Welcome at their next sync.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_session.h"
#include "campaign_file.h"
#include "cli.h"
#include "i18n.h"
#include "output.h"
#include "record.h"

/* The level that confers a form, as people say it. */
static const char *campaigns_level_label(const char *level)
{
    static const struct {
        const char *level, *label;
    } labels[] = {
        {"province", N_("province")},
        {"department", N_("department")},
        {"district", N_("district")},
        {"commune", N_("commune")},
    };
    for (size_t i = 0; level != NULL && i < THIDUA_ARRAY_LEN(labels); i++) {
        if (strcmp(labels[i].level, level) == 0)
            return _(labels[i].label);
    }
    return level != NULL ? level : "";
}

/*
 * One request on a connection of its own with the province certificate: as
 * admin_call(), *env set on CLI_EXIT_OK, an exit code otherwise (said, or
 * copied to err when err is not NULL and the server answered an Error).
 */
static int campaigns_call(cli_t *cli, const char *cmd, const ProtobufCMessage *body,
                          Thidua__V1__Envelope__BodyCase want, Thidua__V1__Envelope **env,
                          admin_error_t *err)
{
    admin_t a;
    *env = NULL;
    int rc = admin_init(&a, cli, cmd);
    if (rc == CLI_EXIT_OK)
        rc = admin_connect(&a);
    if (rc != CLI_EXIT_OK)
        return rc;
    rc = admin_call(&a, body, want, env, err);
    admin_close(&a);
    return rc;
}

/* ---- list ---- */

/* String members of a JSON object, in order. */
typedef struct campaigns_member {
    const char *key, *value;
} campaigns_member_t;

static void campaigns_json_members(strbuf_t *sb, const campaigns_member_t *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out_json_str(sb, m[i].key, m[i].value);
}

static void campaigns_json_summary(strbuf_t *sb, const Thidua__V1__CampaignSummary *s)
{
    const campaigns_member_t m[] = {
        {"code", s->code},
        {"name", s->name},
        {"organiser", s->organiser},
        {"organiser_unit", s->organiser_unit},
        {"organiser_unit_name", s->organiser_unit_name},
        {"starts_on", s->starts_on},
        {"ends_on", s->ends_on},
        {"created_by_unit", s->created_by_unit},
        {"created_by_fingerprint", s->created_by_fingerprint},
    };
    strbuf_putc(sb, '{');
    campaigns_json_members(sb, m, THIDUA_ARRAY_LEN(m));
    out_json_int(sb, "records", (long long)s->records);
    out_json_bool(sb, "default", s->is_default);
    out_json_int(sb, "created_at_ms", s->created_at_ms);
    strbuf_putc(sb, '}');
}

static int campaigns_list(cli_t *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf(_("usage: thidua campaigns list\n\n"
                 "Every campaign of the server, the newest first: its code, window, organiser\n"
                 "and the records of it the province holds. * marks the default campaign,\n"
                 "the one `add` uses without --campaign. Province certificate only.\n"));
        return CLI_EXIT_OK;
    }
    if (argc > 1) {
        cli_error(_("campaigns list: unexpected argument '%s'"), argv[1]);
        return CLI_EXIT_USAGE;
    }
    Thidua__V1__CampaignListRequest req = THIDUA__V1__CAMPAIGN_LIST_REQUEST__INIT;
    Thidua__V1__Envelope *env;
    int rc = campaigns_call(cli, "campaigns list", &req.base,
                            THIDUA__V1__ENVELOPE__BODY_CAMPAIGN_LIST_RESPONSE, &env, NULL);
    if (rc != CLI_EXIT_OK)
        return rc;
    const Thidua__V1__CampaignListResponse *resp = env->campaign_list_response;
    if (cli->json) {
        strbuf_t sb;
        strbuf_init(&sb);
        strbuf_puts(&sb, "{\"campaigns\":[");
        for (size_t i = 0; i < resp->n_campaigns; i++) {
            out_json_key(&sb, NULL);
            campaigns_json_summary(&sb, resp->campaigns[i]);
        }
        strbuf_puts(&sb, "]}");
        rc = out_json_done(&sb);
    } else {
        /* Headings by display columns: a Vietnamese heading is wider in bytes. */
        const char *records = _("Records");
        size_t rw = out_width(records);
        printf("  ");
        out_cell(stdout, _("Code"), 20);
        putchar(' ');
        out_cell(stdout, _("Window"), 23);
        putchar(' ');
        out_cell(stdout, _("Organiser"), 10);
        printf(" %*s%s  %s\n", rw < 8 ? (int)(8 - rw) : 0, "", records, _("Name"));
        for (size_t i = 0; i < resp->n_campaigns; i++) {
            const Thidua__V1__CampaignSummary *s = resp->campaigns[i];
            char d1[DATE_STR_SIZE], d2[DATE_STR_SIZE], window[2 * DATE_STR_SIZE + 4];
            snprintf(window, sizeof(window), "%s–%s", out_date_vn(s->starts_on, d1),
                     out_date_vn(s->ends_on, d2));
            printf("%s ", s->is_default ? "*" : " ");
            out_cell(stdout, s->code, 20);
            putchar(' ');
            out_cell(stdout, window, 23);
            putchar(' ');
            out_cell(stdout, s->organiser_unit, 10);
            printf(" %8llu  ", (unsigned long long)s->records);
            out_cell(stdout, s->name, 0);
            putchar('\n');
        }
    }
    thidua__v1__envelope__free_unpacked(env, NULL);
    return rc;
}

/* ---- show ---- */

static void campaigns_json_campaign(strbuf_t *sb, const Thidua__V1__Campaign *c)
{
    const campaigns_member_t m[] = {
        {"code", c->code},           {"name", c->name},
        {"organiser", c->organiser}, {"organiser_unit", c->organiser_unit},
        {"slogan", c->slogan},       {"starts_on", c->starts_on},
        {"ends_on", c->ends_on},
    };
    strbuf_putc(sb, '{');
    campaigns_json_members(sb, m, THIDUA_ARRAY_LEN(m));
    out_json_key(sb, "categories");
    strbuf_putc(sb, '[');
    for (size_t i = 0; i < c->n_categories; i++) {
        const campaigns_member_t k[] = {{"code", c->categories[i]->code},
                                        {"name", c->categories[i]->name}};
        out_json_key(sb, NULL);
        strbuf_putc(sb, '{');
        campaigns_json_members(sb, k, THIDUA_ARRAY_LEN(k));
        strbuf_putc(sb, '}');
    }
    strbuf_putc(sb, ']');
    out_json_key(sb, "award_forms");
    strbuf_putc(sb, '[');
    for (size_t i = 0; i < c->n_award_forms; i++) {
        const Thidua__V1__AwardForm *f = c->award_forms[i];
        const campaigns_member_t k[] = {
            {"code", f->code}, {"name", f->name}, {"conferred_by", f->conferred_by}};
        out_json_key(sb, NULL);
        strbuf_putc(sb, '{');
        campaigns_json_members(sb, k, THIDUA_ARRAY_LEN(k));
        out_json_strs(sb, "nominee_kinds", f->nominee_kinds, f->n_nominee_kinds);
        strbuf_putc(sb, '}');
    }
    strbuf_puts(sb, "]}");
}

/* The campaign for people: its fields, then its categories and forms. */
static void campaigns_print(const Thidua__V1__Campaign *c, const Thidua__V1__CampaignSummary *s)
{
    static const char *const labels[] = {N_("Campaign:"), N_("Organiser:"), N_("Window:"),
                                         N_("Slogan:"),   N_("Records:"),   N_("Created:")};
    size_t w = out_label_width(labels, THIDUA_ARRAY_LEN(labels), 10);
    char d1[DATE_STR_SIZE], d2[DATE_STR_SIZE], when[OUT_TIME_SIZE];
    printf("%-*s %s (%s)\n", (int)w, _("Campaign:"), c->name, c->code);
    printf("%-*s %s (%s)\n", (int)w, _("Organiser:"), c->organiser, c->organiser_unit);
    printf("%-*s %s – %s\n", (int)w, _("Window:"), out_date_vn(c->starts_on, d1),
           out_date_vn(c->ends_on, d2));
    if (c->slogan[0] != '\0')
        printf("%-*s %s\n", (int)w, _("Slogan:"), c->slogan);
    if (s != NULL) {
        printf("%-*s %llu\n", (int)w, _("Records:"), (unsigned long long)s->records);
        if (s->created_at_ms != 0)
            printf(_("%-*s %s by %s (certificate %.16s)\n"), (int)w, _("Created:"),
                   out_time_vn(s->created_at_ms, when), s->created_by_unit,
                   s->created_by_fingerprint);
    }
    printf(_("\nCategories:\n"));
    for (size_t i = 0; i < c->n_categories; i++)
        printf("  %-12s %s\n", c->categories[i]->code, c->categories[i]->name);
    printf(_("\nAward forms:\n"));
    for (size_t i = 0; i < c->n_award_forms; i++) {
        const Thidua__V1__AwardForm *f = c->award_forms[i];
        char kinds[128] = "";
        size_t o = 0;
        for (size_t k = 0; k < f->n_nominee_kinds && o < sizeof(kinds); k++) {
            int n = snprintf(kinds + o, sizeof(kinds) - o, "%s%s", k ? ", " : "",
                             record_kind_label(f->nominee_kinds[k]));
            o += n > 0 ? (size_t)n : 0;
        }
        printf("  %-16s %s\n", f->code, f->name);
        printf(_("  %-16s conferred by the %s, for: %s\n"), "",
               campaigns_level_label(f->conferred_by), kinds);
    }
}

static int campaigns_show(cli_t *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf(_("usage: thidua campaigns show CODE\n\n"
                 "One campaign whole: its window, organiser and slogan, its categories, and\n"
                 "its award forms with the level that confers each and the nominee kinds it\n"
                 "may go to. Province certificate only.\n"));
        return CLI_EXIT_OK;
    }
    if (argc != 2) {
        cli_error(argc < 2 ? _("campaigns show: say which campaign (its code)")
                           : _("campaigns show: unexpected argument '%s'"),
                  argc < 2 ? "" : argv[2]);
        return CLI_EXIT_USAGE;
    }
    Thidua__V1__CampaignGetRequest req = THIDUA__V1__CAMPAIGN_GET_REQUEST__INIT;
    req.code = argv[1];
    Thidua__V1__Envelope *env;
    int rc = campaigns_call(cli, "campaigns show", &req.base,
                            THIDUA__V1__ENVELOPE__BODY_CAMPAIGN_GET_RESPONSE, &env, NULL);
    if (rc != CLI_EXIT_OK)
        return rc;
    const Thidua__V1__CampaignGetResponse *resp = env->campaign_get_response;
    if (resp->campaign == NULL) {
        cli_error(_("campaigns show: the server sent no campaign"));
        rc = CLI_EXIT_NETWORK;
    } else if (cli->json) {
        strbuf_t sb;
        strbuf_init(&sb);
        strbuf_putc(&sb, '{');
        out_json_key(&sb, "campaign");
        campaigns_json_campaign(&sb, resp->campaign);
        if (resp->summary != NULL) {
            out_json_key(&sb, "summary");
            campaigns_json_summary(&sb, resp->summary);
        }
        strbuf_putc(&sb, '}');
        rc = out_json_done(&sb);
    } else {
        campaigns_print(resp->campaign, resp->summary);
    }
    thidua__v1__envelope__free_unpacked(env, NULL);
    return rc;
}

/* ---- create ---- */

/*
 * The server refused the file: say it at the line the field came from, in
 * the officer's words where this client knows the case.
 */
static void campaigns_refused(const campfile_t *f, const admin_error_t *e)
{
    int line;
    char key[200], why[1200];
    campfile_where(f, e->field, &line, key, sizeof(key));
    const char *msg = e->message;
    if (e->code == THIDUA__V1__ERROR__CODE__CONFLICT && strcmp(e->field, "campaign.code") == 0) {
        snprintf(why, sizeof(why),
                 _("campaign %s is stored already with other content: give this one another "
                   "code (a campaign is never changed once created)"),
                 f->msg.code);
        msg = why;
    } else if (e->code == THIDUA__V1__ERROR__CODE__INVALID_ARGUMENT &&
               strcmp(e->field, "campaign.organiser_unit") == 0) {
        snprintf(why, sizeof(why), _("\"%s\" is not an org unit on the campaign's first day"),
                 f->msg.organiser_unit);
        msg = why;
    } else if (e->code == THIDUA__V1__ERROR__CODE__PERMISSION_DENIED) {
        snprintf(why, sizeof(why),
                 _("only the province of the organiser %s, or a unit above it, may create this "
                   "campaign"),
                 f->msg.organiser_unit);
        msg = why;
    }
    if (e->field[0] == '\0')
        cli_error("campaigns create: %s: %s", f->path, msg);
    else if (line > 0)
        cli_error(_("%s line %d: %s: %s"), f->path, line, key, msg);
    else
        cli_error("%s: %s: %s", f->path, key, msg);
}

static void campaigns_preview(const campfile_t *f)
{
    char d1[DATE_STR_SIZE], d2[DATE_STR_SIZE];
    const Thidua__V1__Campaign *c = &f->msg;
    printf(_("Campaign %s (%s), %s to %s, organised by %s\n"), c->code, c->name,
           out_date_vn(c->starts_on, d1), out_date_vn(c->ends_on, d2), c->organiser_unit);
    printf(_("  %zu categories:"), c->n_categories);
    for (size_t i = 0; i < c->n_categories; i++)
        printf(" %s", c->categories[i]->code);
    printf(_("\n  %zu award forms:"), c->n_award_forms);
    for (size_t i = 0; i < c->n_award_forms; i++)
        printf(" %s", c->award_forms[i]->code);
    putchar('\n');
}

static void campaigns_create_help(void)
{
    printf(_("usage: thidua campaigns create FILE [--dry-run]\n\n"
             "Create the campaign the INI file FILE describes, with its categories and\n"
             "award forms, in one step; the offices get it at their next sync and may then\n"
             "record for it with `add --campaign CODE`. Running the same file again changes\n"
             "nothing. A file with other content under a code already used is refused: a\n"
             "campaign is never changed once created. The format and a sample are in the\n"
             "administrator's guide. Province certificate only.\n\n"
             "  --dry-run   check the file, on the server too, and store nothing\n"));
}

static int campaigns_create(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"dry-run", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool dry_run = false;
    int opt;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (opt == 'n') {
            dry_run = true;
        } else if (opt == 'h') {
            campaigns_create_help();
            return CLI_EXIT_OK;
        } else {
            return CLI_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        cli_error(argc - optind < 1 ? _("campaigns create: name the campaign's file")
                                    : _("campaigns create: unexpected argument '%s'"),
                  argc - optind < 1 ? "" : argv[optind + 1]);
        return CLI_EXIT_USAGE;
    }
    campfile_t f;
    int problems = campfile_read(argv[optind], &f);
    if (problems != 0) {
        if (problems > 0)
            cli_error(ngettext("campaigns create: %s: nothing was sent (%d problem)",
                               "campaigns create: %s: nothing was sent (%d problems)", problems),
                      argv[optind], problems);
        campfile_free(&f);
        return problems > 0 ? CLI_EXIT_INVALID : CLI_EXIT_STORE;
    }
    Thidua__V1__CampaignCreateRequest req = THIDUA__V1__CAMPAIGN_CREATE_REQUEST__INIT;
    req.campaign = &f.msg;
    req.dry_run = dry_run;
    Thidua__V1__Envelope *env = NULL;
    admin_error_t e;
    memset(&e, 0, sizeof(e));
    int rc = campaigns_call(cli, "campaigns create", &req.base,
                            THIDUA__V1__ENVELOPE__BODY_CAMPAIGN_CREATE_RESPONSE, &env, &e);
    if (rc != CLI_EXIT_OK) {
        if (e.code != 0)
            campaigns_refused(&f, &e);
        campfile_free(&f);
        return rc;
    }
    bool created = env->campaign_create_response->outcome ==
                   THIDUA__V1__CAMPAIGN_CREATE_RESPONSE__OUTCOME__CREATED;
    if (cli->json) {
        strbuf_t sb;
        strbuf_init(&sb);
        strbuf_putc(&sb, '{');
        out_json_str(&sb, "code", f.msg.code);
        out_json_str(&sb, "outcome", created ? "created" : "unchanged");
        out_json_bool(&sb, "dry_run", dry_run);
        strbuf_putc(&sb, '}');
        rc = out_json_done(&sb);
    } else {
        if (dry_run)
            campaigns_preview(&f);
        if (created && dry_run)
            printf(_("campaign %s would be created (dry run: nothing was stored)\n"), f.msg.code);
        else if (created)
            printf(_("campaign %s created: the offices get it at their next sync\n"), f.msg.code);
        else
            printf(_("campaign %s is stored already with this content: nothing changed\n"),
                   f.msg.code);
    }
    thidua__v1__envelope__free_unpacked(env, NULL);
    campfile_free(&f);
    return rc;
}

int cmd_campaigns(cli_t *cli, int argc, char **argv)
{
    static const cli_sub_t subs[] = {
        {"list", campaigns_list, N_("thidua campaigns list   every campaign, the newest first")},
        {"show", campaigns_show, N_("thidua campaigns show CODE   one campaign whole")},
        {"create", campaigns_create,
         N_("thidua campaigns create FILE [--dry-run]   a new campaign from an INI file")},
    };
    return cli_dispatch(cli, argc, argv, "campaigns", subs, THIDUA_ARRAY_LEN(subs),
                        N_("Province certificate only. `thidua campaigns create --help` "
                           "describes the file."));
}

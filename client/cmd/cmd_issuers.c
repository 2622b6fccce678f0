/*
 * cmd_issuers.c - `thidua issuers show [CODE]` and `thidua issuers set CODE
 * FILE`: what a printed decision holds that no record does, per issuing
 * unit (sql/020_issuers.sql).
 *
 * `show` prints the settings as the INI file `set` reads, so that the
 * province edits what it sees: one [issuer] section, one key per setting,
 * a list as the key repeated (basis, recipients), a body of several lines
 * as "\n" in the value. `set` sends only the keys the file has; a key whose
 * value is `default` goes back to the default.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_session.h"
#include "cli.h"
#include "confutil.h"
#include "i18n.h"

/* The keys of IssuerSettings a file may set, in the order `show` prints them. */
static const struct {
    const char *key;
    bool list;
} issuer_keys[] = {
    {"parent_body", false}, {"body", false},          {"symbol", false},
    {"place", false},       {"authority", false},     {"basis", true},
    {"proposal", false},    {"article_money", false}, {"article_execution", false},
    {"recipients", true},   {"signer_title", false},
};

/* One value with its line breaks written as "\n", as the INI line holds it. */
static void issuers_print_value(const char *key, const char *v)
{
    printf("%s = ", key);
    for (const char *p = v; *p; p++) {
        if (*p == '\n')
            fputs("\\n", stdout);
        else
            putchar(*p);
    }
    putchar('\n');
}

static void issuers_print(const Thidua__V1__IssuerSettings *s)
{
    printf(_("; the settings of %s %s for printed decisions (%s)\n"), s->code, s->name,
           s->stored ? _("some stored, the rest defaults") : _("all defaults"));
    printf("[issuer]\n");
    const char *single[] = {s->parent_body,       s->body, s->symbol,      s->place,
                            s->authority,         NULL,    s->proposal,    s->article_money,
                            s->article_execution, NULL,    s->signer_title};
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(issuer_keys); i++) {
        if (!issuer_keys[i].list) {
            issuers_print_value(issuer_keys[i].key, single[i]);
            continue;
        }
        bool basis = strcmp(issuer_keys[i].key, "basis") == 0;
        size_t n = basis ? s->n_basis : s->n_recipients;
        for (size_t k = 0; k < n; k++)
            issuers_print_value(issuer_keys[i].key, basis ? s->basis[k] : s->recipients[k]);
    }
}

static int issuers_show(cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"on", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *on = NULL;
    optind = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (ch == 'o') {
            on = optarg;
        } else if (ch == 'h') {
            printf(_("usage: thidua issuers show [CODE] [--on DATE]\n\n"
                     "The settings of an issuing unit (yours when CODE is not given) for\n"
                     "decisions dated DATE (today by default): what `thidua print decision`\n"
                     "prints that no record holds. The output is the file `issuers set` reads.\n"));
            return CLI_EXIT_OK;
        } else {
            return CLI_EXIT_USAGE;
        }
    }
    if (argc - optind > 1) {
        cli_error(_("issuers show: at most one unit code"));
        return CLI_EXIT_USAGE;
    }
    admin_t a;
    char day[11] = "";
    int rc = admin_init(&a, cli, "issuers show");
    if (rc == CLI_EXIT_OK && on != NULL)
        rc = admin_date_arg(&a, "--on", on, day);
    if (rc == CLI_EXIT_OK && (rc = admin_connect(&a)) != CLI_EXIT_OK)
        admin_close(&a);
    if (rc != CLI_EXIT_OK)
        return rc;
    Thidua__V1__IssuerGetRequest req = THIDUA__V1__ISSUER_GET_REQUEST__INIT;
    req.code = optind < argc ? argv[optind] : "";
    req.on = day;
    Thidua__V1__Envelope *env;
    rc = admin_call(&a, &req.base, THIDUA__V1__ENVELOPE__BODY_ISSUER_RESPONSE, &env, NULL);
    if (rc == CLI_EXIT_OK) {
        issuers_print(env->issuer_response->issuer);
        thidua__v1__envelope__free_unpacked(env, NULL);
    }
    admin_close(&a);
    return rc;
}

/* The settings read from a file. Owns them. */
typedef struct issuers_file {
    Thidua__V1__IssuerSetting set[THIDUA_ARRAY_LEN(issuer_keys)];
    Thidua__V1__IssuerSetting *setp[THIDUA_ARRAY_LEN(issuer_keys)];
    size_t n;
    char *err;
    size_t errlen;
    const char *path;
} issuers_file_t;

static void issuers_file_free(issuers_file_t *f)
{
    for (size_t i = 0; i < f->n; i++) {
        for (size_t k = 0; k < f->set[i].n_lines; k++)
            free(f->set[i].lines[k]);
        free(f->set[i].lines);
        free(f->set[i].key);
    }
}

/* A value with "\n" written for line breaks, into lines (a new string). */
static char *issuers_unescape(const char *v)
{
    char *out = malloc(strlen(v) + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (const char *p = v; *p; p++) {
        if (p[0] == '\\' && p[1] == 'n') {
            *o++ = '\n';
            p++;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}

static int issuers_ini(void *user, const char *section, const char *key, const char *value,
                       int lineno)
{
    issuers_file_t *f = user;
    size_t k = 0;
    while (k < THIDUA_ARRAY_LEN(issuer_keys) && strcmp(issuer_keys[k].key, key) != 0)
        k++;
    if (strcmp(section, "issuer") != 0 || k == THIDUA_ARRAY_LEN(issuer_keys)) {
        snprintf(f->err, f->errlen, _("%s line %d: [%s] %s is not a setting of an issuer"), f->path,
                 lineno, section, key);
        return 0;
    }
    Thidua__V1__IssuerSetting *s = NULL;
    for (size_t i = 0; i < f->n && s == NULL; i++)
        s = strcmp(f->set[i].key, key) == 0 ? &f->set[i] : NULL;
    if (s != NULL && !issuer_keys[k].list) {
        snprintf(f->err, f->errlen, _("%s line %d: %s is given twice"), f->path, lineno, key);
        return 0;
    }
    if (s == NULL) {
        s = &f->set[f->n];
        thidua__v1__issuer_setting__init(s);
        s->key = strdup(key);
        if (s->key == NULL)
            goto oom;
        f->setp[f->n++] = s;
    }
    if (strcmp(value, "default") == 0) {
        s->reset = true;
        return 1;
    }
    char **lines = realloc(s->lines, (s->n_lines + 1) * sizeof(*lines));
    if (lines == NULL)
        goto oom;
    s->lines = lines;
    if ((s->lines[s->n_lines] = issuers_unescape(value)) == NULL)
        goto oom;
    s->n_lines++;
    return 1;
oom:
    snprintf(f->err, f->errlen, _("%s: out of memory"), f->path);
    return 0;
}

static int issuers_set(cli_t *cli, int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf(_("usage: thidua issuers set CODE FILE\n\n"
                 "Store settings of the issuing unit CODE from an INI file with an [issuer]\n"
                 "section (`thidua issuers show CODE` prints one to start from). Only the keys\n"
                 "the file has change; `KEY = default` goes back to the default. basis and\n"
                 "recipients are lists: one line per item, the key repeated. \\n in a value\n"
                 "is a line break. Province certificate only.\n"));
        return CLI_EXIT_OK;
    }
    if (argc != 3) {
        cli_error(_("issuers set: name the unit code and the file (see --help)"));
        return CLI_EXIT_USAGE;
    }
    char err[1024] = "";
    issuers_file_t f;
    memset(&f, 0, sizeof(f));
    f.err = err;
    f.errlen = sizeof(err);
    f.path = argv[2];
    int prc = confutil_ini_file(argv[2], issuers_ini, &f);
    if (prc != 0 || f.n == 0) {
        if (prc < 0)
            cli_error(_("issuers set: cannot read %s"), argv[2]);
        else if (err[0] != '\0')
            cli_error("issuers set: %s", err);
        else if (prc > 0)
            cli_error(_("issuers set: %s line %d: not a line of an INI file"), argv[2], prc);
        else
            cli_error(_("issuers set: %s sets nothing (an [issuer] section with keys)"), argv[2]);
        issuers_file_free(&f);
        return CLI_EXIT_INVALID;
    }
    admin_t a;
    int rc = admin_init(&a, cli, "issuers set");
    if (rc == CLI_EXIT_OK && (rc = admin_connect(&a)) != CLI_EXIT_OK)
        admin_close(&a);
    if (rc != CLI_EXIT_OK) {
        issuers_file_free(&f);
        return rc;
    }
    Thidua__V1__IssuerSetRequest req = THIDUA__V1__ISSUER_SET_REQUEST__INIT;
    req.code = argv[1];
    req.n_settings = f.n;
    req.settings = f.setp;
    Thidua__V1__Envelope *env;
    rc = admin_call(&a, &req.base, THIDUA__V1__ENVELOPE__BODY_ISSUER_RESPONSE, &env, NULL);
    if (rc == CLI_EXIT_OK) {
        if (!cli->quiet)
            issuers_print(env->issuer_response->issuer);
        thidua__v1__envelope__free_unpacked(env, NULL);
    }
    admin_close(&a);
    issuers_file_free(&f);
    return rc;
}

int cmd_issuers(cli_t *cli, int argc, char **argv)
{
    static const cli_sub_t subs[] = {
        {"show", issuers_show, N_("thidua issuers show CODE   the settings of an issuing unit")},
        {"set", issuers_set, N_("thidua issuers set CODE FILE   store them from an INI file")},
    };
    return cli_dispatch(cli, argc, argv, "issuers", subs, THIDUA_ARRAY_LEN(subs),
                        N_("Province certificate only. `thidua issuers SUBCOMMAND --help` "
                           "describes each."));
}

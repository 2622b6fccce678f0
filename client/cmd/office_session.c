/*
 * office_session.c - the store, the Welcome and the office's identity, as every
 * offline command needs them.
 *
 * store_open() creates a missing file, which is right for `init` and wrong
 * for everything else: a mistyped path or a moved folder would quietly show
 * an empty office. So the other commands check that the store exists first.
 */
#include "office_session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "i18n.h"
#include "output.h"
#include "text.h"

int64_t office_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The text of the only entry nid of name into out; -1 if absent, repeated or unprintable. */
static int office_name_entry(X509_NAME *name, int nid, char *out, size_t size)
{
    out[0] = '\0';
    int i = X509_NAME_get_index_by_NID(name, nid, -1);
    if (i < 0 || X509_NAME_get_index_by_NID(name, nid, i) >= 0)
        return -1;
    unsigned char *utf8 = NULL;
    int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
    int rc = len > 0 && (size_t)len < size ? 0 : -1;
    for (int k = 0; rc == 0 && k < len; k++) {
        if (utf8[k] < 0x20 || utf8[k] == 0x7F)
            rc = -1;
    }
    if (rc == 0) {
        memcpy(out, utf8, (size_t)len);
        out[len] = '\0';
    }
    OPENSSL_free(utf8);
    return rc;
}

int office_cert_identity(const char *path, char unit[OFFICE_NAME_MAX], char role[OFFICE_NAME_MAX],
                         char *err, size_t errlen)
{
    unit[0] = role[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, _("cannot read the certificate %s: %s"), path, strerror(errno));
        return -1;
    }
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (x == NULL) {
        snprintf(err, errlen, _("%s is not a PEM certificate"), path);
        return -1;
    }
    X509_NAME *name = X509_get_subject_name(x);
    int rc = 0;
    if (office_name_entry(name, NID_commonName, unit, OFFICE_NAME_MAX) != 0) {
        snprintf(err, errlen, _("the certificate %s has no single readable CN (unit code)"), path);
        rc = -1;
    } else {
        (void)office_name_entry(name, NID_organizationalUnitName, role, OFFICE_NAME_MAX);
    }
    X509_free(x);
    return rc;
}

void office_close(office_t *lc)
{
    store_close(lc->st);
    if (lc->welcome != NULL)
        thidua__v1__welcome__free_unpacked(lc->welcome, NULL);
    memset(lc, 0, sizeof(*lc));
}

int office_open(cli_t *cli, const char *cmd, office_t *lc)
{
    memset(lc, 0, sizeof(*lc));
    int rc = cli_load_config(cli);
    if (rc != CLI_EXIT_OK)
        return rc;
    const char *path = cli->cfg.store_path;
    if (access(path, F_OK) != 0) {
        cli_error(_("%s: the store %s does not exist (%s); `thidua init` creates it"), cmd, path,
                  strerror(errno));
        return CLI_EXIT_STORE;
    }
    if (text_init() != TD_OK)
        cli_error("%s",
                  _("warning: ICU's Vietnamese collation is missing: names sort in byte order"));

    store_options_t opt = {.collate = text_collate, .fold = text_fold_key, .busy_timeout_ms = 0};
    char err[1024];
    rc = store_open(path, &opt, &lc->st, err, sizeof(err));
    if (rc < 0) {
        cli_error(_("%s: cannot open the store: %s"), cmd, err);
        return CLI_EXIT_STORE;
    }
    rc = store_welcome_load(lc->st, &lc->welcome);
    if (rc < 0 && rc != TD_ENOTFOUND) {
        rc = office_store_fail(cmd, lc->st, rc);
        office_close(lc);
        return rc;
    }
    if (lc->welcome != NULL) {
        snprintf(lc->unit, sizeof(lc->unit), "%s", lc->welcome->org_unit);
        if (lc->welcome->campaign != NULL)
            snprintf(lc->campaign, sizeof(lc->campaign), "%s", lc->welcome->campaign->code);
    }
    if (lc->unit[0] == '\0' && cli->cfg.tls_cert != NULL) {
        char role[OFFICE_NAME_MAX];
        if (office_cert_identity(cli->cfg.tls_cert, lc->unit, role, err, sizeof(err)) != 0)
            lc->unit[0] = '\0'; /* no default unit: --unit is needed, and add says so */
    }
    return CLI_EXIT_OK;
}

void office_defaults(const office_t *lc, const char *campaign_opt, recin_defaults_t *d)
{
    d->welcome = lc->welcome;
    /* --campaign names one of the Welcome's campaigns; without it, the default one. */
    d->campaign = campaign_opt != NULL ? campaign_opt : lc->campaign[0] != '\0' ? lc->campaign : NULL;
    d->unit = lc->unit[0] != '\0' ? lc->unit : NULL;
}

int office_store_fail(const char *cmd, const store_t *st, int rc)
{
    const char *msg = store_errmsg(st);
    cli_error("%s: %s", cmd, msg[0] != '\0' ? msg : td_strerror(rc));
    return office_store_exit(rc);
}

int office_store_exit(int rc)
{
    switch (rc) {
    case TD_ENOTFOUND:
    case TD_EAMBIGUOUS:
    case TD_EINVAL:
        return CLI_EXIT_INVALID;
    case TD_ELOCKED:
        return CLI_EXIT_REFUSED;
    default:
        return CLI_EXIT_STORE;
    }
}

int office_walk_fail(const char *cmd, const store_t *st, int rc)
{
    if (rc != TD_ENOMEM)
        return office_store_fail(cmd, st, rc);
    cli_error(_("%s: out of memory"), cmd);
    return CLI_EXIT_STORE;
}

int office_get(office_t *lc, const char *cmd, const char *id, store_record_t **out)
{
    int rc = store_record_get(lc->st, id, out);
    if (rc == TD_EINVAL) {
        cli_error(_("%s: %s is not a record id (give the id `thidua list` shows: at least %d "
                    "hexadecimal digits)"),
                  cmd, id, STORE_ID_PREFIX_MIN);
        return CLI_EXIT_INVALID;
    }
    return rc < 0 ? office_store_fail(cmd, lc->st, rc) : CLI_EXIT_OK;
}

int office_is_locked(const store_record_t *r)
{
    switch (r->rec.status) {
    case THIDUA__V1__RECORD__STATUS__APPROVED:
    case THIDUA__V1__RECORD__STATUS__REJECTED:
    case THIDUA__V1__RECORD__STATUS__WITHDRAWN:
    case THIDUA__V1__RECORD__STATUS__AWARDED:
    case THIDUA__V1__RECORD__STATUS__REVOKED:
        return 1;
    default:
        return r->rec.withdrawn;
    }
}

/* " on 05/03/2025 (revision 2)" for the latest decision, or "" without one. */
static void office_decision_when(const store_record_t *r, char *buf, size_t len)
{
    char t[OUT_TIME_SIZE];
    buf[0] = '\0';
    if (r->rec.decision == NULL)
        return;
    out_time_vn(r->rec.decision->decided_at_ms, t);
    t[10] = '\0'; /* the date only */
    if (t[0])
        snprintf(buf, len, _(" on %s (revision %u)"), t, r->rec.decision->revision);
    else
        snprintf(buf, len, _(" (revision %u)"), r->rec.decision->revision);
}

void office_why_locked(const store_record_t *r, char *buf, size_t len)
{
    char when[64], d1[DATE_STR_SIZE];
    const Thidua__V1__Award *aw = r->rec.award;
    const char *reason = r->rec.decision != NULL ? r->rec.decision->reason : "";
    office_decision_when(r, when, sizeof(when));
    buf[0] = '\0';
    switch (r->rec.status) {
    case THIDUA__V1__RECORD__STATUS__APPROVED:
        snprintf(buf, len, _("the province approved it%s"), when);
        break;
    case THIDUA__V1__RECORD__STATUS__REJECTED:
        snprintf(buf, len, _("the province rejected it%s%s%s"), when, reason[0] ? ": " : "",
                 reason);
        break;
    case THIDUA__V1__RECORD__STATUS__WITHDRAWN:
        snprintf(buf, len, "%s", _("it is withdrawn (the province has the withdrawal)"));
        break;
    case THIDUA__V1__RECORD__STATUS__AWARDED:
        if (aw != NULL && aw->decision != NULL)
            snprintf(buf, len, _("it is awarded (%s, decision %s of %s)"), aw->form,
                     aw->decision->number, out_date_vn(aw->decision->date, d1));
        else
            snprintf(buf, len, "%s", _("it is awarded"));
        break;
    case THIDUA__V1__RECORD__STATUS__REVOKED:
        snprintf(buf, len, _("its award was revoked%s%s"), aw && aw->revoked_reason[0] ? ": " : "",
                 aw ? aw->revoked_reason : "");
        break;
    default:
        if (r->rec.withdrawn)
            snprintf(buf, len, "%s", _("it was withdrawn on this computer"));
        break;
    }
}

int office_withdraw(office_t *lc, const store_record_t *sr, record_t *r, valid_error_t *err)
{
    Thidua__V1__Record base = sr->rec;
    base.withdrawn = 1;
    recin_t none;
    recin_init(&none);
    recin_defaults_t d = {NULL, NULL, NULL};
    uint8_t hash[RECORD_HASH_LEN];
    if (recin_build(&none, &d, &base, r, hash, err) != TD_OK)
        return TD_EINTERNAL;
    Thidua__V1__Record p = THIDUA__V1__RECORD__INIT;
    record_to_proto(r, &p);
    p.revision = 0; /* the store numbers it */
    p.content_hash.data = hash;
    p.content_hash.len = RECORD_HASH_LEN;
    return store_record_withdraw(lc->st, &p, office_now_ms());
}

/* office_records(): each row listed, loaded again whole. */
typedef struct office_recs {
    store_t *st;
    store_record_t **recs;
    size_t n, cap;
    int rc;
} office_recs_t;

static int office_recs_add(void *ctx, const store_record_t *r)
{
    office_recs_t *p = ctx;
    if (p->n == p->cap) {
        size_t want = p->cap ? p->cap * 2 : 64;
        store_record_t **q = realloc(p->recs, want * sizeof(*q));
        if (q == NULL) {
            p->rc = TD_ENOMEM;
            return -1;
        }
        p->recs = q;
        p->cap = want;
    }
    int rc = store_record_get(p->st, r->rec.id, &p->recs[p->n]);
    if (rc != TD_OK) {
        p->rc = rc;
        return -1;
    }
    p->n++;
    return 0;
}

int office_records(office_t *lc, const store_filter_t *f, store_record_t ***out, size_t *n)
{
    office_recs_t p = {lc->st, NULL, 0, 0, TD_OK};
    int rc = store_list(lc->st, f, office_recs_add, &p);
    if (p.rc != TD_OK) /* the callback's own failure, not the stop it caused */
        rc = p.rc;
    if (rc != TD_OK) {
        office_records_free(p.recs, p.n);
        *out = NULL;
        *n = 0;
        return rc;
    }
    *out = p.recs;
    *n = p.n;
    return TD_OK;
}

void office_records_free(store_record_t **recs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        store_record_free(recs[i]);
    free(recs);
}

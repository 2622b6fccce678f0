/*
 * office_session.h - what the offline commands (add, edit, withdraw, list, show,
 * status, import) share: the store opened the same way each time, the saved
 * Welcome that lets them judge a record without the server, the office's
 * unit, finding a record by the id an officer typed, and one way to turn a
 * store error into a message and an exit code.
 *
 * Every function that fails prints why ("thidua: COMMAND: ...") and returns
 * the exit code of cli.h, so a command can simply return it.
 */
#ifndef THIDUA_CLIENT_OFFICE_SESSION_H
#define THIDUA_CLIENT_OFFICE_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "record_input.h"
#include "store.h"

/* Longest unit code or role kept from a certificate. */
#define OFFICE_NAME_MAX 65

/* One command's view of the office. Owns st and welcome; office_close() frees both. */
typedef struct office {
    store_t *st;
    Thidua__V1__Welcome *welcome; /* the last saved Welcome; NULL before the first contact */
    char unit[OFFICE_NAME_MAX];   /* the Welcome's unit, else the certificate's CN; "" if neither */
    char campaign[OFFICE_NAME_MAX]; /* the Welcome's campaign code; "" if none */
} office_t;

/*
 * Load the configuration, open the existing store (with the Vietnamese
 * collation and folding) and read the saved Welcome. Returns CLI_EXIT_OK, or an
 * exit code after printing why; lc is then closed already.
 */
THIDUA_MUSTCHECK int office_open(cli_t *cli, const char *cmd, office_t *lc);
void office_close(office_t *lc);

/*
 * Defaults for record_input: the Welcome, the campaign (campaign_opt, the
 * command's --campaign, else the Welcome's default one), the office's unit.
 */
void office_defaults(const office_t *lc, const char *campaign_opt, recin_defaults_t *d);

/* Print store_errmsg() for a failed store call and return the matching exit code. */
int office_store_fail(const char *cmd, const store_t *st, int rc);
/* The exit code of a failed store call, printing nothing. */
int office_store_exit(int rc);

/*
 * The same for a failed store_list() or history walk, whose callback may have
 * stopped it with TD_ENOMEM without the store knowing why.
 */
int office_walk_fail(const char *cmd, const store_t *st, int rc);

/* Find a record by full id or prefix; prints why not and returns an exit code. */
THIDUA_MUSTCHECK int office_get(office_t *lc, const char *cmd, const char *id,
                                store_record_t **out);

/*
 * Why a record can no longer be changed, with the province's decision, in one
 * sentence ("the province rejected it on 05/03/2025 (revision 2): the report
 * lacks the commune's confirmation"). "" when it is not locked.
 */
void office_why_locked(const store_record_t *r, char *buf, size_t len);

/* Whether the record can no longer be edited (decided on the server, or withdrawn). */
int office_is_locked(const store_record_t *r);

/*
 * Store the withdrawal of sr (not withdrawn, not locked) as its next
 * revision. No campaign check: a withdrawal goes through even if the rules
 * changed since the record was made. TD_OK, a store error (store_errmsg),
 * or TD_EINTERNAL when the stored record cannot be read back (err says why).
 * *out is the withdrawn content in every case; the caller frees it with record_free().
 */
THIDUA_MUSTCHECK int office_withdraw(office_t *lc, const store_record_t *sr, record_t *out,
                                     valid_error_t *err);

/*
 * Every record f selects, each loaded whole so that it outlives the listing
 * (store_list's rows do not). TD_OK with *out (free with
 * office_records_free()), or a store error (store_errmsg) or TD_ENOMEM.
 */
THIDUA_MUSTCHECK int office_records(office_t *lc, const store_filter_t *f,
                                    store_record_t ***out, size_t *n);
void office_records_free(store_record_t **recs, size_t n);

/* Now, in Unix milliseconds. */
int64_t office_now_ms(void);

/*
 * The unit (subject CN) and role (subject OU, "" if none) of the PEM
 * certificate at path. Returns 0, or -1 with a sentence in err.
 */
THIDUA_MUSTCHECK int office_cert_identity(const char *path, char unit[OFFICE_NAME_MAX],
                                          char role[OFFICE_NAME_MAX], char *err, size_t errlen);

#endif

/*
 * admin_session.h - what the province's commands (review, approve, reject, return,
 * award, revoke, report) share: one connection with a province certificate,
 * the server's Error turned into one line and an exit code, record ids as the
 * administrator types them, and records as JSON.
 *
 * These commands work only online: every answer comes from the server, and
 * nothing is kept locally except the revisions the administrator has seen
 * (seen_revisions.h), so that a decision is made on exactly what was read.
 */
#ifndef THIDUA_CLIENT_ADMIN_SESSION_H
#define THIDUA_CLIENT_ADMIN_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"
#include "rpc.h"
#include "strbuf.h"
#include "thidua.pb-c.h"
#include "uuid.h"

/* One province command's session. Owns the connection while `open`. */
typedef struct admin {
    cli_t *cli;
    const char *cmd; /* "review list", "approve", ...: starts every message */
    rpc_t rpc;
    bool open;
    char seen_path[1024]; /* the file of seen revisions, next to the configuration */
} admin_t;

/*
 * Load the configuration and work out where the seen revisions live; no
 * connection yet. Returns CLI_EXIT_OK or an exit code (the message is printed).
 */
THIDUA_MUSTCHECK int admin_init(admin_t *a, cli_t *cli, const char *cmd);

/* Connect and say Hello. Returns CLI_EXIT_OK or an exit code (the message is printed). */
THIDUA_MUSTCHECK int admin_connect(admin_t *a);

/* Close the connection (if open). */
void admin_close(admin_t *a);

/*
 * Send one request and wait for its answer. CLI_EXIT_OK with *reply set (the
 * caller frees it with thidua__v1__envelope__free_unpacked) when the answer is
 * of body `want`; otherwise the problem is printed in one line (the server's
 * Error with its field, or a broken connection), *reply is NULL and the exit
 * code is returned. When `err_out` is not NULL and the answer is an Error,
 * nothing is printed: the Error is copied there (code, field, message) for
 * the caller to explain, and the exit code is still returned; its code is 0
 * when the failure was not an Error (that one is printed).
 */
typedef struct admin_error {
    Thidua__V1__Error__Code code;
    char field[128];
    char message[1024];
} admin_error_t;

THIDUA_MUSTCHECK int admin_call(admin_t *a, const ProtobufCMessage *body,
                                Thidua__V1__Envelope__BodyCase want, Thidua__V1__Envelope **reply,
                                admin_error_t *err_out);

/* The exit code for a server Error (cli.h): 2 invalid or conflicting, 3 try later, 4 refused. */
int admin_error_exit(Thidua__V1__Error__Code code);

/* Print an Error in one line: "thidua: CMD: FIELD (--OPTION): MESSAGE". */
void admin_error_print(const admin_t *a, const admin_error_t *e);

/* The command-line option that sets a request field ("decision.number" -> "--decision"); NULL if
 * none. */
const char *admin_field_option(const char *field);

/*
 * A record id as typed: a whole UUID (any case), or at least 8 hexadecimal
 * digits that start exactly one id this administrator has listed or shown
 * (seen_revisions.h). Writes the canonical id to out; on failure prints why (naming
 * `where`, e.g. "ids.txt:3"; NULL: "ID") and returns CLI_EXIT_USAGE or
 * CLI_EXIT_STORE.
 */
THIDUA_MUSTCHECK int admin_resolve_id(const admin_t *a, const char *where, const char *arg,
                                      char out[UUID_STR_SIZE]);

/*
 * A text argument (reason, signer, decision number) checked and brought to
 * NFC as the server will want it: *out is allocated (the caller frees it).
 * Prints "CMD: OPTION: why" and returns CLI_EXIT_INVALID when it cannot be.
 */
THIDUA_MUSTCHECK int admin_text_arg(const admin_t *a, const char *option, const char *in,
                                    bool multiline, size_t max_chars, char **out);

/* A date as "YYYY-MM-DD" or "DD/MM/YYYY" into ISO; prints why and returns CLI_EXIT_INVALID if
 * not. */
THIDUA_MUSTCHECK int admin_date_arg(const admin_t *a, const char *option, const char *in,
                                    char out[11]);

/* Parse a whole number in [min, max] for option; prints why and returns CLI_EXIT_USAGE if not. */
THIDUA_MUSTCHECK int admin_count_arg(const admin_t *a, const char *option, const char *in,
                                     unsigned long min, unsigned long max, unsigned long *out);

/* The record (as the server sends it) as a JSON object appended to sb. */
void admin_json_record(strbuf_t *sb, const Thidua__V1__Record *r);

/* An AwardDecision as a JSON object appended to sb (null when d is NULL). */
void admin_json_decision(strbuf_t *sb, const Thidua__V1__AwardDecision *d);

/*
 * The JSON answer of a command that changed one record (approve, revoke...):
 * {"record": R} on stdout, R null when the server sent none. Returns CLI_EXIT_OK,
 * or CLI_EXIT_STORE when it could not be printed.
 */
THIDUA_MUSTCHECK int admin_print_record_json(const Thidua__V1__Record *r);

#endif

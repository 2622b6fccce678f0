/*
 * output.h - how the local commands print: tables whose columns line up for
 * Vietnamese text, dates as a Vietnamese reader writes them, and JSON for
 * scripts.
 *
 * Column widths count display columns, not bytes: after NFC a Vietnamese
 * letter ("ệ", 3 bytes) takes one column, a combining mark none, a CJK
 * ideograph two. Dates for people read 02/09/2024; JSON keeps ISO 8601 and
 * Unix milliseconds, as the wire does.
 */
#ifndef THIDUA_CLIENT_OUTPUT_H
#define THIDUA_CLIENT_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "date.h"
#include "store.h"
#include "strbuf.h"

/* Room for "02/09/2024 14:05" and its NUL. */
#define OUT_TIME_SIZE 20

/* Display columns of the UTF-8 text s (ill-formed bytes count one column each). */
size_t out_width(const char *s);

/*
 * Print s in exactly `width` columns: cut with "…" when it is wider, padded
 * with spaces when narrower. Line breaks and tabs print as spaces, so that a
 * cell never breaks its row. width 0: print s whole (last column), no padding.
 */
void out_cell(FILE *f, const char *s, size_t width);

/*
 * The columns a list of labels needs in the language read: the widest of
 * their translations (msgids marked N_), at least at_least. Lines "Label:
 * value" line up in any language when every label is printed that wide.
 */
size_t out_label_width(const char *const *msgids, size_t n, size_t at_least);

/* "2024-09-02" as "02/09/2024"; anything that is not an ISO date is returned as it is. */
const char *out_date_vn(const char *iso, char out[DATE_STR_SIZE]);

/* Unix milliseconds as "02/09/2024 14:05", Viet Nam time (UTC+7); "" for 0. */
const char *out_time_vn(int64_t ms, char out[OUT_TIME_SIZE]);

/* "submitted", "returned", ... for a Thidua__V1__Record__Status; "new" for 0 (not on the server).
 * The code of --json and --status; out_status_label() is the word people read ("đã duyệt").
 */
const char *out_status_name(int status);
const char *out_status_label(int status);

/* Thidua__V1__Record__Status for a name out_status_name() gives; -1 if none. */
int out_status_parse(const char *name);

/* "pending", "stale", "conflict", "locked", "invalid", "denied", "synced". */
const char *out_sync_name(store_sync_t sync);
/* The word people read for it ("chờ gửi" for pending). */
const char *out_sync_label(store_sync_t sync);

/* store_sync_t for a name out_sync_name() gives; -1 if none. */
int out_sync_parse(const char *name);

/* A decision of the province ("approve", "reject", "return") as people say it; the code if unknown.
 */
const char *out_action_label(const char *action);

/*
 * Where a record stands, in one line for the officer: the server's status,
 * what waits to be sent, and any refusal or decision with its reason
 * ("! returned: thiếu xác nhận của UBND xã", "submitted, edit not sent").
 * A leading "! " marks a record that needs the officer. people: statuses,
 * fields and award forms by name (the award's from w); false keeps the codes,
 * for the "state" of --json, which never changes.
 */
const char *out_record_state(const store_record_t *r, const Thidua__V1__Welcome *w, bool people,
                             char *buf, size_t len);

/* Whether the record needs the officer: refused at sync, or returned by the province. */
bool out_needs_attention(const store_record_t *r);

/*
 * The names a Welcome gives codes ("ASXH" -> "An sinh xã hội"), for the
 * saved Welcome of the office and the live one of a province command alike;
 * NULL when w is NULL or does not describe that code.
 */
const char *out_unit_name(const Thidua__V1__Welcome *w, const char *code);
const char *out_category_name(const Thidua__V1__Welcome *w, const char *code);
const char *out_form_name(const Thidua__V1__Welcome *w, const char *code);
/*
 * When w says the office's unit is closed (a reorganisation ended it), the
 * sentence that tells the officer what is still allowed and who carries on
 * the unit's work, into out; else out is "". Returns out.
 */
const char *out_unit_closed_note(const Thidua__V1__Welcome *w, char *out, size_t size);

/* The name when the Welcome has one, the code otherwise: what a person reads. */
const char *out_form_label(const Thidua__V1__Welcome *w, const char *code);
const char *out_category_label(const Thidua__V1__Welcome *w, const char *code);

/*
 * JSON members appended to an object or array being built in sb. Each adds
 * the separating comma itself when sb does not end with '{' or '[', so a
 * builder can call them in any order. key NULL: an array element.
 */
void out_json_str(strbuf_t *sb, const char *key, const char *value);
void out_json_int(strbuf_t *sb, const char *key, long long value);
void out_json_bool(strbuf_t *sb, const char *key, bool value);
/* Start a member whose value the caller appends next ("key": or just the comma). */
void out_json_key(strbuf_t *sb, const char *key);
/* A member (key NULL: an element) whose value is the array of the n strings of values. */
void out_json_strs(strbuf_t *sb, const char *key, char *const *values, size_t n);

/*
 * Print sb and a newline on stdout. Returns false (after saying so on stderr)
 * when building it ran out of memory or stdout cannot be written.
 */
THIDUA_MUSTCHECK bool out_json_print(strbuf_t *sb);

/*
 * The end of a command's JSON answer: print sb as out_json_print() does and
 * free it. Returns the exit code: CLI_EXIT_OK, or CLI_EXIT_STORE when it failed.
 */
THIDUA_MUSTCHECK int out_json_done(strbuf_t *sb);

#endif

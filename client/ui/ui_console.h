/*
 * ui_console.h - one run of `thidua ui`: the office it serves, the door's
 * secrets, the background sync; and the pages, one file per group.
 *
 * Every page handler has the ui_handler_fn shape (ui_http.h) and runs on the
 * server's one thread; it reads and writes the office's store as the
 * command-line commands do, through the same modules (record_input, store,
 * output), so a record typed in the browser is judged exactly as `thidua add`
 * judges it.
 */
#ifndef THIDUA_CLIENT_UI_CONSOLE_H
#define THIDUA_CLIENT_UI_CONSOLE_H

#include "cli.h"
#include "date.h"
#include "office_session.h"
#include "rpc.h"
#include "ui_auth.h"
#include "ui_html.h"
#include "ui_http.h"
#include "ui_sync.h"

/* A file the import page previewed, kept for its confirmation; owns data. */
typedef struct ui_upload {
    char *data;
    size_t len;
    char name[256]; /* as the browser named it */
    char key[65];   /* SHA-256 of data in hex: what the confirmation names */
    int encoding;   /* enc_t chosen, ENC_AUTO to recognise */
    char sheet[128];
} ui_upload_t;

typedef struct ui_console {
    cli_t *cli;        /* borrowed: the configuration */
    office_t office;   /* the store and the saved Welcome, as the commands open them */
    ui_auth_t auth;
    ui_sync_t *sync;   /* the background sync; owned */
    unsigned sync_gen; /* the sync run whose Welcome office.welcome holds */
    ui_frame_t frame;  /* the office as the header names it, and its menu */
    ui_upload_t upload; /* the import previewed last; data NULL when none */
    /* The province's console (frame.province): no store, every page asks the server. */
    rpc_t rpc;          /* open when rpc_open */
    bool rpc_open;
} ui_console_t;

/*
 * Serve the console of the office (or province) cli configures on host:port
 * (port_given false: UI_PORT_DEFAULT or the next free), print its URL, open
 * the browser when asked and there is a display, and run until SIGINT or
 * SIGTERM. network: host is not loopback (cmd_ui.c checked the configuration
 * allows it): served over TLS with [console] tls_cert and tls_key, and the
 * Host check admits [console] name. Returns an exit code of cli.h.
 */
int ui_console_run(cli_t *cli, const char *host, unsigned port, bool port_given,
                   bool open_browser, bool network);

/* Before a page: take the Welcome a finished sync saved. */
void ui_console_refresh(ui_console_t *c);

/* ui_admin.c: the province's connection to thiduad, and its failures as sentences. */
typedef struct ui_admin_err {
    int code;           /* the server's Error code; 0 when the failure was not an Error */
    char field[128];    /* the request field it names, "" if none */
    char message[1024]; /* what to show */
} ui_admin_err_t;

/* Connect when not connected (the Welcome copied into office.welcome). TD_OK or why in e. */
int ui_admin_connect(ui_console_t *c, ui_admin_err_t *e);
void ui_admin_close(ui_console_t *c);
/*
 * One request, answered by body `want`: TD_OK with *reply (free with
 * thidua__v1__envelope__free_unpacked), else an error with e filled. read:
 * the request changes nothing, so it is sent again once on a new connection
 * when the old one broke.
 */
int ui_admin_call(ui_console_t *c, const ProtobufCMessage *body,
                  Thidua__V1__Envelope__BodyCase want, bool read, Thidua__V1__Envelope **reply,
                  ui_admin_err_t *e);

/* ui_adminform.c: the province's forms. Each problem is appended to problems as an <li>. */
int ui_form_text(const ui_req_t *rq, const char *key, const char *label, bool multiline,
                 size_t max_chars, char **out, strbuf_t *problems); /* 0, or -1 */
int ui_form_date(const ui_req_t *rq, const char *key, const char *label, char out[DATE_STR_SIZE],
                 strbuf_t *problems);
/* An award decision as a form gave it; owns number and signer. */
typedef struct ui_decision {
    char *number, *signer;
    char date[DATE_STR_SIZE];
    Thidua__V1__AwardDecision msg; /* points into the above */
} ui_decision_t;
/* The inputs number, date and signer (refilled from rq when it is a POST). */
void ui_decision_inputs(strbuf_t *sb, const ui_req_t *rq);
int ui_decision_read(const ui_req_t *rq, ui_decision_t *d, strbuf_t *problems); /* 0, or -1 */
void ui_decision_free(ui_decision_t *d);

/* ui_records.c: a content field as people read it (labels for codes, dd/mm/yyyy dates). */
const char *ui_field_text(const Thidua__V1__Welcome *w, recin_field_t f, const char *v,
                          char date[DATE_STR_SIZE]);

/* ui_records.c: a record's content fields (v in record_input's order) as a <dl>. */
void ui_record_fields(strbuf_t *sb, const Thidua__V1__Welcome *w,
                      const char *const v[RECIN_NFIELDS]);

/* ui_queue.c, ui_review.c, ui_awards.c, ui_report.c, ui_units.c: the province's pages. */
void ui_page_queue(void *app, ui_req_t *rq, ui_resp_t *rs);        /* GET /review */
void ui_page_review_get(void *app, ui_req_t *rq, ui_resp_t *rs);   /* GET /review/ID */
void ui_page_review_post(void *app, ui_req_t *rq, ui_resp_t *rs);  /* POST /review/ID/... */
void ui_page_awards(void *app, ui_req_t *rq, ui_resp_t *rs);       /* GET /awards */
void ui_page_awards_post(void *app, ui_req_t *rq, ui_resp_t *rs);  /* POST /awards */
void ui_page_decision(void *app, ui_req_t *rq, ui_resp_t *rs);     /* GET /decisions/... */
void ui_page_report(void *app, ui_req_t *rq, ui_resp_t *rs);       /* GET /report[/...] */
void ui_page_units(void *app, ui_req_t *rq, ui_resp_t *rs);        /* GET /units */
void ui_page_campaigns(void *app, ui_req_t *rq, ui_resp_t *rs);    /* GET /campaigns */

/* A notice for a failed call to the province's server. */
void ui_admin_notice(strbuf_t *sb, const ui_admin_err_t *e);

/* ui_records.c: the list, a record's page, withdrawing. */
void ui_page_records(void *app, ui_req_t *rq, ui_resp_t *rs);
void ui_page_record_get(void *app, ui_req_t *rq, ui_resp_t *rs);  /* GET /records/... */
void ui_page_record_post(void *app, ui_req_t *rq, ui_resp_t *rs); /* POST /records/... */

/* ui_form.c: the nomination form, new and edit (called by the two above). */
void ui_form_show(ui_console_t *c, const store_record_t *r, ui_resp_t *rs);
void ui_form_submit(ui_console_t *c, const store_record_t *r, ui_req_t *rq, ui_resp_t *rs);

/* ui_status.c: what waits, what needs the officer; the sync button and its progress. */
void ui_page_status(void *app, ui_req_t *rq, ui_resp_t *rs);
void ui_page_sync_post(void *app, ui_req_t *rq, ui_resp_t *rs);
void ui_page_sync_state(void *app, ui_req_t *rq, ui_resp_t *rs);

/* ui_import.c: a spreadsheet previewed row by row, then imported on confirmation. */
void ui_page_import(void *app, ui_req_t *rq, ui_resp_t *rs);      /* GET /import */
void ui_page_import_post(void *app, ui_req_t *rq, ui_resp_t *rs); /* POST /import[/confirm] */
void ui_page_import_form(void *app, ui_req_t *rq, ui_resp_t *rs); /* GET /import/form.xlsx */
void ui_import_forget(ui_console_t *c);

/* ui_print.c: the office's Tờ trình, as a download; its section of the status page. */
void ui_page_print(void *app, ui_req_t *rq, ui_resp_t *rs); /* GET /print/submission.pdf|docx */
void ui_print_section(ui_console_t *c, strbuf_t *sb);

/* ui_assets.c: the style sheet and the script, embedded in the program. */
void ui_page_asset(void *app, ui_req_t *rq, ui_resp_t *rs);

#endif

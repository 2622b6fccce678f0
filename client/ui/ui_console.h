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
#include "office_session.h"
#include "ui_auth.h"
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
    char label[300];   /* the office as the header names it: "Xã Tân Hòa (93101)" */
    ui_upload_t upload; /* the import previewed last; data NULL when none */
} ui_console_t;

/*
 * Serve the console of the office cli configures on host:port (port_given
 * false: UI_PORT_DEFAULT or the next free), print its URL, open the browser
 * when asked and there is a display, and run until SIGINT or SIGTERM.
 * Returns an exit code of cli.h.
 */
int ui_console_run(cli_t *cli, const char *host, unsigned port, bool port_given,
                   bool open_browser);

/* Before a page: take the Welcome a finished sync saved. */
void ui_console_refresh(ui_console_t *c);

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

/*
 * ui_import.c - a spreadsheet of nominations imported from the browser, in
 * two steps: the preview judges every row exactly as `thidua import` would
 * (importer.h, in a transaction rolled back) and shows each with its problem;
 * only the officer's confirmation stores the good rows, from the very bytes
 * previewed (the console keeps them, named by their SHA-256, so a file
 * changed on disk in between cannot slip in unseen).
 *
 * Routes: GET /import (the form), POST /import (the preview), POST
 * /import/confirm (the import), GET /import/form.xlsx (the empty form).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "i18n.h"
#include "import_form.h"
#include "importer.h"
#include "output.h"
#include "ui_console.h"
#include "ui_download.h"
#include "ui_html.h"

/* The rows of one run as table rows, and how many of each outcome. */
typedef struct ui_import_view {
    strbuf_t rows;
    const Thidua__V1__Welcome *w;
    bool refused_only; /* after the import: only what was left out is listed */
} ui_import_view_t;

static const char *ui_outcome_code(importer_outcome_t o)
{
    static const char *const code[] = {"new", "updated", "same", "refused"};
    return code[o];
}

static const char *ui_outcome_label(importer_outcome_t o, bool done)
{
    switch (o) {
    case IMPORTER_NEW:
        return done ? _("added") : _("will be added");
    case IMPORTER_UPDATED:
        return done ? _("updated") : _("will update the nomination it made before");
    case IMPORTER_SAME:
        return _("imported before, unchanged: skipped");
    default:
        return _("not imported");
    }
}

static void ui_import_row(void *ctx, const importer_row_t *r)
{
    ui_import_view_t *v = ctx;
    if (v->refused_only && r->outcome != IMPORTER_REFUSED)
        return;
    strbuf_t *sb = &v->rows;
    strbuf_printf(sb, "<tr data-row=\"%u\" data-outcome=\"%s\"%s><td>%u</td><td>", r->row,
                  ui_outcome_code(r->outcome),
                  r->outcome == IMPORTER_REFUSED ? " class=\"attention\"" : "", r->row);
    ui_esc(sb, r->stt);
    strbuf_puts(sb, "</td><td>");
    ui_esc(sb, r->name);
    strbuf_puts(sb, "</td><td>");
    if (r->award[0] != '\0')
        ui_esc(sb, out_form_label(v->w, r->award));
    strbuf_puts(sb, "</td><td>");
    ui_esc(sb, ui_outcome_label(r->outcome, v->refused_only));
    if (r->outcome == IMPORTER_REFUSED) {
        strbuf_puts(sb, ": ");
        if (r->field[0] != '\0') {
            strbuf_puts(sb, "<strong class=\"field\">");
            ui_esc(sb, r->field);
            strbuf_puts(sb, "</strong>: ");
        }
        strbuf_puts(sb, "<span class=\"problem\">");
        ui_esc(sb, r->message);
        strbuf_puts(sb, "</span>");
    }
    strbuf_puts(sb, "</td></tr>\n");
}

void ui_import_forget(ui_console_t *c)
{
    free(c->upload.data);
    memset(&c->upload, 0, sizeof(c->upload));
}

/* The form that chooses a file; error lines (or NULL) above it. */
static void ui_import_form(ui_console_t *c, strbuf_t *sb, const char *errors)
{
    if (errors != NULL) {
        /* One sentence a line, as the importer says them. */
        strbuf_puts(sb, "<div id=\"problems\" class=\"notice error\" role=\"alert\"><ul>");
        for (const char *p = errors; *p != '\0';) {
            const char *nl = strchr(p, '\n');
            size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
            char *line = strndup(p, n);
            strbuf_puts(sb, "<li>");
            ui_esc(sb, line != NULL ? line : "");
            strbuf_puts(sb, "</li>");
            free(line);
            p += n + (nl != NULL);
        }
        strbuf_puts(sb, "</ul></div>\n");
    }
    strbuf_puts(sb, "<p>");
    ui_esc(sb, _("Choose the office's list: an Excel workbook (.xlsx) or a CSV file in UTF-8, "
                 "Windows-1258, TCVN3 or VNI. Its first row names the columns (\"Họ và tên\", "
                 "\"Ngày sinh\", \"Hình thức khen thưởng\"...). Nothing is stored before you "
                 "have seen every row."));
    strbuf_puts(sb, " <a href=\"/import/form.xlsx\" download>");
    ui_esc(sb, _("Download the empty form"));
    strbuf_puts(sb, "</a></p>\n<form method=\"post\" action=\"/import\" "
                    "enctype=\"multipart/form-data\" class=\"import\">");
    ui_csrf(sb, &c->auth);
    strbuf_puts(sb, "<p><label for=\"file\">");
    ui_esc(sb, _("File"));
    strbuf_puts(sb, "</label> <input type=\"file\" id=\"file\" name=\"file\" required "
                    "accept=\".xlsx,.csv,.txt\"></p>\n<p><label for=\"encoding\">");
    ui_esc(sb, _("Encoding of a CSV file"));
    strbuf_puts(sb, "</label> <select id=\"encoding\" name=\"encoding\"><option value=\"\">");
    ui_esc(sb, _("recognise it"));
    strbuf_puts(sb, "</option><option value=\"utf-8\">UTF-8</option>"
                    "<option value=\"cp1258\">Windows-1258</option>"
                    "<option value=\"tcvn3\">TCVN3 (ABC)</option>"
                    "<option value=\"vni\">VNI</option></select></p>\n<p><label for=\"sheet\">");
    ui_esc(sb, _("Sheet of a workbook (empty: the first)"));
    strbuf_puts(sb, "</label> <input type=\"text\" id=\"sheet\" name=\"sheet\"></p>\n"
                    "<p><button type=\"submit\" data-action=\"preview\">");
    ui_esc(sb, _("Check the file"));
    strbuf_puts(sb, "</button></p></form>\n");
}

void ui_page_import(void *app, ui_req_t *rq, ui_resp_t *rs)
{
    (void)rq;
    ui_console_t *c = app;
    ui_console_refresh(c);
    ui_page_begin(&rs->body, _("Import a list"), UI_NAV_IMPORT, &c->frame);
    ui_import_form(c, &rs->body, NULL);
    ui_page_end(&rs->body);
}

/* The table of rows, with its header. */
static void ui_import_table(strbuf_t *sb, const ui_import_view_t *v)
{
    static const char *const heads[] = {N_("Row"), N_("STT"), N_("Name"), N_("Proposed award"),
                                        N_("What happens")};
    strbuf_puts(sb, "<table id=\"preview\"><thead><tr>");
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(heads); i++) {
        strbuf_puts(sb, "<th scope=\"col\">");
        ui_esc(sb, _(heads[i]));
        strbuf_puts(sb, "</th>");
    }
    strbuf_puts(sb, "</tr></thead><tbody>\n");
    strbuf_puts(sb, strbuf_str(&v->rows));
    strbuf_puts(sb, "</tbody></table>\n");
}

/* Run the importer on the kept upload; the caller frees v->rows. */
static int ui_import_run(ui_console_t *c, bool dry_run, ui_import_view_t *v,
                         importer_counts_t *n, char *why, size_t whylen)
{
    importer_opts_t o = {c->upload.name,
                         c->upload.data,
                         c->upload.len,
                         NULL,
                         NULL,
                         c->upload.sheet[0] != '\0' ? c->upload.sheet : NULL,
                         0,
                         (enc_t)c->upload.encoding,
                         dry_run,
                         ui_import_row,
                         v};
    strbuf_init(&v->rows);
    v->w = c->office.welcome;
    return importer_run(&c->office, &o, n, why, whylen);
}

static void ui_sha256_hex(const char *data, size_t len, char out[65])
{
    unsigned char h[32];
    unsigned hl = 0;
    if (EVP_Digest(data, len, h, &hl, EVP_sha256(), NULL) != 1)
        memset(h, 0, sizeof(h));
    for (size_t i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* POST /import: keep the file, judge every row, ask for the confirmation. */
static void ui_import_preview(ui_console_t *c, ui_req_t *rq, ui_resp_t *rs)
{
    strbuf_t *sb = &rs->body;
    const ui_field_t *f = ui_req_field(rq, "file");
    ui_page_begin(sb, _("Import a list"), UI_NAV_IMPORT, &c->frame);
    if (f == NULL || f->filename == NULL || f->len == 0) {
        ui_import_form(c, sb, _("Choose a file first: the one chosen is empty or missing."));
        ui_page_end(sb);
        return;
    }
    int enc = ENC_AUTO;
    const char *e = ui_req_value(rq, "encoding");
    if (e[0] != '\0' && (enc = enc_by_name(e)) < 0) {
        ui_import_form(c, sb, _("Unknown encoding: choose one of the list."));
        ui_page_end(sb);
        return;
    }
    ui_import_forget(c);
    c->upload.data = malloc(f->len);
    if (c->upload.data == NULL) {
        ui_import_form(c, sb, _("out of memory"));
        ui_page_end(sb);
        return;
    }
    memcpy(c->upload.data, f->value, f->len);
    c->upload.len = f->len;
    c->upload.encoding = enc;
    snprintf(c->upload.name, sizeof(c->upload.name), "%s", f->filename);
    snprintf(c->upload.sheet, sizeof(c->upload.sheet), "%s", ui_req_value(rq, "sheet"));
    ui_sha256_hex(c->upload.data, c->upload.len, c->upload.key);

    ui_import_view_t v = {.refused_only = false};
    importer_counts_t n;
    char why[4096];
    int rc = ui_import_run(c, true, &v, &n, why, sizeof(why));
    if (rc != CLI_EXIT_OK) {
        ui_import_forget(c);
        ui_import_form(c, sb, why);
        strbuf_free(&v.rows);
        ui_page_end(sb);
        return;
    }
    strbuf_puts(sb, "<p id=\"file-name\">");
    ui_esc(sb, c->upload.name);
    strbuf_puts(sb, "</p>\n");
    char line[512];
    if (n.guessed && n.encoding != ENC_UTF8) {
        snprintf(line, sizeof(line), _("Read as %s: if the names look wrong, choose the file's "
                                       "encoding and check it again."),
                 enc_name(n.encoding));
        ui_notice(sb, "warn", line);
    }
    if (n.no_welcome)
        ui_notice(sb, "warn", _("The campaign's rules are not known yet (no sync has reached the "
                                "province): only the rows' form is checked now."));
    uint64_t good = n.imported + n.updated;
    snprintf(line, sizeof(line),
             _("%llu rows can be imported (%llu new, %llu changed), %llu were imported before "
               "unchanged, %llu have problems and will be left out."),
             (unsigned long long)good, (unsigned long long)n.imported,
             (unsigned long long)n.updated, (unsigned long long)n.skipped,
             (unsigned long long)n.rejected);
    strbuf_printf(sb, "<div id=\"summary\" data-good=\"%llu\" data-refused=\"%llu\">",
                  (unsigned long long)good, (unsigned long long)n.rejected);
    ui_notice(sb, n.rejected > 0 ? "warn" : "ok", line);
    strbuf_puts(sb, "</div>\n");
    ui_import_table(sb, &v);
    strbuf_free(&v.rows);
    if (good > 0) {
        strbuf_puts(sb, "<form method=\"post\" action=\"/import/confirm\">");
        ui_csrf(sb, &c->auth);
        strbuf_printf(sb, "<input type=\"hidden\" name=\"key\" value=\"%s\">", c->upload.key);
        strbuf_puts(sb, "<p><button type=\"submit\" data-action=\"import\">");
        snprintf(line, sizeof(line), _("Import the %llu good rows"), (unsigned long long)good);
        ui_esc(sb, line);
        strbuf_puts(sb, "</button> <a href=\"/import\">");
        ui_esc(sb, _("Cancel"));
        strbuf_puts(sb, "</a></p></form>\n");
    } else {
        strbuf_puts(sb, "<p><a href=\"/import\">");
        ui_esc(sb, _("Choose another file"));
        strbuf_puts(sb, "</a></p>\n");
    }
    ui_page_end(sb);
}

/* POST /import/confirm: store the good rows of the file previewed. */
static void ui_import_confirm(ui_console_t *c, ui_req_t *rq, ui_resp_t *rs)
{
    strbuf_t *sb = &rs->body;
    ui_page_begin(sb, _("Import a list"), UI_NAV_IMPORT, &c->frame);
    if (c->upload.data == NULL || strcmp(ui_req_value(rq, "key"), c->upload.key) != 0) {
        ui_import_form(c, sb, _("This preview is no longer current (another file was checked "
                                "since, or the console was restarted): check the file again."));
        ui_page_end(sb);
        return;
    }
    ui_import_view_t v = {.refused_only = true};
    importer_counts_t n;
    char why[4096];
    int rc = ui_import_run(c, false, &v, &n, why, sizeof(why));
    if (rc != CLI_EXIT_OK) {
        ui_import_form(c, sb, why);
        strbuf_free(&v.rows);
        ui_page_end(sb);
        return;
    }
    char line[512];
    snprintf(line, sizeof(line),
             _("Imported: %llu added, %llu updated, %llu skipped as imported before, %llu left "
               "out. They are sent to the province at the next sync."),
             (unsigned long long)n.imported, (unsigned long long)n.updated,
             (unsigned long long)n.skipped, (unsigned long long)n.rejected);
    strbuf_printf(sb, "<div id=\"summary\" data-imported=\"%llu\" data-updated=\"%llu\" "
                      "data-refused=\"%llu\">",
                  (unsigned long long)n.imported, (unsigned long long)n.updated,
                  (unsigned long long)n.rejected);
    ui_notice(sb, "ok", line);
    strbuf_puts(sb, "</div>\n");
    if (n.rejected > 0) {
        strbuf_puts(sb, "<p>");
        ui_esc(sb, _("The rows below were left out: correct them in the file and import it "
                     "again; the rows already imported are skipped."));
        strbuf_puts(sb, "</p>\n");
        ui_import_table(sb, &v);
    }
    strbuf_free(&v.rows);
    ui_import_forget(c);
    strbuf_puts(sb, "<p><a href=\"/records\">");
    ui_esc(sb, _("See the nominations"));
    strbuf_puts(sb, "</a> · <a href=\"/status\">");
    ui_esc(sb, _("Sync with the province"));
    strbuf_puts(sb, "</a></p>\n");
    ui_page_end(sb);
}

void ui_page_import_post(void *app, ui_req_t *rq, ui_resp_t *rs)
{
    ui_console_t *c = app;
    ui_console_refresh(c);
    if (strcmp(rq->path, "/import/confirm") == 0)
        ui_import_confirm(c, rq, rs);
    else
        ui_import_preview(c, rq, rs);
}

/* GET /import/form.xlsx: the empty form, written as `thidua import --template` writes it. */
void ui_page_import_form(void *app, ui_req_t *rq, ui_resp_t *rs)
{
    (void)app;
    (void)rq;
    char path[UI_TMP_PATH_MAX], why[512];
    if (ui_tmp_file(path, ".xlsx") != TD_OK) {
        ui_resp_fail(rs, strerror(errno));
        return;
    }
    if (form_write(path, why, sizeof(why)) != TD_OK) {
        unlink(path);
        ui_resp_fail(rs, why);
        return;
    }
    (void)ui_resp_download(rs, path,
                           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           "mau-nhap-de-nghi.xlsx");
}

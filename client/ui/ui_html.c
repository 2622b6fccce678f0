/*
 * ui_html.c - the frame of the console's pages (ui_html.h).
 */
#include <string.h>

#include "i18n.h"
#include "ui_html.h"
#include "xml_escape.h"

void ui_esc(strbuf_t *sb, const char *s)
{
    if (s != NULL)
        xml_escape_strbuf(sb, s, strlen(s));
}

void ui_page_begin(strbuf_t *sb, const char *title, ui_nav_t nav, const ui_frame_t *frame)
{
    static const struct {
        ui_nav_t nav;
        bool province;
        const char *path, *label;
    } menu[] = {
        {UI_NAV_RECORDS, false, "/records", N_("Nominations")},
        {UI_NAV_NEW, false, "/records/new", N_("New nomination")},
        {UI_NAV_IMPORT, false, "/import", N_("Import a list")},
        {UI_NAV_STATUS, false, "/status", N_("Sending and status")},
        {UI_NAV_QUEUE, true, "/review", N_("Review")},
        {UI_NAV_AWARDS, true, "/awards", N_("Awards")},
        {UI_NAV_REPORT, true, "/report", N_("Report")},
        {UI_NAV_UNITS, true, "/units", N_("Units")},
        {UI_NAV_CAMPAIGNS, true, "/campaigns", N_("Campaigns")},
    };
    const char *office = frame->label;
    strbuf_printf(sb, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n",
                  i18n_is_vi() ? "vi" : "en");
    strbuf_puts(sb, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                    "<link rel=\"stylesheet\" href=\"/assets/console.css\">\n"
                    "<script src=\"/assets/console.js\" defer></script>\n<title>");
    ui_esc(sb, title);
    strbuf_puts(sb, " · thidua</title>\n</head>\n<body>\n<a class=\"skip\" href=\"#main\">");
    ui_esc(sb, _("Skip to the content"));
    strbuf_puts(sb, "</a>\n<header>\n<span class=\"brand\">thidua</span>");
    if (office != NULL && office[0] != '\0') {
        strbuf_puts(sb, "<span class=\"office\">");
        ui_esc(sb, office);
        strbuf_puts(sb, "</span>");
    }
    strbuf_puts(sb, "\n<nav>");
    for (size_t i = 0; i < sizeof(menu) / sizeof(menu[0]); i++) {
        if (menu[i].province != frame->province)
            continue;
        strbuf_printf(sb, "<a href=\"%s\"%s>", menu[i].path,
                      menu[i].nav == nav ? " aria-current=\"page\"" : "");
        ui_esc(sb, _(menu[i].label));
        strbuf_puts(sb, "</a>");
    }
    strbuf_puts(sb, "</nav>\n</header>\n<main id=\"main\">\n<h1>");
    ui_esc(sb, title);
    strbuf_puts(sb, "</h1>\n");
}

void ui_page_end(strbuf_t *sb)
{
    strbuf_puts(sb, "</main>\n</body>\n</html>\n");
}

void ui_csrf(strbuf_t *sb, const ui_auth_t *a)
{
    strbuf_printf(sb, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", a->csrf);
}

void ui_notice(strbuf_t *sb, const char *kind, const char *text)
{
    strbuf_printf(sb, "<p class=\"notice %s\" role=\"%s\">", kind,
                  strcmp(kind, "error") == 0 ? "alert" : "status");
    ui_esc(sb, text);
    strbuf_puts(sb, "</p>\n");
}

const char *ui_flash(const char *done, const ui_flash_t *t, size_t n)
{
    for (size_t i = 0; done != NULL && i < n; i++)
        if (strcmp(done, t[i].done) == 0)
            return _(t[i].msgid);
    return NULL;
}

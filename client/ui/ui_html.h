/*
 * ui_html.h - the console's pages as HTML: the frame every page shares, and
 * the pieces forms are made of. Everything an office typed goes through
 * ui_esc(); nothing here writes a script or a style inline (the console's
 * Content-Security-Policy forbids both).
 */
#ifndef THIDUA_CLIENT_UI_HTML_H
#define THIDUA_CLIENT_UI_HTML_H

#include <stdbool.h>

#include "strbuf.h"
#include "ui_auth.h"

/* The sections of the header's menu; the page's own is marked. */
typedef enum {
    UI_NAV_NONE = 0,
    /* a district office's console */
    UI_NAV_RECORDS,
    UI_NAV_NEW,
    UI_NAV_IMPORT,
    UI_NAV_STATUS,
    /* the province's */
    UI_NAV_QUEUE,
    UI_NAV_AWARDS,
    UI_NAV_REPORT,
    UI_NAV_UNITS,
    UI_NAV_CAMPAIGNS,
} ui_nav_t;

/* What every page's header shows: who is served, and which menu. */
typedef struct ui_frame {
    char label[300]; /* the office: "Xã Tân Hòa (93101)" */
    bool province;   /* the province's menu, not an office's */
} ui_frame_t;

/* Text (NULL is "") as HTML text or attribute value. */
void ui_esc(strbuf_t *sb, const char *s);

/* The page's head, header and menu, up to the opening of <main>; title is text. */
void ui_page_begin(strbuf_t *sb, const char *title, ui_nav_t nav, const ui_frame_t *frame);
/* Close <main> and the page. */
void ui_page_end(strbuf_t *sb);

/* The hidden CSRF field every POST form carries. */
void ui_csrf(strbuf_t *sb, const ui_auth_t *a);

/* The notice a page shows after a redirect with ?done=CODE: the msgid of code in t, or NULL. */
typedef struct ui_flash {
    const char *done, *msgid;
} ui_flash_t;
const char *ui_flash(const char *done, const ui_flash_t *t, size_t n);

/* A notice box: kind "ok", "warn" or "error"; text is escaped. */
void ui_notice(strbuf_t *sb, const char *kind, const char *text);

#endif

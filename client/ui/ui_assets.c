/*
 * ui_assets.c - the console's style sheet and script, served from the
 * program itself (client/ui/assets/, embedded at build time by embed.cmake):
 * no network, no CDN, the same files on every office's machine.
 */
#include <string.h>

#include "ui_console.h"

extern const unsigned char ui_asset_css[];
extern const size_t ui_asset_css_len;
extern const unsigned char ui_asset_js[];
extern const size_t ui_asset_js_len;

void ui_page_asset(void *app, ui_req_t *rq, ui_resp_t *rs)
{
    (void)app;
    const struct {
        const char *path, *type;
        const unsigned char *data;
        size_t len;
    } assets[] = {
        {"/assets/console.css", "text/css; charset=utf-8", ui_asset_css, ui_asset_css_len},
        {"/assets/console.js", "text/javascript; charset=utf-8", ui_asset_js, ui_asset_js_len},
    };
    for (size_t i = 0; i < sizeof(assets) / sizeof(assets[0]); i++) {
        if (strcmp(rq->path, assets[i].path) == 0) {
            rs->type = assets[i].type;
            strbuf_append(&rs->body, assets[i].data, assets[i].len);
            return;
        }
    }
    rs->status = 404;
    rs->type = "text/plain; charset=utf-8";
    strbuf_puts(&rs->body, "404\n");
}

/*
 * ui_admin.c - the province's console talks to thiduad (ui_console.h): one
 * mutual-TLS connection kept open between requests, opened again when it
 * broke, and every answer that is not the one expected turned into a
 * sentence the page can show.
 *
 * The province's commands work online only, and so do these pages: nothing
 * of the province is stored on this machine. A read that finds the
 * connection broken is sent again on a new one; a write is not (the page
 * says so, and the administrator reloads the record to see where it stands),
 * though every write of the protocol could be repeated safely (a decision
 * names its revision, an award one per record).
 */
#include <string.h>

#include "i18n.h"
#include "ui_console.h"

/* Keep a copy of the Welcome for the pages' names, apart from the connection's own. */
static void ui_admin_keep_welcome(ui_console_t *c)
{
    const Thidua__V1__Welcome *w = c->rpc.welcome;
    if (w == NULL)
        return;
    size_t len = thidua__v1__welcome__get_packed_size(w);
    uint8_t *buf = malloc(len ? len : 1);
    if (buf == NULL)
        return;
    thidua__v1__welcome__pack(w, buf);
    Thidua__V1__Welcome *copy = thidua__v1__welcome__unpack(NULL, len, buf);
    free(buf);
    if (copy == NULL)
        return;
    if (c->office.welcome != NULL)
        thidua__v1__welcome__free_unpacked(c->office.welcome, NULL);
    c->office.welcome = copy;
    snprintf(c->office.unit, sizeof(c->office.unit), "%s", copy->org_unit);
    if (copy->campaign != NULL)
        snprintf(c->office.campaign, sizeof(c->office.campaign), "%s", copy->campaign->code);
}

int ui_admin_connect(ui_console_t *c, ui_admin_err_t *e)
{
    memset(e, 0, sizeof(*e));
    if (c->rpc_open && !c->rpc.closed && c->rpc.error == 0)
        return TD_OK;
    if (c->rpc_open)
        rpc_close(&c->rpc);
    c->rpc_open = false;
    char err[512];
    int rc = rpc_open(&c->rpc, &c->cli->cfg, err, sizeof(err));
    if (rc != 0) {
        snprintf(e->message, sizeof(e->message), _("The province's server cannot be reached: %s"),
                 err);
        return rc;
    }
    c->rpc_open = true;
    ui_admin_keep_welcome(c);
    return TD_OK;
}

void ui_admin_close(ui_console_t *c)
{
    if (c->rpc_open)
        rpc_close(&c->rpc);
    c->rpc_open = false;
}

int ui_admin_call(ui_console_t *c, const ProtobufCMessage *body,
                  Thidua__V1__Envelope__BodyCase want, bool read, Thidua__V1__Envelope **reply,
                  ui_admin_err_t *e)
{
    *reply = NULL;
    for (int attempt = 0;; attempt++) {
        int rc = ui_admin_connect(c, e);
        if (rc != TD_OK)
            return rc;
        Thidua__V1__Envelope *env = NULL;
        rc = rpc_call(&c->rpc, body, &env);
        if (rc != 0) {
            snprintf(e->message, sizeof(e->message),
                     read ? _("The connection to the province's server broke: %s")
                          : _("The connection to the province's server broke (%s): open the "
                              "nomination again to see whether the change was made"),
                     rpc_error(&c->rpc));
            ui_admin_close(c);
            if (read && attempt == 0)
                continue; /* a read is safe to send again, once, on a new connection */
            return rc;
        }
        if (env->body_case == want) {
            *reply = env;
            return TD_OK;
        }
        if (env->body_case == THIDUA__V1__ENVELOPE__BODY_ERROR) {
            e->code = env->error->code;
            snprintf(e->field, sizeof(e->field), "%s", env->error->field ? env->error->field : "");
            snprintf(e->message, sizeof(e->message), "%s",
                     env->error->message ? env->error->message : "");
        } else {
            snprintf(e->message, sizeof(e->message),
                     _("The server answered with an unexpected message (%d)."),
                     (int)env->body_case);
        }
        thidua__v1__envelope__free_unpacked(env, NULL);
        return TD_EPROTO;
    }
}

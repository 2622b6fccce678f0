/*
 * ui_auth.h - who may use the console: the secrets of one `thidua ui` run
 * and the checks every request passes before any page is served.
 *
 * The console listens on loopback, where any local program and any web page
 * the officer opens can reach it. So:
 *   - the URL printed at start carries a one-time token; its first use is
 *     exchanged for a session cookie (HttpOnly, SameSite=Strict), and the
 *     token is then spent, so a URL copied from the terminal later is worth
 *     nothing;
 *   - the Host header must name the loopback address served, which defeats
 *     DNS rebinding (a hostile name resolved to 127.0.0.1);
 *   - every POST carries the CSRF token of the session in its form.
 * Secrets are compared in constant time.
 */
#ifndef THIDUA_CLIENT_UI_AUTH_H
#define THIDUA_CLIENT_UI_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "defs.h"

/* 32 random bytes in hex. */
#define UI_SECRET_HEX 64

typedef struct ui_auth {
    char token[UI_SECRET_HEX + 1];   /* the URL's, "" once spent */
    char session[UI_SECRET_HEX + 1]; /* the cookie's, "" until the token is spent */
    char csrf[UI_SECRET_HEX + 1];    /* the forms' */
    unsigned port;                   /* the port served, for the Host check */
    char name[256];                  /* on the network: the host name served, else "" */
    bool secure;                     /* served over TLS: the cookie is Secure */
} ui_auth_t;

/* The cookie's name. */
#define UI_COOKIE "thidua_session"

/* New secrets for a console served on port. TD_OK, or TD_ERAND. */
THIDUA_MUSTCHECK int ui_auth_init(ui_auth_t *a, unsigned port);

/*
 * Spend the one-time token: true when given equals it (then a session secret
 * is made and the token cleared), false otherwise, and always once spent.
 */
bool ui_auth_spend_token(ui_auth_t *a, const char *given);

/* Whether the value of a Cookie header holds this run's session cookie. */
bool ui_auth_cookie_ok(const ui_auth_t *a, const char *cookie_header);

/* Whether a form's CSRF field is this run's. */
bool ui_auth_csrf_ok(const ui_auth_t *a, const char *given);

/*
 * Whether a Host header names the loopback address served: 127.0.0.1,
 * localhost or [::1], with this port. NULL (no Host) is refused.
 */
bool ui_auth_host_ok(const ui_auth_t *a, const char *host);

/* The Set-Cookie value that hands the session to the browser. */
void ui_auth_set_cookie(const ui_auth_t *a, char *out, size_t size);

#endif

/*
 * ui_auth.c - the console's secrets and the checks of each request (ui_auth.h).
 */
#include "ui_auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "error.h"
#include "hex.h"

static int ui_secret(char out[UI_SECRET_HEX + 1])
{
    unsigned char b[UI_SECRET_HEX / 2];
    out[0] = '\0';
    if (RAND_bytes(b, (int)sizeof(b)) != 1)
        return TD_ERAND;
    hex_encode(b, sizeof(b), out);
    OPENSSL_cleanse(b, sizeof(b));
    return TD_OK;
}

/* given equals secret, in time that depends on neither: "" matches nothing. */
static bool ui_secret_eq(const char *secret, const char *given, size_t given_len)
{
    if (secret[0] == '\0' || given == NULL || given_len != UI_SECRET_HEX)
        return false;
    return CRYPTO_memcmp(secret, given, UI_SECRET_HEX) == 0;
}

int ui_auth_init(ui_auth_t *a, unsigned port)
{
    memset(a, 0, sizeof(*a));
    a->port = port;
    int rc = ui_secret(a->token);
    if (rc == TD_OK)
        rc = ui_secret(a->csrf);
    return rc;
}

bool ui_auth_spend_token(ui_auth_t *a, const char *given)
{
    if (!ui_secret_eq(a->token, given, given != NULL ? strlen(given) : 0))
        return false;
    /* Spent before the session exists: the same URL never opens a second one. */
    OPENSSL_cleanse(a->token, sizeof(a->token));
    if (ui_secret(a->session) != TD_OK) {
        a->session[0] = '\0';
        return false;
    }
    return true;
}

bool ui_auth_cookie_ok(const ui_auth_t *a, const char *cookie_header)
{
    /* "a=1; thidua_session=...; b=2": every pair is looked at, the first of the name counts. */
    const char *p = cookie_header;
    const size_t nlen = strlen(UI_COOKIE);
    while (p != NULL && *p != '\0') {
        while (*p == ' ' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        if (len > nlen && memcmp(p, UI_COOKIE, nlen) == 0 && p[nlen] == '=') {
            size_t vlen = len - nlen - 1;
            while (vlen > 0 && p[nlen + 1 + vlen - 1] == ' ')
                vlen--;
            return ui_secret_eq(a->session, p + nlen + 1, vlen);
        }
        p = end;
    }
    return false;
}

bool ui_auth_csrf_ok(const ui_auth_t *a, const char *given)
{
    return ui_secret_eq(a->csrf, given, given != NULL ? strlen(given) : 0);
}

bool ui_auth_host_ok(const ui_auth_t *a, const char *host)
{
    if (host == NULL)
        return false;
    static const char *const names[] = {"127.0.0.1", "localhost", "[::1]"};
    for (size_t i = 0; i < THIDUA_ARRAY_LEN(names); i++) {
        char want[64];
        snprintf(want, sizeof(want), "%s:%u", names[i], a->port);
        /* Host names are case-insensitive (RFC 9110, 4.2.3); the port is digits. */
        if (strcasecmp(host, want) == 0)
            return true;
    }
    if (a->name[0] != '\0') {
        char want[300];
        snprintf(want, sizeof(want), "%s:%u", a->name, a->port);
        return strcasecmp(host, want) == 0;
    }
    return false;
}

void ui_auth_set_cookie(const ui_auth_t *a, char *out, size_t size)
{
    /* No Max-Age: the cookie ends with the browser session, the secret with the run. */
    snprintf(out, size, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s", UI_COOKIE, a->session,
             a->secure ? "; Secure" : "");
}

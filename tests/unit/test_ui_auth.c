/*
 * test_ui_auth.c - the console's door: a one-time token spent once, the
 * session cookie among others, the CSRF token, and only loopback Host names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "ui_auth.h"

static void test_token_spent_once(void **state)
{
    (void)state;
    ui_auth_t a;
    assert_int_equal(ui_auth_init(&a, 8421), TD_OK);
    assert_int_equal(strlen(a.token), UI_SECRET_HEX);
    char token[UI_SECRET_HEX + 1];
    memcpy(token, a.token, sizeof(token));
    assert_string_equal(a.session, ""); /* no session before the token is used */

    char wrong[UI_SECRET_HEX + 1];
    memcpy(wrong, token, sizeof(wrong));
    wrong[10] = wrong[10] == 'a' ? 'b' : 'a';
    assert_false(ui_auth_spend_token(&a, wrong));
    assert_false(ui_auth_spend_token(&a, ""));
    assert_false(ui_auth_spend_token(&a, NULL));
    token[UI_SECRET_HEX - 1] = '\0'; /* a prefix is not the token */
    assert_false(ui_auth_spend_token(&a, token));
    token[UI_SECRET_HEX - 1] = a.token[UI_SECRET_HEX - 1];

    assert_true(ui_auth_spend_token(&a, token));
    assert_int_equal(strlen(a.session), UI_SECRET_HEX);
    assert_false(ui_auth_spend_token(&a, token)); /* the URL is worth nothing now */
    assert_false(ui_auth_spend_token(&a, ""));     /* nor is the cleared token */
}

static void test_secrets_differ(void **state)
{
    (void)state;
    ui_auth_t a, b;
    assert_int_equal(ui_auth_init(&a, 1), TD_OK);
    assert_int_equal(ui_auth_init(&b, 1), TD_OK);
    assert_string_not_equal(a.token, b.token);
    assert_string_not_equal(a.token, a.csrf);
    assert_string_not_equal(a.csrf, b.csrf);
}

static void test_cookie(void **state)
{
    (void)state;
    ui_auth_t a;
    assert_int_equal(ui_auth_init(&a, 8421), TD_OK);
    assert_false(ui_auth_cookie_ok(&a, "thidua_session=")); /* before any session */
    char token[UI_SECRET_HEX + 1];
    memcpy(token, a.token, sizeof(token));
    assert_true(ui_auth_spend_token(&a, token));

    char set[256], hdr[512];
    ui_auth_set_cookie(&a, set, sizeof(set));
    assert_non_null(strstr(set, "HttpOnly"));
    assert_non_null(strstr(set, "SameSite=Strict"));
    assert_non_null(strstr(set, "Path=/"));

    snprintf(hdr, sizeof(hdr), "thidua_session=%s", a.session);
    assert_true(ui_auth_cookie_ok(&a, hdr));
    snprintf(hdr, sizeof(hdr), "lang=vi; thidua_session=%s; theme=dark", a.session);
    assert_true(ui_auth_cookie_ok(&a, hdr));
    snprintf(hdr, sizeof(hdr), "xthidua_session=%s", a.session); /* another cookie's name */
    assert_false(ui_auth_cookie_ok(&a, hdr));
    snprintf(hdr, sizeof(hdr), "thidua_session=%sx", a.session);
    assert_false(ui_auth_cookie_ok(&a, hdr));
    snprintf(hdr, sizeof(hdr), "thidua_session=%s", a.csrf); /* the CSRF token is not a session */
    assert_false(ui_auth_cookie_ok(&a, hdr));
    assert_false(ui_auth_cookie_ok(&a, NULL));
    assert_false(ui_auth_cookie_ok(&a, ""));
    assert_false(ui_auth_cookie_ok(&a, ";;; ;"));
}

static void test_csrf(void **state)
{
    (void)state;
    ui_auth_t a;
    assert_int_equal(ui_auth_init(&a, 8421), TD_OK);
    char csrf[UI_SECRET_HEX + 1];
    memcpy(csrf, a.csrf, sizeof(csrf));
    assert_true(ui_auth_csrf_ok(&a, csrf));
    assert_true(ui_auth_csrf_ok(&a, csrf)); /* one per run: every form carries the same */
    csrf[0] = csrf[0] == '0' ? '1' : '0';
    assert_false(ui_auth_csrf_ok(&a, csrf));
    assert_false(ui_auth_csrf_ok(&a, ""));
    assert_false(ui_auth_csrf_ok(&a, NULL));
}

static void test_host(void **state)
{
    (void)state;
    ui_auth_t a;
    assert_int_equal(ui_auth_init(&a, 8421), TD_OK);
    assert_true(ui_auth_host_ok(&a, "127.0.0.1:8421"));
    assert_true(ui_auth_host_ok(&a, "localhost:8421"));
    assert_true(ui_auth_host_ok(&a, "LocalHost:8421"));
    assert_true(ui_auth_host_ok(&a, "[::1]:8421"));
    /* DNS rebinding: a hostile name that resolves to loopback. */
    assert_false(ui_auth_host_ok(&a, "evil.example:8421"));
    assert_false(ui_auth_host_ok(&a, "localhost.evil.example:8421"));
    assert_false(ui_auth_host_ok(&a, "127.0.0.1:8422"));
    assert_false(ui_auth_host_ok(&a, "127.0.0.1"));
    assert_false(ui_auth_host_ok(&a, "127.0.0.1:84210"));
    assert_false(ui_auth_host_ok(&a, ""));
    assert_false(ui_auth_host_ok(&a, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_spent_once), cmocka_unit_test(test_secrets_differ),
        cmocka_unit_test(test_cookie),           cmocka_unit_test(test_csrf),
        cmocka_unit_test(test_host),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_console.c - the office's console (`thidua ui`) in a real browser:
 * headless Chromium driven by python3-selenium (console_district.py),
 * against the real thidua, thiduad and PostgreSQL.
 *
 * This program makes the world (the PKI, the province's database, thiduad,
 * a district office that ran `thidua init`), starts `thidua ui` on a free
 * loopback port, reads the URL it prints, and hands the rest to the browser
 * script, which also plays the province through the province's CLI. What
 * the browser did is checked again here, from the province's database.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static struct {
    harness_pki_t pki;
    char db[HARNESS_CONNINFO_MAX];
    harness_server_t srv;
    char province[HARNESS_PATH_MAX];
    char office[HARNESS_PATH_MAX];
    char office935[HARNESS_PATH_MAX];
} fx;

static int group_setup(void **state)
{
    (void)state;
    harness_pki_make(&fx.pki);
    harness_db_create(fx.db, sizeof(fx.db));
    harness_server_start(&fx.srv, &fx.pki, fx.db, NULL);
    char dir[HARNESS_PATH_MAX];
    harness_tmp_mkdir(dir, sizeof(dir), "p93");
    harness_client_config(dir, "93", "province", &fx.pki, fx.srv.port, fx.province,
                          sizeof(fx.province));
    harness_office_init(fx.office, sizeof(fx.office), &fx.pki, fx.srv.port, "934");
    harness_office_init(fx.office935, sizeof(fx.office935), &fx.pki, fx.srv.port, "935");
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (fx.srv.pid > 0)
        harness_server_stop(&fx.srv, SIGTERM);
    harness_db_drop(fx.db);
    harness_cleanup();
    return 0;
}

/* `thidua ui --listen listen` as a child; its URL read from the first line that is one. */
static pid_t console_start_listen(const char *config, const char *listen, char *url, size_t size)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = harness_fork();
    if (pid == 0) {
        dup2(p[1], STDOUT_FILENO);
        close(p[0]);
        close(p[1]);
        execl(harness_thidua_path(), "thidua", "-c", config, "ui", "--no-browser", "--listen",
              listen, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    FILE *f = fdopen(p[0], "r");
    assert_non_null(f);
    char line[1024];
    url[0] = '\0';
    while (url[0] == '\0' && fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "http://", 7) == 0 || strncmp(line, "https://", 8) == 0) {
            line[strcspn(line, "\r\n")] = '\0';
            snprintf(url, size, "%s", line);
        }
    }
    /* The rest of what it prints is not read: a pipe nobody reads would block it. */
    if (fork() == 0) {
        while (fgets(line, sizeof(line), f) != NULL)
            fputs(line, stderr);
        _exit(0);
    }
    fclose(f);
    if (url[0] == '\0')
        fail_msg("thidua ui printed no URL");
    return pid;
}

static pid_t console_start(const char *config, char *url, size_t size)
{
    return console_start_listen(config, "127.0.0.1:0", url, size);
}

/*
 * Run the browser script name (in tests/integration) with the console's URL,
 * the thidua binary, the arguments given (NULL-terminated) and a folder for
 * its screenshots (THIDUA_SCREENSHOTS_DIR keeps them: docs/screenshots is
 * made so) and one for the files it downloads; fails the test when
 * the script does, its messages printed.
 */
static void browser_run(const char *name, const char *url, const char *const *args)
{
    char shots[HARNESS_PATH_MAX], work[HARNESS_PATH_MAX], script[HARNESS_PATH_MAX];
    harness_tmp_mkdir(shots, sizeof(shots), "%s-screens", name);
    harness_tmp_mkdir(work, sizeof(work), "%s-files", name);
    const char *out_dir = getenv("THIDUA_SCREENSHOTS_DIR");
    snprintf(script, sizeof(script), "%s/tests/integration/%s.py", getenv("THIDUA_TEST_SRCDIR"),
             name);
    const char *argv[24] = {"/usr/bin/python3", script, "--url", url, "--thidua",
                            harness_thidua_path()};
    size_t n = 6;
    for (size_t i = 0; args[i] != NULL && n < 18; i++)
        argv[n++] = args[i];
    argv[n++] = "--work"; /* the files it writes and reads back */
    argv[n++] = work;
    argv[n++] = "--shots";
    argv[n++] = out_dir != NULL && out_dir[0] ? out_dir : shots;
    argv[n] = NULL;
    harness_output_t o;
    int rc = harness_run(argv, NULL, &o);
    fprintf(stderr, "%s", o.err);
    harness_output_free(&o);
    if (rc != 0)
        fail_msg("the browser's script %s failed (exit %d): its messages are above", name, rc);
}

static void test_district_console(void **state)
{
    (void)state;
    char url[1024];
    pid_t ui = console_start(fx.office, url, sizeof(url));
    char pid[32];
    snprintf(pid, sizeof(pid), "%d", (int)fx.srv.pid);
    browser_run("console_district", url,
                (const char *[]){"--office", fx.office, "--province", fx.province, "--server-pid",
                                 pid, NULL});

    /* What the officer did in the browser is at the province, once each. */
    assert_int_equal(harness_db_int(fx.db, "SELECT count(*) FROM thidua.record"), 20);
    assert_int_equal(harness_db_int(fx.db, "SELECT count(*) FROM thidua.record r JOIN "
                                           "thidua.org_unit u ON u.id = r.org_unit_id "
                                           "WHERE u.code = '934'"),
                     20);
    /* Ctrl+C (here SIGTERM) closes the console cleanly. */
    int st = harness_child_stop(ui, SIGTERM, 10000);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* The province's console: review, return, approve, award, report (console_province.py). */
static void test_province_console(void **state)
{
    (void)state;
    char url[1024];
    pid_t ui = console_start(fx.province, url, sizeof(url));
    browser_run("console_province", url, (const char *[]){"--office", fx.office935, NULL});

    /* The three awards are in the province's database, under one decision. */
    assert_int_equal(harness_db_int(fx.db, "SELECT count(*) FROM thidua.record r JOIN "
                                           "thidua.org_unit u ON u.id = r.org_unit_id "
                                           "WHERE u.code = '935' AND r.status = 'awarded'"),
                     3);
    int st = harness_child_stop(ui, SIGTERM, 10000);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* Append text to the file at path. */
static void append_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* curl's HTTP status for url with the extra arguments (NULL-terminated); "000" when none came. */
static void curl_status(char out[8], const char *url, const char *const *extra)
{
    const char *argv[16] = {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert",
                            fx.pki.ca};
    size_t n = 8;
    for (size_t i = 0; extra[i] != NULL && n < 14; i++)
        argv[n++] = extra[i];
    argv[n++] = url;
    argv[n] = NULL;
    harness_output_t o;
    (void)harness_run(argv, NULL, &o);
    snprintf(out, 8, "%s", o.out);
    harness_output_free(&o);
}

/*
 * The console on the network: refused unless configured, and then over TLS
 * only (curl checks it with the province's CA), with the configured name as
 * the only other Host admitted and a Secure cookie.
 */
static void test_console_network(void **state)
{
    (void)state;
    harness_output_t o;
    const char *listen[] = {harness_thidua_path(), "-c", fx.office935, "ui", "--no-browser",
                            "--listen", "0.0.0.0:0", NULL};
    assert_int_not_equal(harness_run(listen, NULL, &o), 0);
    harness_assert_contains(o.err, "[console] network = yes");
    harness_output_free(&o);

    append_file(fx.office935, "\n[console]\nnetwork = yes\nname = localhost\n");
    assert_int_not_equal(harness_run(listen, NULL, &o), 0);
    harness_assert_contains(o.err, "over TLS only");
    harness_output_free(&o);

    char tls[2 * HARNESS_PATH_MAX + 64];
    snprintf(tls, sizeof(tls), "tls_cert = %s\ntls_key = %s\n", fx.pki.server.cert,
             fx.pki.server.key);
    append_file(fx.office935, tls);
    char url[1024];
    pid_t ui = console_start_listen(fx.office935, "0.0.0.0:0", url, sizeof(url));
    assert_true(strncmp(url, "https://localhost:", 18) == 0);
    char base[256], status[8];
    snprintf(base, sizeof(base), "%.*s", (int)(strchr(url + 8, '/') - url), url);
    char records[300], plain[300];
    snprintf(records, sizeof(records), "%s/records", base);
    /* Over TLS, the door answers: no session yet. */
    curl_status(status, records, (const char *[]){NULL});
    assert_string_equal(status, "403");
    /* A foreign Host is refused even on the network. */
    char evil[300];
    snprintf(evil, sizeof(evil), "Host: evil.example:%s", strrchr(base, ':') + 1);
    curl_status(status, records, (const char *[]){"-H", evil, NULL});
    assert_string_equal(status, "421");
    /* Plain HTTP gets no page. */
    snprintf(plain, sizeof(plain), "http://%s/records", base + 8);
    curl_status(status, plain, (const char *[]){NULL});
    assert_string_not_equal(status, "403");
    assert_string_not_equal(status, "200");
    /* The token is spent into a Secure cookie. */
    const char *get[] = {"curl", "-s", "-D", "-", "-o", "/dev/null", "--cacert", fx.pki.ca, url,
                         NULL};
    assert_int_equal(harness_run(get, NULL, &o), 0);
    harness_assert_contains(o.out, "HttpOnly; SameSite=Strict; Secure");
    harness_output_free(&o);
    int st = harness_child_stop(ui, SIGTERM, 10000);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_district_console),
        cmocka_unit_test(test_province_console),
        cmocka_unit_test(test_console_network),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

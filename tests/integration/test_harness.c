/*
 * test_harness.c - the integration harness checked against real things: a
 * database in the fixture cluster, a PKI from scripts/pki, commands with
 * large output, stand-in servers (shell scripts that behave like thiduad at
 * the edges the harness sees: the config argument, the event=listening line,
 * signals), and the raw TLS client against a tiny TLS echo server forked
 * here (blocking OpenSSL, TLS 1.3, client certificates and the CRL required).
 *
 * The harness's failure paths (a server that exits before listening, one that
 * never listens) fail a cmocka test by design, so they run in a child copy of
 * this program ("expect-failures") whose output is checked here; another copy
 * ("orphan") starts a server and dies without cleaning up, to show that
 * PR_SET_PDEATHSIG takes the server with it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "harness.h"

static harness_pki_t pki;     /* the province's PKI */
static harness_pki_t foreign; /* another CA: its certificates mean nothing to pki's */
static pid_t echo_pid;
static int echo_port;
static harness_conn_t conn; /* the TLS tests' connection; closed after each test */

/* ------------------------------------------------------------------------- */
/* Helpers */

/* An executable shell script in the temporary directory. */
static void write_script(char *path, size_t size, const char *name, const char *body)
{
    harness_tmp_path(path, size, "%s", name);
    char text[4096];
    snprintf(text, sizeof(text), "#!/bin/sh\n%s", body);
    harness_write_file(path, text);
    assert_int_equal(chmod(path, 0755), 0);
}

static X509 *load_cert(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(x);
    return x;
}

/* The text of one subject field, e.g. NID_commonName. */
static void subject_field(X509 *x, int nid, char *out, int size)
{
    assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x), nid, out, size) > 0);
}

/* X509_verify_cert of path against ca (and crl, if not NULL); returns the verify error. */
static int verify(const char *path, const char *ca, const char *crl)
{
    X509 *x = load_cert(path);
    X509_STORE *store = X509_STORE_new();
    assert_non_null(store);
    assert_int_equal(X509_STORE_load_file(store, ca), 1);
    if (crl != NULL) {
        FILE *f = fopen(crl, "r");
        assert_non_null(f);
        X509_CRL *c = PEM_read_X509_CRL(f, NULL, NULL, NULL);
        fclose(f);
        assert_non_null(c);
        assert_int_equal(X509_STORE_add_crl(store, c), 1);
        X509_CRL_free(c);
        X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
    }
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    assert_non_null(ctx);
    assert_int_equal(X509_STORE_CTX_init(ctx, store, x, NULL), 1);
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
    int ok = X509_verify_cert(ctx);
    int err = X509_STORE_CTX_get_error(ctx);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    X509_free(x);
    return ok == 1 ? X509_V_OK : err;
}

/* Whether process pid has gone (or is a zombie nobody reaps). */
static bool process_gone(pid_t pid)
{
    char path[64], stat[256];
    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return true;
    bool zombie = false;
    if (fgets(stat, sizeof(stat), f) != NULL) {
        const char *paren = strrchr(stat, ')');
        zombie = paren != NULL && paren[1] == ' ' && paren[2] == 'Z';
    }
    fclose(f);
    return zombie;
}

/* A loopback port nothing listens on (bound, then closed). */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(sa);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

/* ------------------------------------------------------------------------- */
/* The TLS echo server (a forked child; never returns) */

/*
 * Echoes every chunk it reads, one connection at a time, except two commands
 * that arrive as a chunk of their own: "!close" (close_notify, then close) and
 * "!abort" (close without close_notify).
 */
static void echo_serve(int lfd)
{
    signal(SIGPIPE, SIG_IGN);
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
        SSL_CTX_use_certificate_chain_file(ctx, pki.server.cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, pki.server.key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_load_verify_file(ctx, pki.ca) != 1)
        _exit(2);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    SSL_CTX_set_num_tickets(ctx, 0);
    FILE *f = fopen(pki.crl, "r");
    X509_CRL *crl = f != NULL ? PEM_read_X509_CRL(f, NULL, NULL, NULL) : NULL;
    if (f != NULL)
        fclose(f);
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    if (crl == NULL || X509_STORE_add_crl(store, crl) != 1)
        _exit(3);
    X509_CRL_free(crl);
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);

    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            continue;
        SSL *ssl = SSL_new(ctx);
        if (ssl == NULL || SSL_set_fd(ssl, fd) != 1) {
            SSL_free(ssl);
            close(fd);
            continue;
        }
        bool notify = true;
        if (SSL_accept(ssl) == 1) {
            char buf[65536];
            size_t n;
            while (SSL_read_ex(ssl, buf, sizeof(buf), &n) == 1) {
                if (n == 6 && memcmp(buf, "!close", 6) == 0)
                    break;
                if (n == 6 && memcmp(buf, "!abort", 6) == 0) {
                    notify = false;
                    break;
                }
                size_t w;
                if (SSL_write_ex(ssl, buf, n, &w) != 1)
                    break;
            }
            if (notify)
                SSL_shutdown(ssl);
        }
        SSL_free(ssl);
        close(fd);
        ERR_clear_error();
    }
}

static void echo_start(void)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(lfd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(sa);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(lfd, 16), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
    echo_port = ntohs(sa.sin_port);
    echo_pid = harness_fork();
    if (echo_pid == 0) {
        echo_serve(lfd);
        _exit(0);
    }
    close(lfd);
}

/* ------------------------------------------------------------------------- */
/* Fixtures */

static int group_setup(void **state)
{
    (void)state;
    harness_pki_make(&pki);
    harness_pki_issue(&pki, "expired", "935", "district", "--expired", NULL);
    harness_pki_issue(&pki, "revoked", "936", "district", NULL);
    harness_pki_revoke(&pki, "revoked");
    harness_pki_make(&foreign);
    echo_start();
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    harness_conn_close(&conn);
    harness_child_stop(echo_pid, SIGKILL, 1000);
    harness_cleanup();
    return 0;
}

static int conn_teardown(void **state)
{
    (void)state;
    harness_conn_close(&conn);
    return 0;
}

/* ------------------------------------------------------------------------- */
/* Temporary files */

static void test_tmpdir(void **state)
{
    (void)state;
    const char *dir = harness_tmpdir();
    const char *base = getenv("THIDUA_TEST_TMPDIR");
    assert_non_null(base);
    assert_memory_equal(dir, base, strlen(base));
    harness_assert_contains(dir, "/test_harness-");
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_uid, getuid());
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_string_equal(harness_tmpdir(), dir);

    char sub[HARNESS_PATH_MAX], file[HARNESS_PATH_MAX];
    harness_tmp_mkdir(sub, sizeof(sub), "a/b/%d", 3);
    assert_int_equal(stat(sub, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    harness_tmp_path(file, sizeof(file), "a/b/3/x.txt");
    harness_write_file(file, "một hai ba\n");
    char *text = harness_read_file(file);
    assert_string_equal(text, "một hai ba\n");
    free(text);
}

/* ------------------------------------------------------------------------- */
/* Database */

static void test_db(void **state)
{
    (void)state;
    char a[HARNESS_CONNINFO_MAX], b[HARNESS_CONNINFO_MAX], name_a[64], name_b[64];
    harness_db_create(a, sizeof(a));
    harness_db_create(b, sizeof(b));
    harness_assert_contains(a, "dbname=t_test_harness_");
    harness_db_text(a, name_a, sizeof(name_a), "SELECT current_database()");
    harness_db_text(b, name_b, sizeof(name_b), "SELECT current_database()");
    assert_string_not_equal(name_a, name_b);
    harness_assert_contains(a, name_a);

    /* A fresh database is empty of our tables, and queries see what exec wrote. */
    assert_int_equal(
        harness_db_int(a, "SELECT count(*) FROM pg_tables WHERE schemaname = '%s'", "public"), 0);
    harness_db_exec(a, "CREATE TABLE t (n int, s text); INSERT INTO t VALUES (1, 'Vị Thanh'), "
                       "(2, NULL), (40, 'Ngã Bảy')");
    assert_int_equal(harness_db_int(a, "SELECT count(*) FROM t"), 3);
    assert_int_equal(harness_db_int(a, "SELECT sum(n) FROM t WHERE n > %d", 1), 42);
    char s[64];
    harness_db_text(a, s, sizeof(s), "SELECT s FROM t WHERE n = 40");
    assert_string_equal(s, "Ngã Bảy");
    harness_db_text(a, s, sizeof(s), "SELECT s FROM t WHERE n = 2");
    assert_string_equal(s, "");
    assert_int_equal(harness_db_int(b, "SELECT count(*) FROM pg_tables WHERE tablename = 't'"), 0);

    /* Dropping works with a connection still open, and twice. */
    harness_db_drop(a);
    assert_int_equal(
        harness_db_int(b, "SELECT count(*) FROM pg_database WHERE datname = '%s'", name_a), 0);
    harness_db_drop(a);
    harness_db_drop("");
    harness_db_drop(b);
}

/* ------------------------------------------------------------------------- */
/* PKI */

static void test_pki(void **state)
{
    (void)state;
    static const char *const names[] = {"93-province",  "930-district", "931-district",
                                        "932-district", "933-district", "934-district",
                                        "935-district", "936-district", "937-district"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const harness_cert_t *c = harness_pki_cert(&pki, names[i]);
        assert_string_equal(c->name, names[i]);
        assert_int_equal(verify(c->cert, pki.ca, pki.crl), X509_V_OK);
        X509 *x = load_cert(c->cert);
        char cn[64], ou[64], want[160];
        subject_field(x, NID_commonName, cn, sizeof(cn));
        subject_field(x, NID_organizationalUnitName, ou, sizeof(ou));
        snprintf(want, sizeof(want), "%s-%s", cn, ou);
        assert_string_equal(want, names[i]);
        X509_free(x);
        /* The key is ours alone, and readable by us (the server runs as this user). */
        struct stat st;
        assert_int_equal(stat(c->key, &st), 0);
        assert_int_equal(st.st_mode & 0077, 0);
        assert_int_equal(access(c->key, R_OK), 0);
    }

    X509 *srv = load_cert(pki.server.cert);
    assert_int_equal(X509_check_host(srv, "localhost", 0, 0, NULL), 1);
    assert_int_equal(X509_check_ip_asc(srv, "127.0.0.1", 0), 1);
    X509_free(srv);

    assert_int_equal(verify(harness_pki_cert(&pki, "expired")->cert, pki.ca, NULL),
                     X509_V_ERR_CERT_HAS_EXPIRED);
    assert_int_equal(verify(harness_pki_cert(&pki, "revoked")->cert, pki.ca, NULL), X509_V_OK);
    assert_int_equal(verify(harness_pki_cert(&pki, "revoked")->cert, pki.ca, pki.crl),
                     X509_V_ERR_CERT_REVOKED);
    assert_int_not_equal(verify(harness_pki_cert(&foreign, "934-district")->cert, pki.ca, NULL),
                         X509_V_OK);
    assert_string_not_equal(foreign.dir, pki.dir);
}

/* ------------------------------------------------------------------------- */
/* Running commands */

static void test_run_capture(void **state)
{
    (void)state;
    harness_output_t out;
    const char *const argv[] = {"sh", "-c", "printf 'ra\\n'; printf 'lỗi\\n' >&2; exit 3", NULL};
    assert_int_equal(harness_run(argv, NULL, &out), 3);
    assert_true(WIFEXITED(out.status));
    assert_string_equal(out.out, "ra\n");
    assert_int_equal(out.out_len, 3);
    assert_string_equal(out.err, "lỗi\n");
    harness_output_free(&out);
    harness_output_free(&out);

    /* The command runs in the temporary directory. */
    const char *const pwd[] = {"pwd", NULL};
    assert_int_equal(harness_run(pwd, NULL, &out), 0);
    char real[PATH_MAX];
    assert_non_null(realpath(harness_tmpdir(), real));
    strcat(real, "\n");
    assert_string_equal(out.out, real);
    harness_output_free(&out);
}

/* Megabytes on stderr before anything on stdout: reading one pipe to its end first would hang. */
static void test_run_large_output(void **state)
{
    (void)state;
    const char *const argv[] = {"sh", "-c",
                                "head -c 3000000 /dev/zero | tr '\\0' e >&2; "
                                "head -c 5000000 /dev/zero | tr '\\0' o",
                                NULL};
    harness_output_t out;
    assert_int_equal(harness_run(argv, NULL, &out), 0);
    assert_int_equal(out.err_len, 3000000);
    assert_int_equal(out.out_len, 5000000);
    assert_int_equal(strspn(out.err, "e"), 3000000);
    assert_int_equal(strspn(out.out, "o"), 5000000);
    harness_output_free(&out);
}

static void test_run_stdin(void **state)
{
    (void)state;
    size_t len = 3 * 1024 * 1024;
    char *text = malloc(len + 1);
    assert_non_null(text);
    for (size_t i = 0; i < len; i++)
        text[i] = (char)('a' + i % 26);
    text[len] = '\0';
    const char *const cat[] = {"cat", NULL};
    harness_output_t out;
    assert_int_equal(harness_run(cat, text, &out), 0);
    assert_int_equal(out.out_len, len);
    assert_string_equal(out.out, text);
    harness_output_free(&out);

    /* No stdin text: EOF at once. A command that ignores its input still finishes. */
    assert_int_equal(harness_run(cat, NULL, &out), 0);
    assert_int_equal(out.out_len, 0);
    harness_output_free(&out);
    const char *const ignore[] = {"true", NULL};
    assert_int_equal(harness_run(ignore, text, &out), 0);
    harness_output_free(&out);
    free(text);
}

static void test_run_failures(void **state)
{
    (void)state;
    harness_output_t out;
    const char *const missing[] = {"/nonexistent/thidua", "--help", NULL};
    assert_int_equal(harness_run(missing, NULL, &out), 127);
    harness_assert_contains(out.err, "cannot execute /nonexistent/thidua");
    harness_output_free(&out);

    const char *const killed[] = {"sh", "-c", "kill -TERM $$", NULL};
    assert_int_equal(harness_run(killed, NULL, &out), 128 + SIGTERM);
    assert_true(WIFSIGNALED(out.status));
    char why[128];
    harness_assert_contains(harness_status_str(out.status, why, sizeof(why)), "signal 15");
    harness_output_free(&out);
}

static void test_client_config(void **state)
{
    (void)state;
    char dir[HARNESS_PATH_MAX], path[HARNESS_PATH_MAX], want[4 * HARNESS_PATH_MAX];
    harness_tmp_path(dir, sizeof(dir), "office-934");
    harness_client_config(dir, "934", "district", &pki, 4433, path, sizeof(path));
    snprintf(want, sizeof(want), "%s/934-district.ini", dir);
    assert_string_equal(path, want);
    char *text = harness_read_file(path);
    harness_assert_contains(text, "[server]\naddress = 127.0.0.1:4433\n");
    snprintf(want, sizeof(want), "ca = %s\ncert = %s\nkey = %s\n", pki.ca,
             harness_pki_cert(&pki, "934-district")->cert,
             harness_pki_cert(&pki, "934-district")->key);
    harness_assert_contains(text, want);
    snprintf(want, sizeof(want), "[store]\npath = %s/934.db\n", dir);
    harness_assert_contains(text, want);
    free(text);
}

/* ------------------------------------------------------------------------- */
/* Servers (stand-ins) */

/* Shows its arguments and configuration, listens on "port" 4321, stops cleanly on SIGTERM. */
static const char standin_ok[] =
    "[ \"$1\" = --config ] || { echo \"usage: $0 --config FILE\" >&2; exit 2; }\n"
    "echo \"args: $*\"\n"
    "cat \"$2\"\n"
    "trap 'echo \"level=info event=stopped\" >&2; exit 0' TERM\n"
    "echo 'ts=2024-07-01T00:00:00Z level=info event=db_connected port=5432' >&2\n"
    "echo 'ts=2024-07-01T00:00:00Z level=info event=listening addr=127.0.0.1 port=4321' >&2\n"
    "while :; do sleep 0.05; done\n";

static void test_server_standin(void **state)
{
    (void)state;
    char program[HARNESS_PATH_MAX];
    write_script(program, sizeof(program), "standin-ok", standin_ok);
    static const char *const args[] = {"--check-only", NULL};
    harness_server_opts_t opts = {
        .program = program,
        .args = args,
        .handshake_timeout = "1s",
        .crl = "",
        .extra = "[server]\nshutdown_timeout = 2s",
    };
    harness_server_t srv = {0};
    assert_int_equal(harness_server_stop(&srv, SIGTERM), -1); /* never started: nothing to do */
    harness_server_start(&srv, &pki, "host=/nowhere dbname=thidua", &opts);
    assert_int_equal(srv.port, 4321);
    assert_true(srv.pid > 0);

    char *config = harness_read_file(srv.config);
    harness_assert_contains(config, "[server]\nlisten = 127.0.0.1:0\nhandshake_timeout = 1s\n"
                                    "idle_timeout = 300s\nmax_frame = 4194304\nmax_batch = 500\n");
    char want[4 * HARNESS_PATH_MAX];
    snprintf(want, sizeof(want), "[tls]\ncert = %s\nkey = %s\nca = %s\n\n", pki.server.cert,
             pki.server.key, pki.ca);
    harness_assert_contains(config, want);
    assert_null(strstr(config, "crl ="));
    harness_assert_contains(config, "[database]\nconninfo = host=/nowhere dbname=thidua\n"
                                    "pool_size = 4\n");
    harness_assert_contains(config, "[log]\nlevel = info\n[server]\nshutdown_timeout = 2s\n");
    free(config);

    assert_true(harness_server_log_contains(&srv, "args: --config"));
    assert_true(harness_server_log_contains(&srv, "--check-only"));
    assert_true(harness_server_log_contains(&srv, "handshake_timeout = 1s"));
    assert_false(harness_server_log_contains(&srv, "event=stopped"));
    assert_false(harness_server_wait_log(&srv, "event=stopped", 100));

    int status = harness_server_stop(&srv, SIGTERM);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(srv.pid, 0);
    assert_true(harness_server_wait_log(&srv, "event=stopped", 1000));
    assert_int_equal(harness_server_stop(&srv, SIGTERM), status); /* twice: same answer */

    /* Restarting gives a new directory; the old log stays for reading. */
    char old_log[HARNESS_PATH_MAX];
    snprintf(old_log, sizeof(old_log), "%s", srv.log);
    opts.crl = NULL;
    harness_server_start(&srv, &pki, "dbname=x", &opts);
    assert_string_not_equal(srv.log, old_log);
    config = harness_read_file(srv.config);
    snprintf(want, sizeof(want), "crl = %s\n", pki.crl);
    harness_assert_contains(config, want);
    free(config);
    status = harness_server_kill(&srv);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
}

static void test_server_stop_escalates(void **state)
{
    (void)state;
    char program[HARNESS_PATH_MAX];
    write_script(program, sizeof(program), "standin-stubborn",
                 "trap '' TERM\n"
                 "echo 'level=info event=listening port=4000' >&2\n"
                 "while :; do sleep 0.05; done\n");
    harness_server_opts_t opts = {.program = program, .stop_timeout_ms = 300};
    harness_server_t srv = {0};
    harness_server_start(&srv, &pki, "dbname=x", &opts);
    assert_int_equal(srv.port, 4000);
    int status = harness_server_stop(&srv, 0);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
}

/* The harness's own failures, seen from outside: see run_expect_failures. */
static void test_server_start_failures(void **state)
{
    (void)state;
    const char *const argv[] = {"/proc/self/exe", "expect-failures", NULL};
    harness_output_t out;
    assert_int_not_equal(harness_run(argv, NULL, &out), 0);
    /* cmocka prints to both streams; the messages matter, not which stream. */
    size_t len = out.out_len + out.err_len;
    char *all = malloc(len + 1);
    assert_non_null(all);
    memcpy(all, out.out, out.out_len);
    memcpy(all + out.out_len, out.err, out.err_len + 1);
    harness_output_free(&out);

    harness_assert_contains(all, "exited with code 1 before it was listening");
    harness_assert_contains(all, "event=config_error msg=\"cannot read key\"");
    harness_assert_contains(all, "did not log event=listening within 300 ms");
    harness_assert_contains(all, "still starting up");
    harness_assert_contains(all, "logged event=listening without a port=N field");
    harness_assert_contains(all, "no certificate named \"999-district\"");
    harness_assert_contains(all, "4 test(s), listed below");
    free(all);
}

static void test_server_dies_with_test(void **state)
{
    (void)state;
    /* The child's temporary directory goes inside ours, so nothing is left behind. */
    char sub[HARNESS_PATH_MAX];
    harness_tmp_mkdir(sub, sizeof(sub), "orphan");
    char *saved = strdup(getenv("THIDUA_TEST_TMPDIR"));
    assert_non_null(saved);
    setenv("THIDUA_TEST_TMPDIR", sub, 1);
    const char *const argv[] = {"/proc/self/exe", "orphan", NULL};
    harness_output_t out;
    int code = harness_run(argv, NULL, &out);
    setenv("THIDUA_TEST_TMPDIR", saved, 1);
    free(saved);
    assert_int_equal(code, 0);
    long pid = 0;
    const char *p = strstr(out.out, "pid=");
    assert_non_null(p);
    pid = strtol(p + 4, NULL, 10);
    harness_output_free(&out);
    assert_true(pid > 1);
    for (int i = 0; i < 500 && !process_gone((pid_t)pid); i++)
        usleep(10000);
    assert_true(process_gone((pid_t)pid));
}

/* ------------------------------------------------------------------------- */
/* The raw connection */

static void test_tls_frames(void **state)
{
    (void)state;
    harness_assert_io(
        &conn,
        harness_tls_connect(&conn, echo_port, pki.ca, harness_pki_cert(&pki, "934-district")),
        HARNESS_IO_OK);

    Thidua__V1__Ping ping = THIDUA__V1__PING__INIT;
    ping.nonce = 42;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.request_id = 7;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_PING;
    env.ping = &ping;
    harness_assert_io(&conn, harness_conn_send_envelope(&conn, &env), HARNESS_IO_OK);
    Thidua__V1__Envelope *got = NULL;
    harness_assert_io(&conn, harness_conn_recv_envelope(&conn, 5000, &got), HARNESS_IO_OK);
    assert_int_equal(got->request_id, 7);
    assert_int_equal(got->body_case, THIDUA__V1__ENVELOPE__BODY_PING);
    assert_int_equal(got->ping->nonce, 42);
    thidua__v1__envelope__free_unpacked(got, NULL);

    /* A frame much larger than a TLS record (and than one read). */
    size_t big = 1000000;
    char *version = malloc(big + 1);
    assert_non_null(version);
    memset(version, 'v', big);
    version[big] = '\0';
    Thidua__V1__Hello hello = THIDUA__V1__HELLO__INIT;
    hello.protocol_version = 1;
    hello.client_version = version;
    env.request_id = 8;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_HELLO;
    env.hello = &hello;
    harness_assert_io(&conn, harness_conn_send_envelope(&conn, &env), HARNESS_IO_OK);
    harness_assert_io(&conn, harness_conn_recv_envelope(&conn, 5000, &got), HARNESS_IO_OK);
    assert_int_equal(got->body_case, THIDUA__V1__ENVELOPE__BODY_HELLO);
    assert_string_equal(got->hello->client_version, version);
    thidua__v1__envelope__free_unpacked(got, NULL);
    free(version);

    /* Bad frames are errors that say why. */
    harness_assert_io(&conn, harness_conn_send(&conn, "\0\0\0\0", 4), HARNESS_IO_OK);
    harness_assert_io(&conn, harness_conn_recv_envelope(&conn, 5000, &got), HARNESS_IO_ERROR);
    assert_null(got);
    harness_assert_contains(conn.error, "length 0");
    harness_assert_io(&conn, harness_conn_send(&conn, "\0\0\0\3\377\377\377", 7), HARNESS_IO_OK);
    harness_assert_io(&conn, harness_conn_recv_envelope(&conn, 5000, &got), HARNESS_IO_ERROR);
    harness_assert_contains(conn.error, "not an Envelope");
    harness_assert_io(&conn, harness_conn_send(&conn, "\x7f\0\0\0", 4), HARNESS_IO_OK);
    harness_assert_io(&conn, harness_conn_recv_envelope(&conn, 5000, &got), HARNESS_IO_ERROR);
    harness_assert_contains(conn.error, "more than");

    /* Nothing to read: a timeout, and the connection still works. */
    harness_assert_io(&conn, harness_conn_recv_envelope(&conn, 200, &got), HARNESS_IO_TIMEOUT);
    env.request_id = 9;
    env.body_case = THIDUA__V1__ENVELOPE__BODY__NOT_SET;
    harness_assert_io(&conn, harness_conn_send_envelope(&conn, &env), HARNESS_IO_OK);
    harness_assert_io(&conn, harness_conn_recv_envelope(&conn, 5000, &got), HARNESS_IO_OK);
    assert_int_equal(got->request_id, 9);
    thidua__v1__envelope__free_unpacked(got, NULL);
}

static void test_tls_peer_close(void **state)
{
    (void)state;
    const harness_cert_t *me = harness_pki_cert(&pki, "93-province");

    harness_assert_io(&conn, harness_tls_connect(&conn, echo_port, pki.ca, me), HARNESS_IO_OK);
    harness_assert_io(&conn, harness_conn_send(&conn, "!close", 6), HARNESS_IO_OK);
    harness_assert_io(&conn, harness_conn_wait_closed(&conn, 5000), HARNESS_IO_CLOSED);
    assert_true(conn.close_notify);
    harness_conn_close(&conn);

    harness_assert_io(&conn, harness_tls_connect(&conn, echo_port, pki.ca, me), HARNESS_IO_OK);
    harness_assert_io(&conn, harness_conn_send(&conn, "!abort", 6), HARNESS_IO_OK);
    harness_assert_io(&conn, harness_conn_wait_closed(&conn, 5000), HARNESS_IO_CLOSED);
    assert_false(conn.close_notify);
    harness_conn_close(&conn);

    /* Cut inside a frame: an error, not a clean close. */
    Thidua__V1__Envelope *got = NULL;
    harness_assert_io(&conn, harness_tls_connect(&conn, echo_port, pki.ca, me), HARNESS_IO_OK);
    harness_assert_io(&conn, harness_conn_send(&conn, "\0\0\0\12abcde", 9), HARNESS_IO_OK);
    harness_assert_io(&conn, harness_conn_send(&conn, "!abort", 6), HARNESS_IO_OK);
    harness_assert_io(&conn, harness_conn_recv_envelope(&conn, 5000, &got), HARNESS_IO_ERROR);
    harness_assert_contains(conn.error, "closed after 5 of 10 payload bytes");
    harness_conn_abort(&conn);
    harness_conn_abort(&conn);
}

/* Under TLS 1.3 the client's handshake succeeds; the server's verdict is the first read. */
static void test_tls_refused_client(void **state)
{
    (void)state;
    static const struct {
        const harness_pki_t *pki;
        const char *name; /* NULL: no certificate */
        const char *alert;
    } cases[] = {
        {NULL, NULL, "tlsv13 alert certificate required"},
        {&pki, "revoked", "sslv3 alert certificate revoked"},
        {&pki, "expired", "sslv3 alert certificate expired"},
        {&foreign, "934-district", "tlsv1 alert unknown ca"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const harness_cert_t *cert =
            cases[i].name != NULL ? harness_pki_cert(cases[i].pki, cases[i].name) : NULL;
        harness_assert_io(&conn, harness_tls_connect(&conn, echo_port, pki.ca, cert),
                          HARNESS_IO_OK);
        Thidua__V1__Envelope *got = NULL;
        harness_assert_io(&conn, harness_conn_recv_envelope(&conn, 5000, &got), HARNESS_IO_ERROR);
        harness_assert_contains(conn.error, cases[i].alert);
        /* The connection is dead from here on. */
        harness_assert_io(&conn, harness_conn_send(&conn, "x", 1), HARNESS_IO_ERROR);
        harness_conn_close(&conn);
    }

    /* Same verdict when the test just waits for the end. */
    harness_assert_io(&conn, harness_tls_connect(&conn, echo_port, pki.ca, NULL), HARNESS_IO_OK);
    harness_assert_io(&conn, harness_conn_wait_closed(&conn, 5000), HARNESS_IO_ERROR);
    harness_assert_contains(conn.error, "certificate required");
}

static void test_tls_untrusted_server(void **state)
{
    (void)state;
    harness_io_t r =
        harness_tls_connect(&conn, echo_port, foreign.ca, harness_pki_cert(&pki, "934-district"));
    harness_assert_io(&conn, r, HARNESS_IO_ERROR);
    harness_assert_contains(conn.error, "certificate verify failed");
    harness_assert_contains(conn.error, "(verification: ");
}

static void test_tcp(void **state)
{
    (void)state;
    /* Not a ClientHello: the TLS server hangs up. */
    harness_assert_io(&conn, harness_tcp_connect(&conn, echo_port), HARNESS_IO_OK);
    static const char garbage[] = "GET / HTTP/1.0\r\n\r\n";
    harness_assert_io(&conn, harness_conn_send(&conn, garbage, sizeof(garbage) - 1), HARNESS_IO_OK);
    harness_assert_io(&conn, harness_conn_wait_closed(&conn, 5000), HARNESS_IO_CLOSED);
    harness_conn_close(&conn);

    int port = closed_port();
    harness_assert_io(&conn, harness_tcp_connect(&conn, port), HARNESS_IO_ERROR);
    harness_assert_contains(conn.error, "Connection refused");
    harness_assert_io(&conn, harness_tls_connect(&conn, port, pki.ca, NULL), HARNESS_IO_ERROR);
}

/* ------------------------------------------------------------------------- */
/* Child modes */

static int child_teardown(void **state)
{
    (void)state;
    harness_cleanup();
    return 0;
}

static void start_standin(const char *name, const char *body, int start_timeout_ms)
{
    static harness_pki_t none; /* the stand-ins never read their certificates */
    char program[HARNESS_PATH_MAX];
    write_script(program, sizeof(program), name, body);
    harness_server_opts_t opts = {
        .program = program,
        .cert = "c",
        .key = "k",
        .ca = "ca",
        .crl = "",
        .start_timeout_ms = start_timeout_ms,
    };
    harness_server_t srv = {0};
    harness_server_start(&srv, &none, "dbname=x", &opts);
    harness_server_stop(&srv, SIGKILL); /* not reached when the test works */
}

static void fail_early_exit(void **state)
{
    (void)state;
    start_standin("standin-exits",
                  "echo 'level=info event=starting' >&2\n"
                  "echo 'level=error event=config_error msg=\"cannot read key\"' >&2\n"
                  "exit 1\n",
                  0);
}

static void fail_never_listens(void **state)
{
    (void)state;
    start_standin("standin-slow", "echo 'still starting up' >&2\nexec sleep 30\n", 300);
}

static void fail_no_port(void **state)
{
    (void)state;
    start_standin("standin-noport", "echo 'event=listening addr=x' >&2\nexec sleep 30\n", 0);
}

static void fail_unknown_cert(void **state)
{
    (void)state;
    static harness_pki_t empty;
    (void)harness_pki_cert(&empty, "999-district");
}

/* Every test here must fail, each with the message test_server_start_failures looks for. */
static int run_expect_failures(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fail_early_exit),
        cmocka_unit_test(fail_never_listens),
        cmocka_unit_test(fail_no_port),
        cmocka_unit_test(fail_unknown_cert),
    };
    return cmocka_run_group_tests_name("expected failures", tests, NULL, child_teardown);
}

/* Start a server, say its pid, and die without any cleanup. */
static int run_orphan(void)
{
    char program[HARNESS_PATH_MAX];
    write_script(program, sizeof(program), "standin-orphan",
                 "echo 'event=listening port=1' >&2\nwhile :; do sleep 0.05; done\n");
    static harness_pki_t none;
    harness_server_opts_t opts = {
        .program = program, .cert = "c", .key = "k", .ca = "a", .crl = ""};
    static harness_server_t srv;
    harness_server_start(&srv, &none, "dbname=x", &opts);
    printf("pid=%ld\n", (long)srv.pid);
    fflush(stdout);
    _exit(0);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "expect-failures") == 0)
        return run_expect_failures();
    if (argc > 1 && strcmp(argv[1], "orphan") == 0)
        return run_orphan();

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tmpdir),
        cmocka_unit_test(test_db),
        cmocka_unit_test(test_pki),
        cmocka_unit_test(test_run_capture),
        cmocka_unit_test(test_run_large_output),
        cmocka_unit_test(test_run_stdin),
        cmocka_unit_test(test_run_failures),
        cmocka_unit_test(test_client_config),
        cmocka_unit_test(test_server_standin),
        cmocka_unit_test(test_server_stop_escalates),
        cmocka_unit_test(test_server_start_failures),
        cmocka_unit_test(test_server_dies_with_test),
        cmocka_unit_test_teardown(test_tls_frames, conn_teardown),
        cmocka_unit_test_teardown(test_tls_peer_close, conn_teardown),
        cmocka_unit_test_teardown(test_tls_refused_client, conn_teardown),
        cmocka_unit_test_teardown(test_tls_untrusted_server, conn_teardown),
        cmocka_unit_test_teardown(test_tcp, conn_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

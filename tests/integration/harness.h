/*
 * harness.h - what every integration test stands on: a fresh database in the
 * test cluster, a real PKI made by scripts/pki, thiduad started as a child
 * process, the thidua client run with its output captured, and a raw TLS
 * client that speaks frames without any of the code under test (blocking
 * OpenSSL on a plain socket, no libuv, no proto/frame.c).
 *
 * The environment comes from CTest (tests/integration/CMakeLists.txt):
 *   THIDUA_TEST_PGDIR   the cluster's directory; its `env` file has PGHOST, PGPORT, PGUSER
 *   THIDUA_TEST_BINDIR  where thiduad and thidua are
 *   THIDUA_TEST_SRCDIR  the source tree (scripts/pki)
 *   THIDUA_TEST_TMPDIR  where each test program makes its own temporary directory
 *   THIDUA_KEEP_TMP     if set (to anything but ""), that directory is kept at the end
 *
 * Convention, for every harness_ function:
 * - Anything that is not what a test is about (a database that cannot be
 *   created, scripts/pki failing, thiduad exiting before it listens, a path too
 *   long) FAILS THE RUNNING CMOCKA TEST with a message that says what went wrong
 *   (libpq's error, the command's stderr, the last lines of the server's log).
 *   Such functions return only on success, so a test reads straight down with
 *   no error checks. They may be called from cmocka's setup functions too.
 * - What a test is about is RETURNED for the test to assert: an exit status, a
 *   harness_io_t from the raw connection (with the reason in conn->error), a
 *   log line found or not.
 * - Cleanup functions (harness_db_drop, harness_server_stop/kill,
 *   harness_conn_close, harness_cleanup) never fail the test: they are safe on a
 *   zeroed struct, after a partial setup and when called twice, and report
 *   trouble on stderr. Call them from teardown functions.
 *
 * Every child process (thiduad, thidua, anything from harness_fork) is
 * recorded; harness_cleanup() kills what is left, and so does an atexit
 * handler. Children also get PR_SET_PDEATHSIG(SIGKILL), so a test program that
 * crashes takes its servers with it. The harness ignores SIGPIPE in the test
 * program (writes to a closed peer return an error); children get it back.
 *
 * A typical program:
 *
 *     static harness_pki_t pki;
 *     static char conninfo[HARNESS_CONNINFO_MAX];
 *     static harness_server_t srv;
 *
 *     static int setup(void **state)
 *     {
 *         harness_pki_make(&pki);
 *         harness_db_create(conninfo, sizeof(conninfo));
 *         harness_server_start(&srv, &pki, conninfo, NULL);
 *         return 0;
 *     }
 *     static int teardown(void **state)
 *     {
 *         harness_server_stop(&srv, SIGTERM);
 *         harness_db_drop(conninfo);
 *         harness_cleanup();
 *         return 0;
 *     }
 */
#ifndef THIDUA_HARNESS_H
#define THIDUA_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#include "defs.h"
#include "thidua.pb-c.h"

/* Longest path the harness builds; a longer one fails the test. */
#define HARNESS_PATH_MAX 1024
/* A buffer size that always holds a conninfo from harness_db_create. */
#define HARNESS_CONNINFO_MAX 1536
/* How long a command from harness_run may take before it is killed. */
#define HARNESS_RUN_TIMEOUT_MS 120000
/* Connecting and the TLS handshake; sending a frame. */
#define HARNESS_IO_TIMEOUT_MS 10000

/* ------------------------------------------------------------------------- */
/* Environment, temporary files, cleanup */

/*
 * This program's temporary directory: THIDUA_TEST_TMPDIR/PROGRAM-XXXXXX (or
 * under $TMPDIR, /tmp, when run by hand), made on first use, mode 0700 and
 * owned by the user running the test (the server runs as that user too; the
 * postgres user never reads it).
 */
const char *harness_tmpdir(void);

/* out = the temporary directory + "/" + the formatted name; nothing is created. */
void harness_tmp_path(char *out, size_t size, const char *fmt, ...) THIDUA_PRINTF(3, 4);

/* Like harness_tmp_path, and makes that directory (its parents too). */
void harness_tmp_mkdir(char *out, size_t size, const char *fmt, ...) THIDUA_PRINTF(3, 4);

/* Write text to a file (mode 0644), replacing it. */
void harness_write_file(const char *path, const char *text);

/* The whole file as a NUL-terminated string (the caller frees it). */
char *harness_read_file(const char *path);

/* BINDIR/thiduad and BINDIR/thidua (static strings). */
const char *harness_thiduad_path(void);
const char *harness_thidua_path(void);

/*
 * Kill (SIGKILL) and reap every child still running, then remove the
 * temporary directory unless THIDUA_KEEP_TMP is set (the path is printed
 * then). Call it from the group teardown; safe to call again. A later harness
 * call starts a fresh temporary directory.
 */
void harness_cleanup(void);

/* ------------------------------------------------------------------------- */
/* Assertions with messages a reader can act on */

/* Fails the test unless needle occurs in haystack (NULL counts as not found), printing both. */
#define harness_assert_contains(haystack, needle)                                                  \
    harness_check_contains((haystack), (needle), #haystack, __FILE__, __LINE__)
void harness_check_contains(const char *haystack, const char *needle, const char *expr,
                            const char *file, int line);

/* Fails the test unless e is an Error with code, a message and (when not NULL) field. */
#define harness_assert_error(e, code, field) harness_check_error((e), (code), (field), __FILE__, __LINE__)
void harness_check_error(const Thidua__V1__Envelope *e, Thidua__V1__Error__Code code,
                         const char *field, const char *file, int line);

/* ------------------------------------------------------------------------- */
/* Database (blocking libpq, one short connection per call) */

/*
 * Create a database with a unique name in the test cluster and write its
 * conninfo ("host=... port=... user=... dbname=...") into out
 * (HARNESS_CONNINFO_MAX always fits). The database is empty: thiduad applies
 * the migrations when it starts.
 */
void harness_db_create(char *conninfo_out, size_t size);

/*
 * Drop the database the conninfo names, terminating its connections. Only
 * databases harness_db_create made (named t_...); "" does nothing.
 */
void harness_db_drop(const char *conninfo);

/*
 * Run SQL (printf-style; the arguments are the test's own values, not
 * escaped). exec accepts several statements and any result; int and text want
 * exactly one row of one column: int fails the test on NULL or a non-integer,
 * text gives "" for NULL and fails if the value does not fit.
 */
void harness_db_exec(const char *conninfo, const char *fmt, ...) THIDUA_PRINTF(2, 3);
long long harness_db_int(const char *conninfo, const char *fmt, ...) THIDUA_PRINTF(2, 3);
void harness_db_text(const char *conninfo, char *out, size_t size, const char *fmt, ...)
    THIDUA_PRINTF(4, 5);

/* ------------------------------------------------------------------------- */
/* PKI (scripts/pki) */

/* A certificate and its key, as files. */
typedef struct harness_cert {
    char name[64]; /* the file stem: "934-district", "93-province", or a --name */
    char cert[HARNESS_PATH_MAX];
    char key[HARNESS_PATH_MAX];
} harness_cert_t;

enum { HARNESS_PKI_MAX_CERTS = 32 };

/*
 * A province CA in its own directory: ca.crt, crl.pem, a server certificate
 * for localhost and 127.0.0.1, and client certificates. Plain data (about
 * 70 KiB: keep it static, not on the stack); no cleanup needed, the files go
 * with the temporary directory.
 */
typedef struct harness_pki {
    char dir[HARNESS_PATH_MAX];
    char ca[HARNESS_PATH_MAX];  /* DIR/ca.crt */
    char crl[HARNESS_PATH_MAX]; /* DIR/crl.pem, rewritten by harness_pki_revoke */
    harness_cert_t server;      /* DIR/server/localhost.{crt,key} */
    size_t ncerts;
    harness_cert_t certs[HARNESS_PKI_MAX_CERTS]; /* client certificates, by name */
} harness_pki_t;

/*
 * Make a PKI in a new directory of the temporary directory (pki, pki-2, ...):
 * the CA, the server certificate, district certificates "930-district" ..
 * "937-district" (CN 930..937, OU district) and "93-province" (CN 93, OU
 * province). A second PKI is a foreign CA for the first.
 */
void harness_pki_make(harness_pki_t *pki);

/*
 * Issue one more client certificate: scripts/pki client DIR UNIT ROLE --name
 * NAME, then the extra options (NULL-terminated), e.g.
 *   harness_pki_issue(&pki, "expired", "935", "district", "--expired", NULL);
 */
const harness_cert_t *harness_pki_issue(harness_pki_t *pki, const char *name, const char *unit,
                                        const char *role, ...) __attribute__((sentinel));

/* Revoke a client certificate by name and rewrite pki->crl (a running server reads it at start). */
void harness_pki_revoke(harness_pki_t *pki, const char *name);

/* The client certificate with this name ("934-district"); fails the test if there is none. */
const harness_cert_t *harness_pki_cert(const harness_pki_t *pki, const char *name);

/* ------------------------------------------------------------------------- */
/* Processes */

/* What a command did. Owns out and err (free with harness_output_free). */
typedef struct harness_output {
    int status;    /* waitpid() status */
    int exit_code; /* the exit code, or 128 + the signal that killed it (as a shell says) */
    char *out;     /* all of stdout, NUL-terminated */
    size_t out_len;
    char *err; /* all of stderr, NUL-terminated */
    size_t err_len;
} harness_output_t;

/*
 * Run argv[0] (looked up in PATH if it has no '/') with argv, in the temporary
 * directory, stdin fed from stdin_text (NULL: /dev/null), stdout and stderr
 * captured whole. Returns out->exit_code. A command still running after
 * HARNESS_RUN_TIMEOUT_MS is killed and fails the test with what it printed.
 * A program that cannot be executed exits 127 with the reason on stderr.
 */
int harness_run(const char *const argv[], const char *stdin_text, harness_output_t *out);

/* Free out's buffers; safe on a zeroed struct and twice. */
void harness_output_free(harness_output_t *out);

/*
 * thidua -c CONFIG ARGS... (NULL-terminated), from test line `line`: fails
 * the test unless it exits with `expect`, printing the command and what it
 * said. out keeps the output (the caller frees it) when not NULL. The macro
 * HARNESS_THIDUA(expect, out, config, args...) passes the line and the NULL.
 */
void harness_thidua(int line, int expect, harness_output_t *out, const char *config, ...)
    __attribute__((sentinel));
#define HARNESS_THIDUA(expect, out, config, ...)                                                   \
    harness_thidua(__LINE__, (expect), (out), (config), __VA_ARGS__, NULL)

/*
 * A district office made as an officer makes it: `thidua init` with the
 * certificate UNIT-district of pki, for the server on port, its
 * configuration and store in the temporary directory dUNIT/; the
 * configuration's path into config.
 */
void harness_office_init(char *config, size_t size, const harness_pki_t *pki, int port,
                         const char *unit);

/*
 * fork() for a test's own helper process (a stand-in peer). The child gets
 * PR_SET_PDEATHSIG(SIGKILL) and SIGPIPE back to default and must end with
 * _exit(); the parent records it for harness_cleanup. Returns 0 in the child,
 * the pid in the parent.
 */
pid_t harness_fork(void);

/*
 * Send sig to a recorded child (0: none), wait up to timeout_ms for it to
 * exit, then SIGKILL it. Returns the waitpid() status; -1 if pid is not a
 * child the harness knows (already reaped).
 */
int harness_child_stop(pid_t pid, int sig, int timeout_ms);

/* "exited with code 3", "killed by signal 9 (Killed)": for messages. */
const char *harness_status_str(int status, char *buf, size_t size);

/* ------------------------------------------------------------------------- */
/* thiduad */

/*
 * Overrides of the server's configuration; a zeroed struct (or NULL) means
 * the defaults shown. Values are written as given, so a test can also write
 * invalid ones.
 */
typedef struct harness_server_opts {
    const char *program;           /* NULL: BINDIR/thiduad; started as PROGRAM --config FILE ARGS */
    const char *const *args;       /* extra arguments, NULL-terminated; NULL: none */
    const char *listen;            /* "127.0.0.1:0" */
    const char *handshake_timeout; /* "10s" */
    const char *idle_timeout;      /* "300s" */
    const char *max_frame;         /* "4194304" */
    const char *max_batch;         /* "500" */
    const char *cert;              /* NULL: the PKI's server certificate */
    const char *key;               /* NULL: its key */
    const char *ca;                /* NULL: the PKI's CA */
    const char *crl;               /* NULL: the PKI's crl.pem; "": no crl line */
    const char *pool_size;         /* "4" */
    const char *log_level;         /* "info" */
    const char *extra;             /* appended verbatim (start it with a [section] line) */
    int start_timeout_ms;          /* 0: 30000, until the log says event=listening */
    int stop_timeout_ms;           /* 0: 30000, after the signal, before SIGKILL */
} harness_server_opts_t;

/* One server process. Zero it before use (a static or `= {0}`). */
typedef struct harness_server {
    pid_t pid;  /* 0 when not running (never started, or reaped) */
    int port;   /* from the event=listening line */
    int status; /* waitpid() status once reaped (see harness_server_stop) */
    int stop_timeout_ms;
    char dir[HARNESS_PATH_MAX];    /* its own directory: server-N in the temporary directory */
    char config[HARNESS_PATH_MAX]; /* DIR/thiduad.ini */
    char log[HARNESS_PATH_MAX];    /* DIR/thiduad.log: its stderr and stdout */
} harness_server_t;

/*
 * Write a thiduad configuration into a new directory server-N and give its
 * path (DIR/thiduad.ini). harness_server_start does this; call it directly to
 * run thiduad with harness_run (a server expected to refuse its configuration).
 */
void harness_server_config(char *path_out, size_t size, const harness_pki_t *pki,
                           const char *conninfo, const harness_server_opts_t *opts);

/*
 * Write the configuration, start the server and wait until its log has a line
 * with event=listening, then read srv->port from port=NNNN on that line. If
 * the process exits first or does not listen in time, the test fails with the
 * last lines of the log.
 */
void harness_server_start(harness_server_t *srv, const harness_pki_t *pki, const char *conninfo,
                          const harness_server_opts_t *opts);

/*
 * Send sig (0: SIGTERM), wait up to stop_timeout_ms, then SIGKILL. Returns
 * the waitpid() status (0 is a clean exit 0); for a server that is not
 * running, the status it had (-1 if it never ran).
 */
int harness_server_stop(harness_server_t *srv, int sig);

/*
 * The group teardown of a program with one server and one database: stop
 * srv with SIGTERM if it runs, drop the database of conninfo, then
 * harness_cleanup(). Never fails the test, like the calls it makes.
 */
void harness_teardown(harness_server_t *srv, const char *conninfo);

/* harness_server_stop with SIGKILL: a crash, for recovery tests. */
int harness_server_kill(harness_server_t *srv);

/* Whether the log has needle now. */
bool harness_server_log_contains(const harness_server_t *srv, const char *needle);

/* Wait up to timeout_ms until the log has needle. */
bool harness_server_wait_log(const harness_server_t *srv, const char *needle, int timeout_ms);

/* ------------------------------------------------------------------------- */
/* thidua */

/*
 * Write a client configuration DIR/UNIT-ROLE.ini (dir NULL: the temporary
 * directory) for the certificate "UNIT-ROLE" of the PKI, the server at
 * 127.0.0.1:port and the store DIR/UNIT.db; give its path.
 */
void harness_client_config(const char *dir, const char *unit, const char *role,
                           const harness_pki_t *pki, int port, char *path_out, size_t size);

/* ------------------------------------------------------------------------- */
/* A raw connection: TLS or plain TCP, with frames */

/* What a raw-connection call came to; the reason is in conn->error. */
typedef enum harness_io {
    HARNESS_IO_OK = 0,
    HARNESS_IO_CLOSED,  /* the peer closed (close_notify, EOF or reset) between frames */
    HARNESS_IO_TIMEOUT, /* nothing (or not enough) arrived in time */
    HARNESS_IO_ERROR,   /* a TLS error or alert, a refused connect, a bad or cut frame */
} harness_io_t;

const char *harness_io_str(harness_io_t r);

/* Fails the test unless r == expected, printing conn->error. */
#define harness_assert_io(conn, r, expected)                                                       \
    harness_check_io((conn), (r), (expected), #r, __FILE__, __LINE__)

/*
 * One connection. Owns the socket and, for TLS, the SSL and its SSL_CTX.
 * Zero it before first use; harness_conn_close frees everything.
 */
typedef struct harness_conn {
    bool open;         /* fd is ours */
    bool tls_up;       /* the handshake completed and no fatal error since */
    bool close_notify; /* the peer sent close_notify */
    int fd;
    SSL_CTX *ctx;
    SSL *ssl; /* NULL for plain TCP */
    char error[512];
} harness_conn_t;

/* Plain TCP to 127.0.0.1:port (for bytes that are not TLS). */
harness_io_t harness_tcp_connect(harness_conn_t *conn, int port);

/*
 * TCP, then a TLS handshake as a client: the server's certificate is checked
 * against ca (NULL: not checked) and for 127.0.0.1; client is the certificate
 * to present (NULL: none). Under TLS 1.3 the server checks the client's
 * certificate after the client's handshake is done, so a refused certificate
 * gives HARNESS_IO_OK here and HARNESS_IO_ERROR with the alert ("tlsv13 alert
 * certificate required", "sslv3 alert certificate revoked") on the first
 * receive.
 */
harness_io_t harness_tls_connect(harness_conn_t *conn, int port, const char *ca,
                                 const harness_cert_t *client);

/* Send bytes as they are (through TLS when the connection has it). */
harness_io_t harness_conn_send(harness_conn_t *conn, const void *data, size_t len);

/* Send one frame: the 4-byte big-endian length, then the packed Envelope. */
harness_io_t harness_conn_send_envelope(harness_conn_t *conn, const Thidua__V1__Envelope *env);

/*
 * Receive one frame within timeout_ms and unpack it into *env (the caller
 * frees it with thidua__v1__envelope__free_unpacked(env, NULL)). *env is NULL
 * unless HARNESS_IO_OK. A close before the first byte is HARNESS_IO_CLOSED; a
 * close inside a frame, a zero or over-64-MiB length, or a payload that does
 * not unpack is HARNESS_IO_ERROR.
 */
harness_io_t harness_conn_recv_envelope(harness_conn_t *conn, int timeout_ms,
                                        Thidua__V1__Envelope **env);

/* Send env and receive one frame: harness_conn_send_envelope, then harness_conn_recv_envelope. */
harness_io_t harness_conn_call(harness_conn_t *conn, const Thidua__V1__Envelope *env, int timeout_ms,
                               Thidua__V1__Envelope **reply);

/* Say Hello (protocol version 1) as request request_id and receive the answer. */
harness_io_t harness_conn_hello(harness_conn_t *conn, uint64_t request_id, const char *client_version,
                                Thidua__V1__Envelope **reply);

/*
 * Read and discard until the peer closes: HARNESS_IO_CLOSED (conn->close_notify
 * says whether it said goodbye), HARNESS_IO_ERROR for an alert or another TLS
 * error (e.g. a refused certificate), or HARNESS_IO_TIMEOUT.
 */
harness_io_t harness_conn_wait_closed(harness_conn_t *conn, int timeout_ms);

/* Send close_notify (if TLS is up), close, free. Safe on a zeroed struct and twice. */
void harness_conn_close(harness_conn_t *conn);

/* Close the socket without close_notify: a client that vanishes. */
void harness_conn_abort(harness_conn_t *conn);

/* Internals of the assertion macros. */
void harness_check_io(const harness_conn_t *conn, harness_io_t r, harness_io_t expected,
                      const char *expr, const char *file, int line);

#endif

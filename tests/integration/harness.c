/*
 * harness.c - the integration tests' ground: temporary files, child processes,
 * databases, the PKI, thiduad, the client's configuration and a raw
 * TLS/frame client. See harness.h for the conventions (fail the test on setup
 * trouble, return what a test asserts, cleanup never fails).
 *
 * Everything here is deliberately plain and blocking: a test should fail
 * because of the code under test, not because of clever test machinery. The
 * raw connection uses a non-blocking socket only so that every wait has a
 * deadline (poll), and shares no code with the programs it tests.
 */
#define _GNU_SOURCE /* program_invocation_short_name, pipe2, close_range, vasprintf */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "harness.h"

enum {
    MAX_CHILDREN = 64,
    MAX_ARGS = 64,
    LOG_TAIL_LINES = 40,
    POLL_STEP_MS = 20,
    DEFAULT_SERVER_TIMEOUT_MS = 30000,
    MAX_RECV_FRAME = 64 * 1024 * 1024,
};

/*
 * The harness's own state, one per test program. owner is the pid of the test
 * program: a forked helper inherits a copy of this struct and must neither
 * kill its siblings nor remove the temporary directory when it exits.
 */
static struct {
    pid_t owner;                   /* 0 until the first harness call */
    char tmpdir[HARNESS_PATH_MAX]; /* "" until made, and again after harness_cleanup */
    pid_t children[MAX_CHILDREN];
    size_t nchildren;
    unsigned db_seq;     /* for unique database names */
    unsigned server_seq; /* server-N directories */
} H;

/* ------------------------------------------------------------------------- */
/* Failing the test */

__attribute__((noreturn)) THIDUA_PRINTF(1, 2) static void hfail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    print_error("harness: ");
    vprint_error(fmt, ap);
    print_error("\n");
    va_end(ap);
    _fail(__FILE__, __LINE__);
    abort(); /* _fail does not return; this tells the compiler */
}

THIDUA_PRINTF(1, 2) static void warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "harness: warning: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void vformat(char *out, size_t size, const char *fmt, va_list ap) THIDUA_PRINTF(3, 0);

static void vformat(char *out, size_t size, const char *fmt, va_list ap)
{
    int n = vsnprintf(out, size, fmt, ap);
    if (n < 0 || (size_t)n >= size)
        hfail("a string does not fit in %zu bytes (format \"%s\")", size, fmt);
}

THIDUA_PRINTF(3, 4) static void format(char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vformat(out, size, fmt, ap);
    va_end(ap);
}

void harness_check_contains(const char *haystack, const char *needle, const char *expr,
                            const char *file, int line)
{
    if (haystack != NULL && strstr(haystack, needle) != NULL)
        return;
    print_error("%s does not contain \"%s\"; it is:\n%s\n", expr, needle,
                haystack != NULL ? haystack : "(NULL)");
    _fail(file, line);
}

void harness_check_error(const Thidua__V1__Envelope *e, Thidua__V1__Error__Code code,
                         const char *field, const char *file, int line)
{
    if (e->body_case != THIDUA__V1__ENVELOPE__BODY_ERROR) {
        print_error("expected Error %d, got body %d\n", code, e->body_case);
        _fail(file, line);
    }
    const Thidua__V1__Error *err = e->error;
    if (err->code != code || (field != NULL && strcmp(err->field, field) != 0) ||
        err->message[0] == '\0') {
        print_error("expected Error %d (field %s) with a message, got %d: \"%s\" (field %s)\n",
                    code, field != NULL ? field : "any", err->code, err->message, err->field);
        _fail(file, line);
    }
}

const char *harness_io_str(harness_io_t r)
{
    switch (r) {
    case HARNESS_IO_OK:
        return "HARNESS_IO_OK";
    case HARNESS_IO_CLOSED:
        return "HARNESS_IO_CLOSED";
    case HARNESS_IO_TIMEOUT:
        return "HARNESS_IO_TIMEOUT";
    case HARNESS_IO_ERROR:
        return "HARNESS_IO_ERROR";
    }
    return "(unknown harness_io_t)";
}

void harness_check_io(const harness_conn_t *conn, harness_io_t r, harness_io_t expected,
                      const char *expr, const char *file, int line)
{
    if (r == expected)
        return;
    print_error("%s gave %s, expected %s (%s)\n", expr, harness_io_str(r), harness_io_str(expected),
                conn->error[0] != '\0' ? conn->error : "no reason");
    _fail(file, line);
}

/* ------------------------------------------------------------------------- */
/* Time */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int ms_left(int64_t deadline)
{
    int64_t left = deadline - now_ms();
    return left > 0 ? (int)left : 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ------------------------------------------------------------------------- */
/* Children and cleanup */

static void remove_child(pid_t pid)
{
    for (size_t i = 0; i < H.nchildren; i++) {
        if (H.children[i] == pid) {
            H.children[i] = H.children[--H.nchildren];
            return;
        }
    }
}

static bool is_child(pid_t pid)
{
    for (size_t i = 0; i < H.nchildren; i++)
        if (H.children[i] == pid)
            return true;
    return false;
}

static void kill_children(void)
{
    while (H.nchildren > 0) {
        pid_t pid = H.children[H.nchildren - 1];
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
        H.nchildren--;
    }
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    if (remove(path) != 0)
        warn("cannot remove %s: %s", path, strerror(errno));
    return 0;
}

void harness_cleanup(void)
{
    if (H.owner != getpid())
        return; /* a forked helper: its parent cleans up */
    kill_children();
    if (H.tmpdir[0] == '\0')
        return;
    const char *keep = getenv("THIDUA_KEEP_TMP");
    if (keep != NULL && keep[0] != '\0')
        fprintf(stderr, "harness: kept %s (THIDUA_KEEP_TMP)\n", H.tmpdir);
    else if (nftw(H.tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        warn("cannot remove %s: %s", H.tmpdir, strerror(errno));
    H.tmpdir[0] = '\0';
}

static void at_exit(void)
{
    harness_cleanup();
}

static void init(void)
{
    if (H.owner != 0)
        return;
    H.owner = getpid();
    /* A write to a peer that has gone must be an error the test sees, not death. */
    signal(SIGPIPE, SIG_IGN);
    atexit(at_exit);
}

/* The first things a child does: die with its parent, undo what the test program changed. */
static void child_prepare(pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(1); /* the parent died before prctl took effect */
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    H.owner = -1;
    H.nchildren = 0;
}

pid_t harness_fork(void)
{
    init();
    if (H.nchildren == MAX_CHILDREN)
        hfail("more than %d children at once", MAX_CHILDREN);
    pid_t parent = getpid();
    fflush(NULL); /* or the child's _exit-less paths could print the parent's buffers twice */
    pid_t pid = fork();
    if (pid < 0)
        hfail("fork: %s", strerror(errno));
    if (pid == 0) {
        child_prepare(parent);
        return 0;
    }
    H.children[H.nchildren++] = pid;
    return pid;
}

/* Make fd the child's descriptor `to`, inherited across exec. */
static void child_move_fd(int fd, int to)
{
    if (fd == to) {
        fcntl(fd, F_SETFD, 0);
        return;
    }
    if (dup2(fd, to) < 0) {
        dprintf(2, "harness: dup2: %s\n", strerror(errno));
        _exit(127);
    }
}

/* Start argv with the given stdin, stdout, stderr and working directory. */
static pid_t spawn(const char *const argv[], const char *cwd, int in, int out, int err)
{
    pid_t pid = harness_fork();
    if (pid > 0)
        return pid;
    child_move_fd(in, 0);
    child_move_fd(out, 1);
    child_move_fd(err, 2);
    if (close_range(3, ~0U, 0) != 0)
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
    if (cwd != NULL && chdir(cwd) != 0) {
        dprintf(2, "harness: cannot enter %s: %s\n", cwd, strerror(errno));
        _exit(127);
    }
    execvp(argv[0], (char *const *)argv);
    dprintf(2, "harness: cannot execute %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

const char *harness_status_str(int status, char *buf, size_t size)
{
    if (status == -1)
        snprintf(buf, size, "never ran");
    else if (WIFEXITED(status))
        snprintf(buf, size, "exited with code %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, size, "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, size, "wait status 0x%x", (unsigned)status);
    return buf;
}

/* waitpid with a deadline; returns the status, or -1 if the child still runs. */
static int wait_until(pid_t pid, int64_t deadline)
{
    for (;;) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            remove_child(pid);
            return status;
        }
        if (r < 0 && errno != EINTR) {
            warn("waitpid %ld: %s", (long)pid, strerror(errno));
            remove_child(pid);
            return -1;
        }
        if (ms_left(deadline) == 0)
            return -1;
        sleep_ms(5);
    }
}

int harness_child_stop(pid_t pid, int sig, int timeout_ms)
{
    if (pid <= 0 || !is_child(pid))
        return -1;
    if (sig != 0)
        kill(pid, sig);
    int status = wait_until(pid, now_ms() + timeout_ms);
    if (status != -1 || !is_child(pid))
        return status;
    if (sig != SIGKILL)
        warn("process %ld still running %d ms after signal %d: killing it", (long)pid, timeout_ms,
             sig);
    kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            status = -1;
            break;
        }
    }
    remove_child(pid);
    return status;
}

/* ------------------------------------------------------------------------- */
/* Environment, temporary directory, files */

static const char *env_required(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0')
        hfail("%s is not set: run the integration tests with ctest", name);
    return v;
}

/* mkdir -p */
static void make_dirs(const char *path, mode_t mode)
{
    char buf[HARNESS_PATH_MAX];
    format(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, mode) != 0 && errno != EEXIST)
            hfail("cannot create directory %s: %s", buf, strerror(errno));
        *p = c;
        if (c == '\0')
            break;
    }
}

const char *harness_tmpdir(void)
{
    init();
    if (H.tmpdir[0] != '\0')
        return H.tmpdir;
    const char *base = getenv("THIDUA_TEST_TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = getenv("TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    make_dirs(base, 0755);
    char dir[HARNESS_PATH_MAX];
    format(dir, sizeof(dir), "%s/%s-XXXXXX", base, program_invocation_short_name);
    if (mkdtemp(dir) == NULL)
        hfail("cannot create a directory like %s: %s", dir, strerror(errno));
    format(H.tmpdir, sizeof(H.tmpdir), "%s", dir);
    return H.tmpdir;
}

void harness_tmp_path(char *out, size_t size, const char *fmt, ...)
{
    char name[HARNESS_PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    vformat(name, sizeof(name), fmt, ap);
    va_end(ap);
    format(out, size, "%s/%s", harness_tmpdir(), name);
}

void harness_tmp_mkdir(char *out, size_t size, const char *fmt, ...)
{
    char name[HARNESS_PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    vformat(name, sizeof(name), fmt, ap);
    va_end(ap);
    format(out, size, "%s/%s", harness_tmpdir(), name);
    make_dirs(out, 0755);
}

void harness_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        hfail("cannot write %s: %s", path, strerror(errno));
    size_t len = strlen(text);
    bool ok = fwrite(text, 1, len, f) == len;
    if (fclose(f) != 0 || !ok)
        hfail("cannot write %s: %s", path, strerror(errno));
}

/* The file's contents, or NULL (errno set) if it cannot be read. */
static char *read_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    while (buf != NULL) {
        if (len + 1 == cap) {
            char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                free(buf);
                buf = NULL;
                errno = ENOMEM;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            free(buf);
            buf = NULL;
            errno = e;
            break;
        }
        if (n == 0) {
            buf[len] = '\0';
            break;
        }
        len += (size_t)n;
    }
    int e = errno;
    close(fd);
    errno = e;
    return buf;
}

char *harness_read_file(const char *path)
{
    char *text = read_file(path);
    if (text == NULL)
        hfail("cannot read %s: %s", path, strerror(errno));
    return text;
}

const char *harness_thiduad_path(void)
{
    static char path[HARNESS_PATH_MAX];
    format(path, sizeof(path), "%s/thiduad", env_required("THIDUA_TEST_BINDIR"));
    return path;
}

const char *harness_thidua_path(void)
{
    static char path[HARNESS_PATH_MAX];
    format(path, sizeof(path), "%s/thidua", env_required("THIDUA_TEST_BINDIR"));
    return path;
}

/* ------------------------------------------------------------------------- */
/* Running a command */

/* A growing byte buffer; owns p. */
typedef struct {
    char *p;
    size_t len;
    size_t cap;
} buf_t;

static bool buf_reserve(buf_t *b, size_t more)
{
    if (b->cap - b->len > more)
        return true;
    size_t cap = b->cap != 0 ? b->cap : 4096;
    while (cap - b->len <= more)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL)
        return false;
    b->p = p;
    b->cap = cap;
    return true;
}

/* Read what fd has into b. Returns false when fd reached EOF (or failed). */
static bool drain(int fd, buf_t *b)
{
    for (;;) {
        if (!buf_reserve(b, 65536))
            hfail("out of memory capturing output");
        ssize_t n = read(fd, b->p + b->len, b->cap - b->len - 1);
        if (n > 0) {
            b->len += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return true;
        return false;
    }
}

static void set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
        hfail("fcntl O_NONBLOCK: %s", strerror(errno));
}

static void make_pipe(int fds[2])
{
    if (pipe2(fds, O_CLOEXEC) != 0)
        hfail("pipe: %s", strerror(errno));
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* The last `max` bytes of s, for messages. */
static const char *tail_of(const char *s, size_t len, size_t max)
{
    return len > max ? s + len - max : s;
}

int harness_run(const char *const argv[], const char *stdin_text, harness_output_t *out)
{
    init();
    memset(out, 0, sizeof(*out));
    out->status = -1;
    const char *cwd = harness_tmpdir();

    int in[2] = {-1, -1}, po[2], pe[2];
    if (stdin_text != NULL) {
        make_pipe(in);
    } else if ((in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
        hfail("cannot open /dev/null: %s", strerror(errno));
    }
    make_pipe(po);
    make_pipe(pe);
    pid_t pid = spawn(argv, cwd, in[0], po[1], pe[1]);
    close_fd(&in[0]);
    close_fd(&po[1]);
    close_fd(&pe[1]);
    if (in[1] >= 0)
        set_nonblocking(in[1]);
    set_nonblocking(po[0]);
    set_nonblocking(pe[0]);

    /*
     * Serve stdin, stdout and stderr together: a child blocked writing one
     * pipe while we wait on another would hang us both.
     */
    buf_t ob = {0}, eb = {0};
    size_t in_len = stdin_text != NULL ? strlen(stdin_text) : 0, in_done = 0;
    if (in[1] >= 0 && in_len == 0)
        close_fd(&in[1]);
    int64_t deadline = now_ms() + HARNESS_RUN_TIMEOUT_MS;
    bool timed_out = false;
    while (po[0] >= 0 || pe[0] >= 0 || in[1] >= 0) {
        struct pollfd pfd[3];
        int *fds[3];
        nfds_t n = 0;
        if (in[1] >= 0) {
            pfd[n] = (struct pollfd){.fd = in[1], .events = POLLOUT};
            fds[n++] = &in[1];
        }
        if (po[0] >= 0) {
            pfd[n] = (struct pollfd){.fd = po[0], .events = POLLIN};
            fds[n++] = &po[0];
        }
        if (pe[0] >= 0) {
            pfd[n] = (struct pollfd){.fd = pe[0], .events = POLLIN};
            fds[n++] = &pe[0];
        }
        int left = ms_left(deadline);
        if (left == 0) {
            timed_out = true;
            break;
        }
        int r = poll(pfd, n, left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            hfail("poll: %s", strerror(errno));
        for (nfds_t i = 0; i < n; i++) {
            if (pfd[i].revents == 0)
                continue;
            if (fds[i] == &in[1]) {
                ssize_t w = write(in[1], stdin_text + in_done, in_len - in_done);
                if (w > 0)
                    in_done += (size_t)w;
                else if (w < 0 && errno != EAGAIN && errno != EINTR)
                    in_done = in_len; /* EPIPE: the command does not want the rest */
                if (in_done == in_len)
                    close_fd(&in[1]);
            } else if (!drain(*fds[i], fds[i] == &po[0] ? &ob : &eb)) {
                close_fd(fds[i]);
            }
        }
    }
    close_fd(&in[1]);
    close_fd(&po[0]);
    close_fd(&pe[0]);
    int status = timed_out ? -1 : wait_until(pid, deadline);
    if (status == -1) {
        harness_child_stop(pid, SIGKILL, 0);
        if (!buf_reserve(&ob, 1) || !buf_reserve(&eb, 1))
            hfail("out of memory");
        ob.p[ob.len] = '\0';
        eb.p[eb.len] = '\0';
        print_error("harness: %s still running after %d ms: killed.\nstdout (end):\n%s\n"
                    "stderr (end):\n%s\n",
                    argv[0], HARNESS_RUN_TIMEOUT_MS, tail_of(ob.p, ob.len, 2000),
                    tail_of(eb.p, eb.len, 2000));
        free(ob.p);
        free(eb.p);
        hfail("command timed out: %s", argv[0]);
    }
    if (!buf_reserve(&ob, 1) || !buf_reserve(&eb, 1))
        hfail("out of memory");
    ob.p[ob.len] = '\0';
    eb.p[eb.len] = '\0';
    out->out = ob.p;
    out->out_len = ob.len;
    out->err = eb.p;
    out->err_len = eb.len;
    out->status = status;
    out->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return out->exit_code;
}

void harness_thidua(int line, int expect, harness_output_t *out, const char *config, ...)
{
    const char *argv[48];
    size_t n = 0;
    argv[n++] = harness_thidua_path();
    argv[n++] = "-c";
    argv[n++] = config;
    va_list ap;
    va_start(ap, config);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && n < THIDUA_ARRAY_LEN(argv) - 1)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    harness_output_t local;
    memset(&local, 0, sizeof(local));
    harness_output_t *o = out != NULL ? out : &local;
    memset(o, 0, sizeof(*o));
    int code = harness_run(argv, NULL, o);
    if (code != expect) {
        char cmd[2048];
        size_t len = 0;
        for (size_t i = 3; i < n && len < sizeof(cmd) - 2; i++)
            len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, "%s ", argv[i]);
        fail_msg("line %d: `thidua %s` exited %d, expected %d\nstdout:\n%s\nstderr:\n%s", line,
                 cmd, code, expect, o->out, o->err);
    }
    harness_output_free(&local);
}

void harness_office_init(char *config, size_t size, const harness_pki_t *pki, int port,
                         const char *unit)
{
    char dir[HARNESS_PATH_MAX], cert[64], addr[64], store[HARNESS_PATH_MAX];
    harness_tmp_mkdir(dir, sizeof(dir), "d%s", unit);
    harness_tmp_path(config, size, "d%s/thidua.conf", unit);
    harness_tmp_path(store, sizeof(store), "d%s/store.db", unit);
    snprintf(cert, sizeof(cert), "%s-district", unit);
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
    const harness_cert_t *c = harness_pki_cert(pki, cert);
    HARNESS_THIDUA(0, NULL, config, "init", "--server", addr, "--ca", pki->ca, "--cert", c->cert,
                   "--key", c->key, "--store", store);
}

void harness_output_free(harness_output_t *out)
{
    free(out->out);
    free(out->err);
    out->out = out->err = NULL;
    out->out_len = out->err_len = 0;
}

/* ------------------------------------------------------------------------- */
/* Database */

/* The fixture cluster, from THIDUA_TEST_PGDIR/env. */
static struct {
    bool loaded;
    char host[HARNESS_PATH_MAX];
    char port[16];
    char user[128];
} pg;

static void pg_load(void)
{
    if (pg.loaded)
        return;
    char path[HARNESS_PATH_MAX];
    format(path, sizeof(path), "%s/env", env_required("THIDUA_TEST_PGDIR"));
    char *text = read_file(path);
    if (text == NULL)
        hfail("cannot read %s (%s): did the fixture.pg.start test run?", path, strerror(errno));
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char *eq = strchr(line, '=');
        if (eq == NULL)
            continue;
        *eq = '\0';
        const char *v = eq + 1;
        if (strcmp(line, "PGHOST") == 0)
            format(pg.host, sizeof(pg.host), "%s", v);
        else if (strcmp(line, "PGPORT") == 0)
            format(pg.port, sizeof(pg.port), "%s", v);
        else if (strcmp(line, "PGUSER") == 0)
            format(pg.user, sizeof(pg.user), "%s", v);
    }
    free(text);
    if (pg.host[0] == '\0' || pg.port[0] == '\0' || pg.user[0] == '\0')
        hfail("%s lacks PGHOST, PGPORT or PGUSER", path);
    pg.loaded = true;
}

/* Append " key=value" to a conninfo, quoting the value when libpq needs it. */
static void conninfo_add(char *out, size_t size, const char *key, const char *value)
{
    char quoted[HARNESS_PATH_MAX * 2 + 3];
    bool plain = value[0] != '\0' && strpbrk(value, " \t\n'\\") == NULL;
    if (plain) {
        format(quoted, sizeof(quoted), "%s", value);
    } else {
        size_t j = 0;
        quoted[j++] = '\'';
        for (const char *p = value; *p != '\0' && j < sizeof(quoted) - 3; p++) {
            if (*p == '\'' || *p == '\\')
                quoted[j++] = '\\';
            quoted[j++] = *p;
        }
        quoted[j++] = '\'';
        quoted[j] = '\0';
    }
    size_t len = strlen(out);
    format(out + len, size - len, "%s%s=%s", len > 0 ? " " : "", key, quoted);
}

static void cluster_conninfo(char *out, size_t size, const char *dbname)
{
    pg_load();
    out[0] = '\0';
    conninfo_add(out, size, "host", pg.host);
    conninfo_add(out, size, "port", pg.port);
    conninfo_add(out, size, "user", pg.user);
    conninfo_add(out, size, "dbname", dbname);
}

static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* "does not exist, skipping" and the like: noise in test output */
}

/* Connect, or NULL with the reason in err. */
static PGconn *db_try_connect(const char *conninfo, char *err, size_t errlen)
{
    char full[HARNESS_CONNINFO_MAX + 32];
    format(full, sizeof(full), "%s connect_timeout=10", conninfo);
    PGconn *conn = PQconnectdb(full);
    if (conn != NULL && PQstatus(conn) == CONNECTION_OK) {
        PQsetNoticeProcessor(conn, ignore_notice, NULL);
        return conn;
    }
    snprintf(err, errlen, "%s", conn != NULL ? PQerrorMessage(conn) : "out of memory");
    PQfinish(conn);
    return NULL;
}

static PGconn *db_connect(const char *conninfo)
{
    char err[1024];
    PGconn *conn = db_try_connect(conninfo, err, sizeof(err));
    if (conn == NULL)
        hfail("cannot connect to %s: %s", conninfo, err);
    return conn;
}

void harness_db_create(char *conninfo_out, size_t size)
{
    init();
    if (size > 0)
        conninfo_out[0] = '\0';
    /* Name it after the program, so a leftover database says who made it. */
    char name[64];
    int n = snprintf(name, sizeof(name), "t_%.30s_%ld_%u", program_invocation_short_name,
                     (long)getpid(), ++H.db_seq);
    if (n < 0 || (size_t)n >= sizeof(name))
        hfail("database name too long");
    for (char *p = name; *p != '\0'; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
            *p = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : '_';

    char admin[HARNESS_CONNINFO_MAX];
    cluster_conninfo(admin, sizeof(admin), "postgres");
    PGconn *conn = db_connect(admin);
    char sql[128];
    format(sql, sizeof(sql), "CREATE DATABASE %s", name);
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        char err[1024];
        snprintf(err, sizeof(err), "%s", PQerrorMessage(conn));
        PQclear(res);
        PQfinish(conn);
        hfail("%s: %s", sql, err);
    }
    PQclear(res);
    PQfinish(conn);
    cluster_conninfo(conninfo_out, size, name);
}

void harness_db_drop(const char *conninfo)
{
    if (conninfo == NULL || conninfo[0] == '\0')
        return;
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
    if (opts == NULL) {
        warn("cannot parse conninfo %s: %s", conninfo, perr != NULL ? perr : "out of memory");
        PQfreemem(perr);
        return;
    }
    char name[128] = "";
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
        if (strcmp(o->keyword, "dbname") == 0 && o->val != NULL)
            snprintf(name, sizeof(name), "%s", o->val);
    PQconninfoFree(opts);
    if (strncmp(name, "t_", 2) != 0) {
        warn("not dropping \"%s\": not a database harness_db_create made", name);
        return;
    }
    char admin[HARNESS_CONNINFO_MAX], err[1024];
    cluster_conninfo(admin, sizeof(admin), "postgres");
    PGconn *conn = db_try_connect(admin, err, sizeof(err));
    if (conn == NULL) {
        warn("cannot drop database %s: %s", name, err);
        return;
    }
    char *ident = PQescapeIdentifier(conn, name, strlen(name));
    char sql[256];
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)",
             ident != NULL ? ident : "\"\"");
    PQfreemem(ident);
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        warn("%s: %s", sql, PQerrorMessage(conn));
    PQclear(res);
    PQfinish(conn);
}

/*
 * Run one formatted query. single: exactly one statement, one row, one column
 * expected. Returns the result (the caller clears it).
 */
static PGresult *db_query(const char *conninfo, bool single, const char *fmt, va_list ap)
    THIDUA_PRINTF(3, 0);

static PGresult *db_query(const char *conninfo, bool single, const char *fmt, va_list ap)
{
    init();
    char *sql = NULL;
    if (vasprintf(&sql, fmt, ap) < 0)
        hfail("out of memory formatting SQL");
    PGconn *conn = db_connect(conninfo);
    PGresult *res =
        single ? PQexecParams(conn, sql, 0, NULL, NULL, NULL, NULL, 0) : PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    char err[2048] = "";
    if (st != PGRES_TUPLES_OK && (single || st != PGRES_COMMAND_OK))
        snprintf(err, sizeof(err), "%s", PQerrorMessage(conn));
    else if (single && (PQntuples(res) != 1 || PQnfields(res) != 1))
        snprintf(err, sizeof(err), "wanted one row of one column, got %d rows of %d columns",
                 PQntuples(res), PQnfields(res));
    PQfinish(conn);
    if (err[0] != '\0') {
        print_error("harness: query failed: %s\n", sql);
        PQclear(res);
        free(sql);
        hfail("%s", err);
    }
    free(sql);
    return res;
}

void harness_db_exec(const char *conninfo, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    PGresult *res = db_query(conninfo, false, fmt, ap);
    va_end(ap);
    PQclear(res);
}

long long harness_db_int(const char *conninfo, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    PGresult *res = db_query(conninfo, true, fmt, ap);
    va_end(ap);
    if (PQgetisnull(res, 0, 0)) {
        PQclear(res);
        hfail("query gave NULL where an integer was expected");
    }
    char text[64];
    snprintf(text, sizeof(text), "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0')
        hfail("query gave \"%s\" where an integer was expected", text);
    return v;
}

void harness_db_text(const char *conninfo, char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    PGresult *res = db_query(conninfo, true, fmt, ap);
    va_end(ap);
    const char *v = PQgetisnull(res, 0, 0) ? "" : PQgetvalue(res, 0, 0);
    int n = snprintf(out, size, "%s", v);
    PQclear(res);
    if (n < 0 || (size_t)n >= size)
        hfail("a query's text (%d bytes) does not fit in %zu", n, size);
}

/* ------------------------------------------------------------------------- */
/* PKI */

/* Run scripts/pki with args (NULL-terminated); fail the test with its stderr. */
static void pki_script(const char *const args[])
{
    const char *argv[MAX_ARGS];
    char script[HARNESS_PATH_MAX];
    format(script, sizeof(script), "%s/scripts/pki", env_required("THIDUA_TEST_SRCDIR"));
    size_t n = 0;
    argv[n++] = script;
    for (size_t i = 0; args[i] != NULL; i++) {
        if (n == MAX_ARGS - 1)
            hfail("too many arguments for scripts/pki");
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    harness_output_t out;
    if (harness_run(argv, NULL, &out) == 0) {
        harness_output_free(&out);
        return;
    }
    char cmd[2048] = "";
    for (size_t i = 0, len = 0; argv[i] != NULL && len < sizeof(cmd); i++)
        len += (size_t)snprintf(cmd + len, sizeof(cmd) - len, "%s%s", i > 0 ? " " : "", argv[i]);
    print_error("harness: %s failed (exit %d):\n%s\n", cmd, out.exit_code, out.err);
    harness_output_free(&out);
    hfail("scripts/pki failed");
}

static harness_cert_t *pki_add(harness_pki_t *pki, const char *name)
{
    for (size_t i = 0; i < pki->ncerts; i++)
        if (strcmp(pki->certs[i].name, name) == 0)
            hfail("the PKI already has a certificate named %s", name);
    if (pki->ncerts == HARNESS_PKI_MAX_CERTS)
        hfail("more than %d certificates in one PKI", HARNESS_PKI_MAX_CERTS);
    harness_cert_t *c = &pki->certs[pki->ncerts];
    format(c->name, sizeof(c->name), "%s", name);
    format(c->cert, sizeof(c->cert), "%s/clients/%s.crt", pki->dir, name);
    format(c->key, sizeof(c->key), "%s/clients/%s.key", pki->dir, name);
    pki->ncerts++;
    return c;
}

static void pki_client(harness_pki_t *pki, const char *unit, const char *role)
{
    pki_script((const char *[]){"client", pki->dir, unit, role, NULL});
    char name[64];
    format(name, sizeof(name), "%s-%s", unit, role);
    pki_add(pki, name);
}

void harness_pki_make(harness_pki_t *pki)
{
    memset(pki, 0, sizeof(*pki));
    for (int n = 1;; n++) {
        if (n == 1)
            harness_tmp_path(pki->dir, sizeof(pki->dir), "pki");
        else
            harness_tmp_path(pki->dir, sizeof(pki->dir), "pki-%d", n);
        if (access(pki->dir, F_OK) != 0)
            break;
    }
    format(pki->ca, sizeof(pki->ca), "%s/ca.crt", pki->dir);
    format(pki->crl, sizeof(pki->crl), "%s/crl.pem", pki->dir);
    format(pki->server.name, sizeof(pki->server.name), "localhost");
    format(pki->server.cert, sizeof(pki->server.cert), "%s/server/localhost.crt", pki->dir);
    format(pki->server.key, sizeof(pki->server.key), "%s/server/localhost.key", pki->dir);

    pki_script((const char *[]){"init", pki->dir, NULL});
    pki_script((const char *[]){"server", pki->dir, "localhost", NULL});
    pki_client(pki, "93", "province");
    for (int unit = 930; unit <= 937; unit++) {
        char code[8];
        format(code, sizeof(code), "%d", unit);
        pki_client(pki, code, "district");
    }
}

const harness_cert_t *harness_pki_issue(harness_pki_t *pki, const char *name, const char *unit,
                                        const char *role, ...)
{
    const char *args[MAX_ARGS] = {"client", pki->dir, unit, role, "--name", name};
    size_t n = 6;
    va_list ap;
    va_start(ap, role);
    for (const char *a = va_arg(ap, const char *); a != NULL; a = va_arg(ap, const char *)) {
        if (n == MAX_ARGS - 1) {
            va_end(ap);
            hfail("too many options for harness_pki_issue");
        }
        args[n++] = a;
    }
    va_end(ap);
    args[n] = NULL;
    pki_script(args);
    return pki_add(pki, name);
}

const harness_cert_t *harness_pki_cert(const harness_pki_t *pki, const char *name)
{
    for (size_t i = 0; i < pki->ncerts; i++)
        if (strcmp(pki->certs[i].name, name) == 0)
            return &pki->certs[i];
    hfail("the PKI in %s has no certificate named \"%s\" (names are UNIT-ROLE, e.g. "
          "934-district, or the name given to harness_pki_issue)",
          pki->dir[0] != '\0' ? pki->dir : "(not made)", name);
}

void harness_pki_revoke(harness_pki_t *pki, const char *name)
{
    const harness_cert_t *c = harness_pki_cert(pki, name);
    pki_script((const char *[]){"revoke", pki->dir, c->cert, NULL});
}

/* ------------------------------------------------------------------------- */
/* thiduad */

/* A new directory server-N in the temporary directory. */
static void new_server_dir(char *out, size_t size)
{
    for (;;) {
        harness_tmp_path(out, size, "server-%u", ++H.server_seq);
        if (mkdir(out, 0755) == 0)
            return;
        if (errno != EEXIST)
            hfail("cannot create %s: %s", out, strerror(errno));
    }
}

static const char *or_default(const char *v, const char *dflt)
{
    return v != NULL ? v : dflt;
}

/* Write the configuration into dir/thiduad.ini. */
static void write_server_config(const char *dir, char *path, size_t size, const harness_pki_t *pki,
                                const char *conninfo, const harness_server_opts_t *o)
{
    if (pki == NULL && (o->cert == NULL || o->key == NULL || o->ca == NULL || o->crl == NULL))
        hfail("harness_server_config: no PKI, and the options do not name cert, key, ca and crl");
    format(path, size, "%s/thiduad.ini", dir);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        hfail("open_memstream: %s", strerror(errno));
    const char *crl = o->crl != NULL ? o->crl : pki->crl;
    fprintf(f, "; thiduad configuration written by the integration test harness\n");
    fprintf(f, "[server]\nlisten = %s\n", or_default(o->listen, "127.0.0.1:0"));
    fprintf(f, "handshake_timeout = %s\n", or_default(o->handshake_timeout, "10s"));
    fprintf(f, "idle_timeout = %s\n", or_default(o->idle_timeout, "300s"));
    fprintf(f, "max_frame = %s\n", or_default(o->max_frame, "4194304"));
    fprintf(f, "max_batch = %s\n\n", or_default(o->max_batch, "500"));
    fprintf(f, "[tls]\ncert = %s\n", o->cert != NULL ? o->cert : pki->server.cert);
    fprintf(f, "key = %s\n", o->key != NULL ? o->key : pki->server.key);
    fprintf(f, "ca = %s\n", o->ca != NULL ? o->ca : pki->ca);
    if (crl[0] != '\0')
        fprintf(f, "crl = %s\n", crl);
    fprintf(f, "\n[database]\nconninfo = %s\n", conninfo);
    fprintf(f, "pool_size = %s\n\n", or_default(o->pool_size, "4"));
    fprintf(f, "[log]\nlevel = %s\n", or_default(o->log_level, "info"));
    if (o->extra != NULL)
        fprintf(f, "%s\n", o->extra);
    if (fclose(f) != 0)
        hfail("writing the configuration: %s", strerror(errno));
    harness_write_file(path, text);
    free(text);
}

void harness_server_config(char *path_out, size_t size, const harness_pki_t *pki,
                           const char *conninfo, const harness_server_opts_t *opts)
{
    static const harness_server_opts_t defaults;
    char dir[HARNESS_PATH_MAX];
    new_server_dir(dir, sizeof(dir));
    write_server_config(dir, path_out, size, pki, conninfo, opts != NULL ? opts : &defaults);
}

/* The last lines of a log, for a failure message. */
static void print_log_tail(const char *path)
{
    char *text = read_file(path);
    if (text == NULL) {
        print_error("(cannot read %s: %s)\n", path, strerror(errno));
        return;
    }
    size_t len = strlen(text);
    const char *start = text + len;
    int lines = 0;
    while (start > text && lines <= LOG_TAIL_LINES) {
        start--;
        if (*start == '\n' && start + 1 < text + len)
            lines++;
    }
    if (lines > LOG_TAIL_LINES)
        start++;
    print_error("---- last lines of %s ----\n%s%s---- end ----\n", path, start,
                len > 0 && text[len - 1] != '\n' ? "\n" : "");
    free(text);
}

/*
 * The port on the first line of text that has event=listening: its port=N
 * field. 0 if no such line yet, -1 if the line has no usable port.
 */
static int listening_port(const char *text)
{
    for (const char *line = text; *line != '\0';) {
        const char *eol = strchr(line, '\n');
        if (eol == NULL)
            return 0; /* a line still being written */
        const char *ev = strstr(line, "event=listening");
        if (ev != NULL && ev < eol) {
            for (const char *p = line; p < eol; p++) {
                if ((p == line || p[-1] == ' ' || p[-1] == '\t') && strncmp(p, "port=", 5) == 0) {
                    char *end;
                    long port = strtol(p + 5, &end, 10);
                    bool ends = end == eol || *end == ' ' || *end == '\t' || *end == '\r';
                    return port > 0 && port < 65536 && ends ? (int)port : -1;
                }
            }
            return -1;
        }
        line = eol + 1;
    }
    return 0;
}

void harness_server_start(harness_server_t *srv, const harness_pki_t *pki, const char *conninfo,
                          const harness_server_opts_t *opts)
{
    static const harness_server_opts_t defaults;
    init();
    const harness_server_opts_t *o = opts != NULL ? opts : &defaults;
    if (srv->pid > 0 && is_child(srv->pid))
        hfail("harness_server_start: this server (pid %ld) is still running", (long)srv->pid);
    memset(srv, 0, sizeof(*srv));
    srv->status = -1;
    srv->stop_timeout_ms = o->stop_timeout_ms > 0 ? o->stop_timeout_ms : DEFAULT_SERVER_TIMEOUT_MS;
    new_server_dir(srv->dir, sizeof(srv->dir));
    write_server_config(srv->dir, srv->config, sizeof(srv->config), pki, conninfo, o);
    format(srv->log, sizeof(srv->log), "%s/thiduad.log", srv->dir);

    const char *argv[MAX_ARGS];
    size_t n = 0;
    argv[n++] = o->program != NULL ? o->program : harness_thiduad_path();
    argv[n++] = "--config";
    argv[n++] = srv->config;
    for (size_t i = 0; o->args != NULL && o->args[i] != NULL; i++) {
        if (n == MAX_ARGS - 1)
            hfail("too many server arguments");
        argv[n++] = o->args[i];
    }
    argv[n] = NULL;

    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int log = open(srv->log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (in < 0 || log < 0)
        hfail("cannot open /dev/null or %s: %s", srv->log, strerror(errno));
    srv->pid = spawn(argv, srv->dir, in, log, log);
    close(in);
    close(log);

    int timeout = o->start_timeout_ms > 0 ? o->start_timeout_ms : DEFAULT_SERVER_TIMEOUT_MS;
    int64_t deadline = now_ms() + timeout;
    for (;;) {
        char *text = read_file(srv->log);
        int port = text != NULL ? listening_port(text) : 0;
        free(text);
        if (port > 0) {
            srv->port = port;
            return;
        }
        char why[128];
        if (port < 0) {
            harness_server_kill(srv);
            print_log_tail(srv->log);
            hfail("%s logged event=listening without a port=N field", argv[0]);
        }
        int status = wait_until(srv->pid, now_ms());
        if (status != -1 || !is_child(srv->pid)) {
            srv->pid = 0;
            srv->status = status;
            print_log_tail(srv->log);
            hfail("%s %s before it was listening (config %s)", argv[0],
                  harness_status_str(status, why, sizeof(why)), srv->config);
        }
        if (ms_left(deadline) == 0) {
            harness_server_kill(srv);
            print_log_tail(srv->log);
            hfail("%s did not log event=listening within %d ms (config %s)", argv[0], timeout,
                  srv->config);
        }
        sleep_ms(POLL_STEP_MS);
    }
}

int harness_server_stop(harness_server_t *srv, int sig)
{
    if (srv->pid <= 0)
        return srv->dir[0] != '\0' ? srv->status : -1;
    int status = harness_child_stop(srv->pid, sig != 0 ? sig : SIGTERM,
                                    srv->stop_timeout_ms > 0 ? srv->stop_timeout_ms
                                                             : DEFAULT_SERVER_TIMEOUT_MS);
    srv->pid = 0;
    srv->status = status;
    return status;
}

int harness_server_kill(harness_server_t *srv)
{
    return harness_server_stop(srv, SIGKILL);
}

bool harness_server_log_contains(const harness_server_t *srv, const char *needle)
{
    char *text = read_file(srv->log);
    bool found = text != NULL && strstr(text, needle) != NULL;
    free(text);
    return found;
}

bool harness_server_wait_log(const harness_server_t *srv, const char *needle, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        if (harness_server_log_contains(srv, needle))
            return true;
        if (ms_left(deadline) == 0)
            return false;
        sleep_ms(POLL_STEP_MS);
    }
}

/* ------------------------------------------------------------------------- */
/* thidua */

void harness_client_config(const char *dir, const char *unit, const char *role,
                           const harness_pki_t *pki, int port, char *path_out, size_t size)
{
    char name[64];
    format(name, sizeof(name), "%s-%s", unit, role);
    const harness_cert_t *c = harness_pki_cert(pki, name);
    if (dir == NULL)
        dir = harness_tmpdir();
    else
        make_dirs(dir, 0755);
    format(path_out, size, "%s/%s.ini", dir, name);
    char text[4 * HARNESS_PATH_MAX + 256];
    format(text, sizeof(text),
           "; thidua configuration written by the integration test harness\n"
           "[server]\naddress = 127.0.0.1:%d\n\n"
           "[tls]\nca = %s\ncert = %s\nkey = %s\n\n"
           "[store]\npath = %s/%s.db\n",
           port, pki->ca, c->cert, c->key, dir, unit);
    harness_write_file(path_out, text);
}

void harness_teardown(harness_server_t *srv, const char *conninfo)
{
    if (srv->pid > 0)
        harness_server_stop(srv, SIGTERM);
    harness_db_drop(conninfo);
    harness_cleanup();
}

/* ------------------------------------------------------------------------- */
/* The raw connection */

THIDUA_PRINTF(3, 4)
static harness_io_t conn_result(harness_conn_t *c, harness_io_t r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->error, sizeof(c->error), fmt, ap);
    va_end(ap);
    return r;
}

/* Wait until fd is ready for events, or the deadline. */
static harness_io_t conn_wait(harness_conn_t *c, short events, int64_t deadline)
{
    for (;;) {
        struct pollfd p = {.fd = c->fd, .events = events};
        int left = ms_left(deadline);
        if (left == 0)
            return conn_result(c, HARNESS_IO_TIMEOUT, "timed out waiting to %s",
                               events == POLLIN ? "read" : "write");
        int r = poll(&p, 1, left);
        if (r > 0)
            return HARNESS_IO_OK;
        if (r < 0 && errno != EINTR)
            return conn_result(c, HARNESS_IO_ERROR, "poll: %s", strerror(errno));
    }
}

/*
 * What an SSL_* call that did not succeed means: ssl_err from SSL_get_error,
 * sys_errno saved right after the call. Reads (and empties) OpenSSL's error
 * queue into conn->error.
 */
static harness_io_t ssl_failure(harness_conn_t *c, const char *what, int ssl_err, int sys_errno)
{
    char reasons[384] = "";
    size_t len = 0;
    bool eof = false;
    unsigned long e;
    while ((e = ERR_get_error()) != 0) {
        if (ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
            eof = true;
        const char *r = ERR_reason_error_string(e);
        char code[32];
        if (r == NULL) {
            snprintf(code, sizeof(code), "error %lx", e);
            r = code;
        }
        if (len < sizeof(reasons))
            len += (size_t)snprintf(reasons + len, sizeof(reasons) - len, "%s%s",
                                    len > 0 ? "; " : "", r);
    }
    if (ssl_err == SSL_ERROR_ZERO_RETURN) {
        c->close_notify = true;
        return conn_result(c, HARNESS_IO_CLOSED, "%s: the peer closed with close_notify", what);
    }
    c->tls_up = false; /* no SSL_shutdown after a fatal error */
    if (ssl_err == SSL_ERROR_SYSCALL && reasons[0] == '\0') {
        if (sys_errno == 0)
            return conn_result(c, HARNESS_IO_CLOSED, "%s: EOF without close_notify", what);
        if (sys_errno == ECONNRESET || sys_errno == EPIPE)
            return conn_result(c, HARNESS_IO_CLOSED, "%s: %s", what, strerror(sys_errno));
        return conn_result(c, HARNESS_IO_ERROR, "%s: %s", what, strerror(sys_errno));
    }
    if (eof)
        return conn_result(c, HARNESS_IO_CLOSED, "%s: %s (no close_notify)", what, reasons);
    long vr = c->ssl != NULL ? SSL_get_verify_result(c->ssl) : X509_V_OK;
    if (vr != X509_V_OK)
        return conn_result(c, HARNESS_IO_ERROR, "%s: %s (verification: %s)", what,
                           reasons[0] != '\0' ? reasons : "TLS error",
                           X509_verify_cert_error_string(vr));
    return conn_result(c, HARNESS_IO_ERROR, "%s: %s", what,
                       reasons[0] != '\0' ? reasons : "TLS error without a reason");
}

harness_io_t harness_tcp_connect(harness_conn_t *c, int port)
{
    init();
    harness_conn_close(c);
    memset(c, 0, sizeof(*c));
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        hfail("socket: %s", strerror(errno));
    c->open = true;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
        return HARNESS_IO_OK;
    if (errno != EINPROGRESS)
        return conn_result(c, HARNESS_IO_ERROR, "connect to 127.0.0.1:%d: %s", port,
                           strerror(errno));
    harness_io_t r = conn_wait(c, POLLOUT, now_ms() + HARNESS_IO_TIMEOUT_MS);
    if (r != HARNESS_IO_OK)
        return r;
    int err = 0;
    socklen_t elen = sizeof(err);
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
        err = errno;
    if (err != 0)
        return conn_result(c, HARNESS_IO_ERROR, "connect to 127.0.0.1:%d: %s", port, strerror(err));
    return HARNESS_IO_OK;
}

/* OpenSSL's reason for a failure while setting up (not the peer's doing). */
static const char *ssl_reason(void)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;
    return r != NULL ? r : "unknown OpenSSL error";
}

harness_io_t harness_tls_connect(harness_conn_t *c, int port, const char *ca,
                                 const harness_cert_t *client)
{
    harness_io_t r = harness_tcp_connect(c, port);
    if (r != HARNESS_IO_OK)
        return r;
    ERR_clear_error();
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (c->ctx == NULL)
        hfail("SSL_CTX_new: %s", ssl_reason());
    SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
    if (ca != NULL) {
        if (SSL_CTX_load_verify_file(c->ctx, ca) != 1)
            hfail("cannot load CA %s: %s", ca, ssl_reason());
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    } else {
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
    }
    if (client != NULL) {
        if (SSL_CTX_use_certificate_chain_file(c->ctx, client->cert) != 1)
            hfail("cannot load certificate %s: %s", client->cert, ssl_reason());
        if (SSL_CTX_use_PrivateKey_file(c->ctx, client->key, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(c->ctx) != 1)
            hfail("cannot load key %s: %s", client->key, ssl_reason());
    }
    c->ssl = SSL_new(c->ctx);
    if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
        hfail("SSL_new: %s", ssl_reason());
    SSL_set_tlsext_host_name(c->ssl, "localhost");
    if (ca != NULL && X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), "127.0.0.1") != 1)
        hfail("X509_VERIFY_PARAM_set1_ip_asc: %s", ssl_reason());

    int64_t deadline = now_ms() + HARNESS_IO_TIMEOUT_MS;
    for (;;) {
        ERR_clear_error();
        errno = 0;
        int n = SSL_connect(c->ssl);
        int saved = errno;
        if (n == 1) {
            c->tls_up = true;
            c->error[0] = '\0';
            return HARNESS_IO_OK;
        }
        int err = SSL_get_error(c->ssl, n);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
            r = conn_wait(c, err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
            if (r != HARNESS_IO_OK)
                return r;
            continue;
        }
        return ssl_failure(c, "TLS handshake", err, saved);
    }
}

harness_io_t harness_conn_send(harness_conn_t *c, const void *data, size_t len)
{
    if (!c->open)
        return conn_result(c, HARNESS_IO_ERROR, "send: not connected");
    if (c->ssl != NULL && !c->tls_up)
        return conn_result(c, HARNESS_IO_ERROR, "send: TLS is not up (%s)", c->error);
    int64_t deadline = now_ms() + HARNESS_IO_TIMEOUT_MS;
    const char *p = data;
    while (len > 0) {
        size_t n = 0;
        if (c->ssl != NULL) {
            ERR_clear_error();
            errno = 0;
            int ok = SSL_write_ex(c->ssl, p, len, &n);
            int saved = errno;
            if (ok != 1) {
                int err = SSL_get_error(c->ssl, ok);
                if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
                    return ssl_failure(c, "send", err, saved);
                harness_io_t r =
                    conn_wait(c, err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
                if (r != HARNESS_IO_OK)
                    return r;
                continue; /* retried with the same arguments, as OpenSSL requires */
            }
        } else {
            ssize_t w = write(c->fd, p, len);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0 && errno == EAGAIN) {
                harness_io_t r = conn_wait(c, POLLOUT, deadline);
                if (r != HARNESS_IO_OK)
                    return r;
                continue;
            }
            if (w < 0)
                return conn_result(
                    c, errno == EPIPE || errno == ECONNRESET ? HARNESS_IO_CLOSED : HARNESS_IO_ERROR,
                    "send: %s", strerror(errno));
            n = (size_t)w;
        }
        p += n;
        len -= n;
    }
    return HARNESS_IO_OK;
}

harness_io_t harness_conn_send_envelope(harness_conn_t *c, const Thidua__V1__Envelope *env)
{
    size_t len = thidua__v1__envelope__get_packed_size(env);
    if (len > UINT32_MAX)
        hfail("an Envelope of %zu bytes does not fit a frame", len);
    uint8_t *frame = malloc(4 + (len > 0 ? len : 1));
    if (frame == NULL)
        hfail("out of memory for a frame of %zu bytes", len);
    frame[0] = (uint8_t)(len >> 24);
    frame[1] = (uint8_t)(len >> 16);
    frame[2] = (uint8_t)(len >> 8);
    frame[3] = (uint8_t)len;
    if (thidua__v1__envelope__pack(env, frame + 4) != len) {
        free(frame);
        hfail("thidua__v1__envelope__pack wrote an unexpected length");
    }
    harness_io_t r = harness_conn_send(c, frame, 4 + len);
    free(frame);
    return r;
}

/* Read at least one byte (at most len) into buf. */
static harness_io_t conn_read(harness_conn_t *c, void *buf, size_t len, size_t *got,
                              int64_t deadline)
{
    *got = 0;
    if (!c->open)
        return conn_result(c, HARNESS_IO_ERROR, "receive: not connected");
    if (c->ssl != NULL && !c->tls_up)
        return conn_result(c, c->close_notify ? HARNESS_IO_CLOSED : HARNESS_IO_ERROR,
                           "receive: TLS is not up (%s)", c->error);
    for (;;) {
        if (c->ssl != NULL) {
            ERR_clear_error();
            errno = 0;
            int ok = SSL_read_ex(c->ssl, buf, len, got);
            int saved = errno;
            if (ok == 1)
                return HARNESS_IO_OK;
            int err = SSL_get_error(c->ssl, ok);
            if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
                return ssl_failure(c, "receive", err, saved);
            harness_io_t r = conn_wait(c, err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
            if (r != HARNESS_IO_OK)
                return r;
            continue;
        }
        ssize_t n = read(c->fd, buf, len);
        if (n > 0) {
            *got = (size_t)n;
            return HARNESS_IO_OK;
        }
        if (n == 0)
            return conn_result(c, HARNESS_IO_CLOSED, "receive: EOF");
        if (errno == EINTR)
            continue;
        if (errno == ECONNRESET)
            return conn_result(c, HARNESS_IO_CLOSED, "receive: %s", strerror(errno));
        if (errno != EAGAIN)
            return conn_result(c, HARNESS_IO_ERROR, "receive: %s", strerror(errno));
        harness_io_t r = conn_wait(c, POLLIN, deadline);
        if (r != HARNESS_IO_OK)
            return r;
    }
}

/* Read exactly len bytes; *done says how many arrived. */
static harness_io_t conn_read_exact(harness_conn_t *c, uint8_t *buf, size_t len, size_t *done,
                                    int64_t deadline)
{
    *done = 0;
    while (*done < len) {
        size_t got;
        harness_io_t r = conn_read(c, buf + *done, len - *done, &got, deadline);
        if (r != HARNESS_IO_OK)
            return r;
        *done += got;
    }
    return HARNESS_IO_OK;
}

harness_io_t harness_conn_recv_envelope(harness_conn_t *c, int timeout_ms,
                                        Thidua__V1__Envelope **env)
{
    *env = NULL;
    int64_t deadline = now_ms() + timeout_ms;
    uint8_t hdr[4];
    size_t done;
    harness_io_t r = conn_read_exact(c, hdr, sizeof(hdr), &done, deadline);
    if (r == HARNESS_IO_CLOSED && done > 0)
        return conn_result(c, HARNESS_IO_ERROR, "closed after %zu of 4 header bytes (%s)", done,
                           c->error);
    if (r != HARNESS_IO_OK)
        return r;
    uint32_t len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
    if (len == 0)
        return conn_result(c, HARNESS_IO_ERROR, "a frame of length 0");
    if (len > MAX_RECV_FRAME)
        return conn_result(c, HARNESS_IO_ERROR, "a frame of length %u (more than %d)", len,
                           MAX_RECV_FRAME);
    uint8_t *payload = malloc(len);
    if (payload == NULL)
        hfail("out of memory for a frame of %u bytes", len);
    r = conn_read_exact(c, payload, len, &done, deadline);
    if (r != HARNESS_IO_OK) {
        free(payload);
        if (r == HARNESS_IO_CLOSED)
            return conn_result(c, HARNESS_IO_ERROR, "closed after %zu of %u payload bytes (%s)",
                               done, len, c->error);
        return r;
    }
    *env = thidua__v1__envelope__unpack(NULL, len, payload);
    free(payload);
    if (*env == NULL)
        return conn_result(c, HARNESS_IO_ERROR, "a frame of %u bytes that is not an Envelope", len);
    c->error[0] = '\0';
    return HARNESS_IO_OK;
}

harness_io_t harness_conn_call(harness_conn_t *c, const Thidua__V1__Envelope *env, int timeout_ms,
                               Thidua__V1__Envelope **reply)
{
    *reply = NULL;
    harness_io_t r = harness_conn_send_envelope(c, env);
    if (r != HARNESS_IO_OK)
        return r;
    return harness_conn_recv_envelope(c, timeout_ms, reply);
}

harness_io_t harness_conn_hello(harness_conn_t *c, uint64_t request_id, const char *client_version,
                                Thidua__V1__Envelope **reply)
{
    Thidua__V1__Hello h = THIDUA__V1__HELLO__INIT;
    h.protocol_version = 1;
    h.client_version = (char *)client_version;
    Thidua__V1__Envelope env = THIDUA__V1__ENVELOPE__INIT;
    env.body_case = THIDUA__V1__ENVELOPE__BODY_HELLO;
    env.hello = &h;
    env.request_id = request_id;
    return harness_conn_call(c, &env, HARNESS_IO_TIMEOUT_MS, reply);
}

harness_io_t harness_conn_wait_closed(harness_conn_t *c, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    uint8_t scratch[16384];
    for (;;) {
        size_t got;
        harness_io_t r = conn_read(c, scratch, sizeof(scratch), &got, deadline);
        if (r != HARNESS_IO_OK)
            return r;
    }
}

static void conn_free(harness_conn_t *c, bool notify)
{
    if (c->ssl != NULL) {
        if (notify && c->tls_up && c->open) {
            ERR_clear_error();
            SSL_shutdown(c->ssl); /* sends close_notify; the answer is not awaited */
        }
        SSL_free(c->ssl);
    }
    SSL_CTX_free(c->ctx);
    if (c->open)
        close(c->fd);
    c->ssl = NULL;
    c->ctx = NULL;
    c->open = false;
    c->tls_up = false;
    c->fd = -1;
    ERR_clear_error();
}

void harness_conn_close(harness_conn_t *c)
{
    conn_free(c, true);
}

void harness_conn_abort(harness_conn_t *c)
{
    conn_free(c, false);
}

/*
 * loadgen.c - thidua-load: many district clients at once against thiduad.
 *
 * The real client (client/net/rpc.c) runs one libuv loop per connection, which is
 * right for one office and wrong for five hundred: here every connection is a
 * tlsconn_t on ONE loop, speaking frames through the shared codec, so a single
 * process can hold hundreds of TLS sessions with little memory and no
 * threads.
 *
 * A run has two phases. Setup: every connection does TLS and Hello (at most
 * --handshakes at a time) and waits for Welcome; the time this takes is
 * reported. Then, once every connection is ready, the data is prepared
 * (records are generated, validated, hashed and packed into frames before the
 * clock starts, so the generator's own CPU does not count against the server)
 * and the measured phase starts on all connections together: each keeps
 * --pipeline requests in flight until it has sent its share.
 *
 * Every answer is checked: the request id, the body type, each ack's id and
 * status (APPLIED, or DUPLICATE when the same seed is pushed again). Anything
 * else fails the connection, and any failed connection makes the exit status 1.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "benchgen.h"
#include "benchopt.h"
#include "benchstat.h"
#include "envelope.h"
#include "frame.h"
#include "text.h"
#include "tls.h"
#include "tlsconn.h"
#include "version.h"

#define LG_PROG "thidua-load"
#define LG_CLIENT_VERSION "thidua-load/" THIDUA_VERSION
#define LG_MAX_UNITS 8
#define LG_FIRST_UNIT 930
#define LG_MAX_ERRORS_SHOWN 10
#define LG_HELLO_ID 1

typedef enum { LG_PING, LG_PUSH, LG_PULL, LG_LIST } lg_mode_t;

static const char *const lg_mode_names[] = {"ping", "push", "pull", "list"};

typedef struct {
    const char *host;
    uint16_t port;
    const char *ca;
    const char *cert_dir;
    const char *cert;
    const char *key;
    unsigned connections;
    uint64_t count;
    unsigned batch;
    unsigned pipeline;
    unsigned handshakes;
    double timeout_s;
    lg_mode_t mode;
    uint64_t rate; /* requests per second over all connections (open loop); 0: as fast as answered */
    uint32_t offset; /* list: the page's offset in the listing */
    bool json;
    long server_pid;
    uint64_t seed;
} lg_options_t;

typedef enum {
    LGC_WAITING = 0, /* not started yet (--handshakes) */
    LGC_SETUP,       /* TLS and Hello under way */
    LGC_READY,       /* Welcome received; waiting for the others */
    LGC_RUNNING,     /* the measured phase */
    LGC_DONE,        /* everything answered (or stopped without fault) */
    LGC_FAILED,
} lg_conn_state_t;

/* One request in flight. */
typedef struct {
    uint64_t id;
    uint64_t sent_ns;
    uint32_t item; /* push: batch index; pull: chain */
} lg_pending_t;

/* One prepared push: where its frame lies in frames, which records it carries. */
typedef struct {
    size_t off, len;
    uint32_t first, n;
} lg_batch_t;

typedef struct lg lg_t;

/*
 * One client connection. Owns its decoder, arena, ring, frames, batches,
 * ids, cursors and latency samples; the tlsconn's memory is this struct, so
 * the struct lives (in lg->conns) until the loop has ended.
 */
typedef struct {
    tlsconn_t tls; /* first: tlsconn_data() is set to the conn anyway */
    lg_t *lg;
    unsigned index;
    lg_conn_state_t state;
    bool started; /* tlsconn_connect returned 0: on_close will come */
    bool closed;  /* on_close ran, or the connection never started */
    frame_decoder_t dec;
    envelope_arena_t arena;
    uint64_t t_connect_ns;
    char unit[65];
    uint64_t next_id;
    lg_pending_t *ring; /* pipeline entries, FIFO */
    unsigned ring_head, ring_n;
    uint64_t to_send, sent, answered;
    /* push */
    frame_buf_t frames;
    lg_batch_t *batches;
    char (*ids)[UUID_STR_SIZE];
    uint64_t nrecords;
    /* pull */
    uint64_t *cursors;    /* one per chain */
    uint32_t *free_chain; /* stack of chains with nothing in flight */
    unsigned nfree;
    /* results */
    bench_lat_t lat;
    uint64_t items, applied, duplicate;
} lg_conn_t;

/* The whole run. Owns the contexts, the connections and the campaign copy. */
struct lg {
    lg_options_t opt;
    uv_loop_t *loop;
    SSL_CTX *ctx[LG_MAX_UNITS];
    unsigned nctx;
    lg_conn_t *conns;
    unsigned next_start; /* index of the next connection to start */
    unsigned in_setup, ready, failed, closed;
    uv_timer_t timer;
    bool timer_closed;
    /* --rate: a tick every millisecond grants the requests due since the start. */
    uv_timer_t rate_timer;
    uint64_t granted;       /* requests granted so far */
    uint64_t credit;        /* granted and not sent yet */
    uint64_t backlog_max;   /* most granted requests no connection could take at a tick */
    unsigned rate_next;     /* the connection the next tick offers a request first */
    bool stopping; /* no new connections, no new phase */
    bool running;  /* the setup phase is over */
    bool measured; /* the measured phase ran to its end */
    unsigned running_left;
    Thidua__V1__Campaign *campaign; /* from the first Welcome (protobuf-c malloc'd) */
    uint32_t max_batch;
    double t_setup0, t_ready, t_prep, t_run0, t_run1;
    /* CPU seconds at the start and the end of the measured phase. */
    double cpu_server0, cpu_server1, cpu_own0, cpu_own1, busy0, busy1, total0, total1;
    bench_lat_t setup;
    frame_buf_t scratch;
    unsigned errors_shown;
    uint64_t pending_total;
};

static void lg_conn_pump(lg_conn_t *c);
static void lg_start_more(lg_t *lg);
static void lg_maybe_run(lg_t *lg);

/* ---- CPU accounting ---- */

/* CPU used so far by the server, by us and by the machine; end 0 at the start, 1 at the end. */
static void lg_sample_cpu(lg_t *lg, int end)
{
    double server = lg->opt.server_pid > 0 ? bench_cpu_seconds((pid_t)lg->opt.server_pid) : -1;
    double own = bench_cpu_seconds(0), busy = 0, total = 0;
    if (bench_machine_cpu(&busy, &total) != 0)
        busy = total = 0;
    if (end) {
        lg->cpu_server1 = server;
        lg->cpu_own1 = own;
        lg->busy1 = busy;
        lg->total1 = total;
    } else {
        lg->cpu_server0 = server;
        lg->cpu_own0 = own;
        lg->busy0 = busy;
        lg->total0 = total;
    }
}

/* ---- failure and the end of connections ---- */

static void lg_maybe_end(lg_t *lg)
{
    if (lg->timer_closed || (lg->next_start < lg->opt.connections && !lg->stopping))
        return;
    for (unsigned i = 0; i < lg->opt.connections; i++) {
        if (lg->conns[i].started && !lg->conns[i].closed)
            return;
    }
    lg->timer_closed = true;
    uv_close((uv_handle_t *)&lg->timer, NULL);
    uv_close((uv_handle_t *)&lg->rate_timer, NULL);
}

static void lg_conn_finish(lg_conn_t *c, lg_conn_state_t state)
{
    lg_t *lg = c->lg;
    lg_conn_state_t was = c->state;
    if (was == LGC_DONE || was == LGC_FAILED)
        return;
    c->state = state;
    if (state == LGC_FAILED)
        lg->failed++;
    if (was == LGC_SETUP)
        lg->in_setup--;
    if (was == LGC_READY)
        lg->ready--;
    if (was == LGC_RUNNING && lg->running_left > 0 && --lg->running_left == 0) {
        lg->t_run1 = bench_now();
        lg_sample_cpu(lg, 1);
        lg->measured = true;
    }
    if (c->started && !c->closed) {
        if (state == LGC_FAILED)
            tlsconn_abort(&c->tls);
        else
            tlsconn_shutdown(&c->tls);
    }
    if (was == LGC_SETUP) {
        lg_start_more(lg);
        lg_maybe_run(lg);
    }
    lg_maybe_end(lg);
}

static void lg_conn_fail(lg_conn_t *c, const char *fmt, ...) THIDUA_PRINTF(2, 3);

static void lg_conn_fail(lg_conn_t *c, const char *fmt, ...)
{
    lg_t *lg = c->lg;
    if (c->state == LGC_DONE || c->state == LGC_FAILED)
        return;
    if (lg->errors_shown < LG_MAX_ERRORS_SHOWN) {
        char msg[600];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        fprintf(stderr, "thidua-load: connection %u (unit %s): %s\n", c->index,
                c->unit[0] ? c->unit : "?", msg);
    } else if (lg->errors_shown == LG_MAX_ERRORS_SHOWN) {
        fprintf(stderr, "thidua-load: more connections failed; not showing them\n");
    }
    lg->errors_shown++;
    lg_conn_finish(c, LGC_FAILED);
}

static void lg_conn_release(lg_conn_t *c)
{
    frame_decoder_free(&c->dec);
    envelope_arena_free(&c->arena);
    frame_buf_free(&c->frames);
    free(c->ring);
    free(c->batches);
    free(c->ids);
    free(c->cursors);
    free(c->free_chain);
    c->ring = NULL;
    c->batches = NULL;
    c->ids = NULL;
    c->cursors = NULL;
    c->free_chain = NULL;
}

static void lg_on_close(tlsconn_t *t, tlsconn_close_t reason, const char *message)
{
    lg_conn_t *c = tlsconn_data(t);
    c->closed = true;
    c->lg->closed++;
    if (c->state != LGC_DONE && c->state != LGC_FAILED)
        lg_conn_fail(c, "connection closed (%s)%s%s", tlsconn_close_name(reason),
                     message[0] ? ": " : "", message);
    lg_maybe_end(c->lg);
}

/* ---- requests ---- */

static int lg_send(lg_conn_t *c, const ProtobufCMessage *body, uint64_t id)
{
    lg_t *lg = c->lg;
    envelope_error_t err;
    if (envelope_pack(&lg->scratch, id, body, 0, &err) != 0) {
        lg_conn_fail(c, "cannot pack a request: %s", err.message);
        return -1;
    }
    int rc = tlsconn_write(&c->tls, lg->scratch.data, lg->scratch.len);
    frame_buf_consume(&lg->scratch, lg->scratch.len);
    if (rc != 0) {
        lg_conn_fail(c, "cannot send: %s", uv_strerror(rc));
        return -1;
    }
    return 0;
}

/*
 * Send one request if the connection may: running, its pipeline not full,
 * its share not all sent and, under --rate, a request granted. True if sent.
 */
static bool lg_conn_send_one(lg_conn_t *c)
{
    lg_t *lg = c->lg;
    const lg_options_t *o = &lg->opt;
    if (c->state != LGC_RUNNING || c->ring_n >= o->pipeline || c->sent >= c->to_send ||
        (o->rate > 0 && lg->credit == 0))
        return false;
    lg_pending_t p = {.id = ++c->next_id};
    int rc = 0;
    if (o->mode == LG_PING) {
        Thidua__V1__Ping ping = THIDUA__V1__PING__INIT;
        ping.nonce = p.id;
        rc = lg_send(c, &ping.base, p.id);
    } else if (o->mode == LG_PUSH) {
        const lg_batch_t *b = &c->batches[c->sent];
        p.item = (uint32_t)c->sent;
        rc = tlsconn_write(&c->tls, c->frames.data + b->off, b->len);
        if (rc != 0) {
            lg_conn_fail(c, "cannot send: %s", uv_strerror(rc));
            return false;
        }
    } else if (o->mode == LG_LIST) {
        Thidua__V1__ListRecordsRequest list = THIDUA__V1__LIST_RECORDS_REQUEST__INIT;
        list.offset = o->offset;
        list.limit = o->batch;
        rc = lg_send(c, &list.base, p.id);
    } else {
        p.item = c->free_chain[--c->nfree];
        Thidua__V1__PullRequest pull = THIDUA__V1__PULL_REQUEST__INIT;
        pull.cursor = c->cursors[p.item];
        pull.limit = o->batch;
        rc = lg_send(c, &pull.base, p.id);
    }
    if (rc != 0)
        return false;
    p.sent_ns = uv_hrtime();
    c->ring[(c->ring_head + c->ring_n) % o->pipeline] = p;
    c->ring_n++;
    c->sent++;
    if (o->rate > 0)
        lg->credit--;
    return true;
}

/* Send requests until the pipeline is full or the connection's share is sent. */
static void lg_conn_pump(lg_conn_t *c)
{
    while (lg_conn_send_one(c))
        ;
}

/*
 * --rate: grant the requests due by now and offer them to the connections in
 * turn, one each per pass. What none can take (every pipeline full) waits
 * for answers; the largest such backlog is reported, since latencies
 * measured while requests wait to be sent flatter the server.
 */
static void lg_on_rate_tick(uv_timer_t *t)
{
    lg_t *lg = t->data;
    const lg_options_t *o = &lg->opt;
    if (!lg->running || lg->running_left == 0) {
        uv_timer_stop(t);
        return;
    }
    uint64_t due = (uint64_t)((bench_now() - lg->t_run0) * (double)o->rate);
    if (due > lg->granted) {
        lg->credit += due - lg->granted;
        lg->granted = due;
    }
    bool sent = true;
    while (lg->credit > 0 && sent) {
        sent = false;
        for (unsigned k = 0; k < o->connections && lg->credit > 0; k++)
            sent |= lg_conn_send_one(&lg->conns[(lg->rate_next + k) % o->connections]);
        lg->rate_next = (lg->rate_next + 1) % o->connections;
    }
    /* Left over: more than the connections that still have requests to send could take. */
    if (lg->credit > lg->backlog_max)
        lg->backlog_max = lg->credit;
}

static const char *lg_ack_status_name(int st)
{
    static const char *const names[] = {
        "STATUS_UNSPECIFIED", "APPLIED", "DUPLICATE", "STALE",
        "CONFLICT",           "LOCKED",  "REJECTED",  "PERMISSION_DENIED"};
    return st >= 0 && (size_t)st < THIDUA_ARRAY_LEN(names) ? names[st] : "unknown";
}

/* Check one answer of the measured phase; returns the weight of its latency, 0 on failure. */
static uint32_t lg_conn_check(lg_conn_t *c, const lg_pending_t *p, const Thidua__V1__Envelope *env)
{
    const lg_options_t *o = &c->lg->opt;
    if (o->mode == LG_PING) {
        if (env->body_case != THIDUA__V1__ENVELOPE__BODY_PONG || env->pong->nonce != p->id) {
            lg_conn_fail(c, "Ping %" PRIu64 " answered with %s", p->id,
                         envelope_body_name(env->body_case));
            return 0;
        }
        c->items++;
        return 1;
    }
    if (o->mode == LG_LIST) {
        if (env->body_case != THIDUA__V1__ENVELOPE__BODY_LIST_RECORDS_RESPONSE) {
            lg_conn_fail(c, "ListRecordsRequest answered with %s",
                         envelope_body_name(env->body_case));
            return 0;
        }
        /* A page that is not full before the end of the listing is a wrong answer. */
        const Thidua__V1__ListRecordsResponse *r = env->list_records_response;
        uint64_t want = r->total > o->offset ? r->total - o->offset : 0;
        if (want > o->batch)
            want = o->batch;
        if (r->n_records != want) {
            lg_conn_fail(c, "ListRecords at %" PRIu32 " of %" PRIu32 ": %zu records, not %" PRIu64,
                         o->offset, r->total, r->n_records, want);
            return 0;
        }
        c->items += r->n_records;
        return 1;
    }
    if (o->mode == LG_PULL) {
        if (env->body_case != THIDUA__V1__ENVELOPE__BODY_PULL_RESPONSE) {
            lg_conn_fail(c, "PullRequest answered with %s", envelope_body_name(env->body_case));
            return 0;
        }
        const Thidua__V1__PullResponse *r = env->pull_response;
        c->items += r->n_changes;
        c->cursors[p->item] = r->has_more ? r->next_cursor : 0;
        c->free_chain[c->nfree++] = p->item;
        return 1;
    }

    const lg_batch_t *b = &c->batches[p->item];
    if (env->body_case != THIDUA__V1__ENVELOPE__BODY_PUSH_RESPONSE) {
        lg_conn_fail(c, "PushRequest answered with %s", envelope_body_name(env->body_case));
        return 0;
    }
    const Thidua__V1__PushResponse *r = env->push_response;
    if (r->n_acks != b->n) {
        lg_conn_fail(c, "%zu acks for a push of %" PRIu32 " records", r->n_acks, b->n);
        return 0;
    }
    for (size_t i = 0; i < r->n_acks; i++) {
        const Thidua__V1__RecordAck *a = r->acks[i];
        const char *want = c->ids[b->first + i];
        if (a->id == NULL || strcmp(a->id, want) != 0) {
            lg_conn_fail(c, "ack %zu is for %s, the record sent was %s", i,
                         a->id ? a->id : "(none)", want);
            return 0;
        }
        if (a->status == THIDUA__V1__RECORD_ACK__STATUS__APPLIED) {
            c->applied++;
        } else if (a->status == THIDUA__V1__RECORD_ACK__STATUS__DUPLICATE) {
            c->duplicate++;
        } else {
            lg_conn_fail(c, "record %s: %s%s%s%s%s", want, lg_ack_status_name((int)a->status),
                         a->field && a->field[0] ? " field " : "", a->field ? a->field : "",
                         a->message && a->message[0] ? ": " : "", a->message ? a->message : "");
            return 0;
        }
    }
    c->items += b->n;
    return b->n;
}

static void lg_conn_welcome(lg_conn_t *c, const Thidua__V1__Envelope *env, const uint8_t *raw,
                            size_t len)
{
    lg_t *lg = c->lg;
    if (env->body_case != THIDUA__V1__ENVELOPE__BODY_WELCOME || env->request_id != LG_HELLO_ID) {
        lg_conn_fail(c, "Hello answered with %s", envelope_body_name(env->body_case));
        return;
    }
    const Thidua__V1__Welcome *w = env->welcome;
    snprintf(c->unit, sizeof(c->unit), "%s", w->org_unit ? w->org_unit : "");
    if (lg->campaign == NULL && w->campaign != NULL) {
        /* Already checked by envelope_unpack: a plain unpack gives an owned copy. */
        Thidua__V1__Envelope *copy = thidua__v1__envelope__unpack(NULL, len, raw);
        if (copy == NULL) {
            lg_conn_fail(c, "out of memory");
            return;
        }
        lg->campaign = copy->welcome->campaign;
        copy->welcome->campaign = NULL;
        thidua__v1__envelope__free_unpacked(copy, NULL);
        lg->max_batch = w->limits ? w->limits->max_batch : 0;
    }
    if (bench_lat_add(&lg->setup, (double)(uv_hrtime() - c->t_connect_ns) / 1e6, 1) != 0) {
        lg_conn_fail(c, "out of memory");
        return;
    }
    c->state = LGC_READY;
    lg->in_setup--;
    lg->ready++;
    lg_start_more(lg);
    lg_maybe_run(lg);
}

static void lg_conn_frame(lg_conn_t *c, const Thidua__V1__Envelope *env, const uint8_t *raw,
                          size_t len)
{
    if (env->body_case == THIDUA__V1__ENVELOPE__BODY_ERROR) {
        const Thidua__V1__Error *e = env->error;
        lg_conn_fail(c, "server Error code %d%s%s: %s", (int)e->code,
                     e->field && e->field[0] ? " field " : "", e->field ? e->field : "",
                     e->message ? e->message : "");
        return;
    }
    if (c->state == LGC_SETUP) {
        lg_conn_welcome(c, env, raw, len);
        return;
    }
    if (c->state != LGC_RUNNING || c->ring_n == 0) {
        lg_conn_fail(c, "unexpected %s from the server", envelope_body_name(env->body_case));
        return;
    }
    const lg_options_t *o = &c->lg->opt;
    lg_pending_t p = c->ring[c->ring_head];
    c->ring_head = (c->ring_head + 1) % o->pipeline;
    c->ring_n--;
    if (env->request_id != p.id) {
        lg_conn_fail(c, "answer to request %" PRIu64 " while %" PRIu64 " was the oldest",
                     env->request_id, p.id);
        return;
    }
    double ms = (double)(uv_hrtime() - p.sent_ns) / 1e6;
    uint32_t weight = lg_conn_check(c, &p, env);
    if (weight == 0)
        return;
    if (bench_lat_add(&c->lat, ms, weight) != 0) {
        lg_conn_fail(c, "out of memory");
        return;
    }
    c->answered++;
    if (c->answered == c->to_send) {
        lg_conn_finish(c, LGC_DONE);
        return;
    }
    lg_conn_pump(c);
}

static void lg_on_read(tlsconn_t *t, const char *data, size_t len)
{
    lg_conn_t *c = tlsconn_data(t);
    if (c->state == LGC_DONE || c->state == LGC_FAILED)
        return;
    if (frame_decoder_feed(&c->dec, data, len) != 0) {
        lg_conn_fail(c, "bad frame: %s", frame_decoder_strerror(&c->dec));
        return;
    }
    for (;;) {
        frame_t f;
        int rc = frame_decoder_next(&c->dec, &f);
        if (rc == 0)
            return;
        if (rc < 0) {
            lg_conn_fail(c, "bad frame: %s", frame_decoder_strerror(&c->dec));
            return;
        }
        Thidua__V1__Envelope *env;
        envelope_error_t err;
        if (envelope_unpack(&c->arena, f.data, f.len, &env, &err) != 0) {
            lg_conn_fail(c, "unreadable answer: %s", err.message);
            return;
        }
        lg_conn_frame(c, env, f.data, f.len);
        if (c->state == LGC_DONE || c->state == LGC_FAILED)
            return;
    }
}

/* ---- setup ---- */

static void lg_conn_start(lg_conn_t *c)
{
    lg_t *lg = c->lg;
    c->state = LGC_SETUP;
    lg->in_setup++;
    c->t_connect_ns = uv_hrtime();
    if (frame_decoder_init(&c->dec, 0) != 0) {
        c->closed = true;
        lg_conn_fail(c, "cannot set up a frame decoder");
        return;
    }
    envelope_arena_init(&c->arena);
    tlsconn_options_t topt = {
        .on_read = lg_on_read,
        .on_close = lg_on_close,
        .data = c,
        .handshake_timeout_ms = (uint64_t)(lg->opt.timeout_s * 1000),
    };
    int rc = tlsconn_connect(&c->tls, lg->loop, lg->ctx[c->index % lg->nctx], lg->opt.host,
                             lg->opt.port, &topt);
    if (rc != 0) {
        c->closed = true;
        lg_conn_fail(c, "cannot connect to %s:%u: %s", lg->opt.host, lg->opt.port, uv_strerror(rc));
        return;
    }
    c->started = true;
    c->next_id = LG_HELLO_ID;
    Thidua__V1__Hello hello = THIDUA__V1__HELLO__INIT;
    hello.protocol_version = THIDUA_PROTOCOL_VERSION;
    hello.client_version = LG_CLIENT_VERSION;
    (void)lg_send(c, &hello.base, LG_HELLO_ID);
}

static void lg_start_more(lg_t *lg)
{
    while (!lg->stopping && lg->next_start < lg->opt.connections &&
           lg->in_setup < lg->opt.handshakes)
        lg_conn_start(&lg->conns[lg->next_start++]);
}

/* Generate, validate, hash and pack one connection's records. */
static int lg_conn_prepare_push(lg_conn_t *c, char *err, size_t errlen)
{
    lg_t *lg = c->lg;
    const lg_options_t *o = &lg->opt;
    uint64_t n = c->nrecords;
    size_t nb = (size_t)((n + o->batch - 1) / o->batch);
    c->batches = calloc(nb ? nb : 1, sizeof(*c->batches));
    c->ids = calloc(n ? n : 1, sizeof(*c->ids));
    Thidua__V1__Record *recs = calloc(o->batch, sizeof(*recs));
    Thidua__V1__Record **recp = calloc(o->batch, sizeof(*recp));
    record_t *owned = calloc(o->batch, sizeof(*owned));
    uint8_t(*hashes)[RECORD_HASH_LEN] = calloc(o->batch, sizeof(*hashes));
    int rc = -1;
    benchgen_t g;
    if (c->batches == NULL || c->ids == NULL || recs == NULL || recp == NULL || owned == NULL ||
        hashes == NULL) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    if (benchgen_init(&g, lg->campaign, c->unit, o->seed, c->index, err, errlen) != 0)
        goto done;
    for (uint64_t first = 0; first < n; first += o->batch) {
        uint32_t k = (uint32_t)(n - first < o->batch ? n - first : o->batch);
        uint32_t made = 0;
        for (; made < k; made++) {
            if (benchgen_record(&g, &owned[made], hashes[made], err, errlen) != 0)
                break;
            thidua__v1__record__init(&recs[made]);
            record_to_proto(&owned[made], &recs[made]);
            recs[made].content_hash.data = hashes[made];
            recs[made].content_hash.len = RECORD_HASH_LEN;
            recp[made] = &recs[made];
            memcpy(c->ids[first + made], owned[made].id, UUID_STR_SIZE);
        }
        int packed = -1;
        if (made == k) {
            Thidua__V1__PushRequest push = THIDUA__V1__PUSH_REQUEST__INIT;
            push.n_records = k;
            push.records = recp;
            lg_batch_t *b = &c->batches[c->to_send];
            b->off = c->frames.len;
            b->first = (uint32_t)first;
            b->n = k;
            envelope_error_t eerr;
            packed = envelope_pack(&c->frames, c->next_id + 1 + c->to_send, &push.base, 0, &eerr);
            if (packed != 0)
                snprintf(err, errlen, "cannot pack a push: %s", eerr.message);
            b->len = c->frames.len - b->off;
        }
        for (uint32_t i = 0; i < made; i++)
            record_free(&owned[i]);
        if (packed != 0)
            goto done;
        c->to_send++;
    }
    rc = 0;
done:
    free(recs);
    free(recp);
    free(owned);
    free(hashes);
    return rc;
}

/* Give every ready connection its share and its buffers. */
static int lg_prepare(lg_t *lg, char *err, size_t errlen)
{
    const lg_options_t *o = &lg->opt;
    if (o->mode == LG_PUSH) {
        if (lg->campaign == NULL) {
            snprintf(err, errlen, "the server's Welcome carried no campaign");
            return -1;
        }
        if (lg->max_batch != 0 && o->batch > lg->max_batch) {
            snprintf(err, errlen, "--batch %u is above the server's max_batch %u", o->batch,
                     lg->max_batch);
            return -1;
        }
    }
    for (unsigned i = 0; i < o->connections; i++) {
        lg_conn_t *c = &lg->conns[i];
        if (c->state != LGC_READY)
            continue;
        c->ring = calloc(o->pipeline, sizeof(*c->ring));
        c->cursors = calloc(o->pipeline, sizeof(*c->cursors));
        c->free_chain = calloc(o->pipeline, sizeof(*c->free_chain));
        if (c->ring == NULL || c->cursors == NULL || c->free_chain == NULL) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        for (unsigned k = 0; k < o->pipeline; k++)
            c->free_chain[c->nfree++] = o->pipeline - 1 - k;
        if (o->mode == LG_PUSH) {
            c->nrecords = o->count / o->connections + (i < o->count % o->connections ? 1 : 0);
            if (lg_conn_prepare_push(c, err, errlen) != 0)
                return -1;
        } else {
            c->to_send = o->count;
        }
    }
    return 0;
}

/* Once every connection is ready or failed: prepare, then start the measured phase. */
static void lg_maybe_run(lg_t *lg)
{
    if (lg->running || lg->stopping || lg->next_start < lg->opt.connections || lg->in_setup > 0)
        return;
    lg->running = true;
    lg->t_ready = bench_now();
    if (lg->failed > 0) {
        fprintf(stderr, "thidua-load: %u of %u connections failed during setup; stopping\n",
                lg->failed, lg->opt.connections);
        lg->stopping = true;
    } else {
        char err[600];
        if (lg_prepare(lg, err, sizeof(err)) != 0) {
            fprintf(stderr, "thidua-load: %s\n", err);
            lg->stopping = true;
            lg->failed++;
        }
    }
    lg->t_prep = bench_now();
    lg_sample_cpu(lg, 0);
    lg->t_run0 = lg->t_run1 = bench_now();
    for (unsigned i = 0; i < lg->opt.connections; i++) {
        lg_conn_t *c = &lg->conns[i];
        if (c->state != LGC_READY)
            continue;
        if (lg->stopping) {
            lg_conn_finish(c, LGC_DONE);
            continue;
        }
        c->state = LGC_RUNNING;
        lg->ready--;
        lg->running_left++;
    }
    for (unsigned i = 0; i < lg->opt.connections && !lg->stopping; i++) {
        lg_conn_t *c = &lg->conns[i];
        if (c->state != LGC_RUNNING)
            continue;
        if (c->to_send == 0)
            lg_conn_finish(c, LGC_DONE);
        else
            lg_conn_pump(c);
    }
    if (lg->opt.rate > 0 && !lg->stopping)
        uv_timer_start(&lg->rate_timer, lg_on_rate_tick, 1, 1);
    lg_maybe_end(lg);
}

static void lg_on_timeout(uv_timer_t *t)
{
    lg_t *lg = t->data;
    fprintf(stderr, "thidua-load: the run did not finish within %.0f s\n", lg->opt.timeout_s);
    lg->stopping = true;
    for (unsigned i = 0; i < lg->opt.connections; i++) {
        lg_conn_t *c = &lg->conns[i];
        if (c->state == LGC_WAITING) {
            c->state = LGC_FAILED;
            lg->failed++;
        } else {
            lg_conn_fail(c, "timed out after %" PRIu64 " of %" PRIu64 " answers", c->answered,
                         c->to_send);
        }
    }
    lg_maybe_end(lg);
}

/* ---- contexts ---- */

static int lg_contexts(lg_t *lg, char *err, size_t errlen)
{
    const lg_options_t *o = &lg->opt;
    char ca[1024], cert[1024], key[1024], tlserr[TLS_ERRLEN];
    if (o->ca != NULL)
        snprintf(ca, sizeof(ca), "%s", o->ca);
    else
        snprintf(ca, sizeof(ca), "%s/ca.crt", o->cert_dir);
    lg->nctx = o->cert_dir != NULL ? LG_MAX_UNITS : 1;
    if (lg->nctx > o->connections)
        lg->nctx = o->connections;
    for (unsigned i = 0; i < lg->nctx; i++) {
        if (o->cert_dir != NULL) {
            snprintf(cert, sizeof(cert), "%s/clients/%u-district.crt", o->cert_dir,
                     LG_FIRST_UNIT + i);
            snprintf(key, sizeof(key), "%s/clients/%u-district.key", o->cert_dir,
                     LG_FIRST_UNIT + i);
        } else {
            snprintf(cert, sizeof(cert), "%s", o->cert);
            snprintf(key, sizeof(key), "%s", o->key);
        }
        tls_files_t files = {ca, cert, key, NULL};
        lg->ctx[i] = tls_client_ctx_new(&files, tlserr, sizeof(tlserr));
        if (lg->ctx[i] == NULL) {
            snprintf(err, errlen, "%s", tlserr);
            return -1;
        }
    }
    return 0;
}

/* ---- report ---- */

typedef struct {
    unsigned ok;
    uint64_t requests, items, applied, duplicate;
    double elapsed, rate, p50, p99, max;
    double setup_s, setup_p50, setup_p99, setup_max;
    long server_rss, own_rss;
    double server_cpu, own_cpu, busy_pct; /* over the measured phase; -1 unknown */
} lg_report_t;

static int lg_collect(lg_t *lg, lg_report_t *r)
{
    bench_lat_t all;
    bench_lat_init(&all);
    memset(r, 0, sizeof(*r));
    int rc = 0;
    for (unsigned i = 0; i < lg->opt.connections; i++) {
        lg_conn_t *c = &lg->conns[i];
        if (lg->measured && c->state == LGC_DONE && c->answered == c->to_send)
            r->ok++;
        r->requests += c->answered;
        r->items += c->items;
        r->applied += c->applied;
        r->duplicate += c->duplicate;
        if (bench_lat_merge(&all, &c->lat) != 0)
            rc = -1;
    }
    r->elapsed = lg->t_run1 - lg->t_run0;
    r->rate = r->elapsed > 0 ? (double)r->items / r->elapsed : 0;
    r->p50 = bench_lat_quantile(&all, 0.50);
    r->p99 = bench_lat_quantile(&all, 0.99);
    r->max = bench_lat_max(&all);
    r->setup_s = lg->t_ready - lg->t_setup0;
    r->setup_p50 = bench_lat_quantile(&lg->setup, 0.50);
    r->setup_p99 = bench_lat_quantile(&lg->setup, 0.99);
    r->setup_max = bench_lat_max(&lg->setup);
    r->server_rss = lg->opt.server_pid > 0 ? bench_peak_rss_kb((pid_t)lg->opt.server_pid) : -1;
    r->own_rss = bench_peak_rss_kb(0);
    r->server_cpu = lg->measured && lg->cpu_server0 >= 0 && lg->cpu_server1 >= 0
                        ? lg->cpu_server1 - lg->cpu_server0
                        : -1;
    r->own_cpu =
        lg->measured && lg->cpu_own0 >= 0 && lg->cpu_own1 >= 0 ? lg->cpu_own1 - lg->cpu_own0 : -1;
    r->busy_pct = lg->measured && lg->total1 > lg->total0
                      ? 100 * (lg->busy1 - lg->busy0) / (lg->total1 - lg->total0)
                      : -1;
    bench_lat_free(&all);
    return rc;
}

/* Push: frame bytes (before TLS) per record prepared. */
static double lg_wire_per_record(const lg_t *lg)
{
    uint64_t bytes = 0, records = 0;
    for (unsigned i = 0; i < lg->opt.connections; i++) {
        bytes += lg->conns[i].frames.len;
        records += lg->conns[i].nrecords;
    }
    return records > 0 ? (double)bytes / (double)records : 0;
}

static double lg_per_item_us(double seconds, uint64_t items)
{
    return seconds >= 0 && items > 0 ? seconds * 1e6 / (double)items : -1;
}

static void lg_print(const lg_t *lg, const lg_report_t *r)
{
    const lg_options_t *o = &lg->opt;
    static const char *const units[] = {"pings", "records", "changes", "records"};
    static const char *const units_one[] = {"ping", "record", "change", "record"};
    const char *unit = units[o->mode], *unit_one = units_one[o->mode];
    if (o->json) {
        printf("{\"mode\":\"%s\",\"connections\":%u,\"connections_ok\":%u,\"failed\":%u,"
               "\"count\":%" PRIu64 ",\"batch\":%u,\"pipeline\":%u,\"requests\":%" PRIu64 ","
               "\"items\":%" PRIu64 ",\"unit\":\"%s\",\"applied\":%" PRIu64
               ",\"duplicate\":%" PRIu64 ","
               "\"elapsed_s\":%.3f,\"rate_per_s\":%.1f,\"latency_p50_ms\":%.3f,"
               "\"latency_p99_ms\":%.3f,\"latency_max_ms\":%.3f,\"setup_s\":%.3f,"
               "\"setup_p50_ms\":%.3f,\"setup_p99_ms\":%.3f,\"setup_max_ms\":%.3f,"
               "\"prepare_s\":%.3f,\"server_peak_rss_kb\":%ld,\"own_peak_rss_kb\":%ld,"
               "\"server_cpu_s\":%.3f,\"server_cpu_us_per_item\":%.2f,\"own_cpu_s\":%.3f,"
               "\"machine_busy_pct\":%.1f,\"wire_bytes_per_record\":%.1f,"
               "\"offered_rate_per_s\":%" PRIu64 ",\"rate_backlog_max\":%" PRIu64 "}\n",
               lg_mode_names[o->mode], o->connections, r->ok, lg->failed, o->count, o->batch,
               o->pipeline, r->requests, r->items, unit, r->applied, r->duplicate, r->elapsed,
               r->rate, r->p50, r->p99, r->max, r->setup_s, r->setup_p50, r->setup_p99,
               r->setup_max, lg->t_prep - lg->t_ready, r->server_rss, r->own_rss, r->server_cpu,
               lg_per_item_us(r->server_cpu, r->items), r->own_cpu, r->busy_pct,
               lg_wire_per_record(lg), o->rate, lg->backlog_max);
        return;
    }
    printf("thidua-load: mode %s, %u connections (%u ok, %u failed), pipeline %u\n",
           lg_mode_names[o->mode], o->connections, r->ok, lg->failed, o->pipeline);
    printf("setup:    %u connections ready in %.3f s (per connection p50 %.1f ms, p99 %.1f ms, "
           "max %.1f ms)\n",
           lg->opt.connections - lg->failed, r->setup_s, r->setup_p50, r->setup_p99, r->setup_max);
    if (o->mode == LG_PUSH)
        printf("prepare:  %" PRIu64 " records generated and packed in %.3f s (not measured), "
               "%.0f bytes per record on the wire\n",
               o->count, lg->t_prep - lg->t_ready, lg_wire_per_record(lg));
    printf("run:      %" PRIu64 " %s in %" PRIu64 " requests, %.3f s: %.0f %s/s\n", r->items, unit,
           r->requests, r->elapsed, r->rate, unit);
    if (o->rate > 0)
        printf("offered:  %" PRIu64 " requests/s; at most %" PRIu64 " waited to be sent\n",
               o->rate, lg->backlog_max);
    printf("latency:  p50 %.2f ms, p99 %.2f ms, max %.2f ms (per %s)\n", r->p50, r->p99, r->max,
           o->mode == LG_PUSH ? "record: its batch's round trip" : "request");
    if (o->mode == LG_PUSH)
        printf("acks:     %" PRIu64 " applied, %" PRIu64 " duplicate\n", r->applied, r->duplicate);
    if (r->server_rss >= 0)
        printf("peak RSS: thiduad %.1f MiB, thidua-load %.1f MiB\n", (double)r->server_rss / 1024,
               (double)r->own_rss / 1024);
    else
        printf("peak RSS: thidua-load %.1f MiB\n", (double)r->own_rss / 1024);
    if (!lg->measured)
        return;
    if (r->server_cpu >= 0)
        printf("CPU:      thiduad %.2f s (%.1f us per %s), thidua-load %.2f s, machine %.0f%% "
               "busy\n",
               r->server_cpu, lg_per_item_us(r->server_cpu, r->items), unit_one, r->own_cpu,
               r->busy_pct);
    else
        printf("CPU:      thidua-load %.2f s, machine %.0f%% busy\n", r->own_cpu, r->busy_pct);
}

/* ---- command line ---- */

static void lg_usage(FILE *out)
{
    fprintf(out, "usage: thidua-load [options]\n"
                 "\n"
                 "Many district clients on one event loop against thiduad.\n"
                 "\n"
                 "  --host HOST          server name or address (default localhost)\n"
                 "  --port PORT          server port (required)\n"
                 "  --cert-dir DIR       a scripts/pki directory: connection i uses the district\n"
                 "                       certificate of unit 930+(i%%8), DIR/ca.crt the CA\n"
                 "  --cert FILE --key FILE  one client certificate for every connection\n"
                 "  --ca FILE            the CA of the server certificate\n"
                 "  --connections K      concurrent connections (default 1)\n"
                 "  --mode MODE          ping, push, pull or list (ListRecords as the province;\n"
                 "                       default ping)\n"
                 "  --count N            ping, pull, list: requests per connection; push: records\n"
                 "                       in total (default 100)\n"
                 "  --batch B            push: records per PushRequest; pull, list: limit\n"
                 "                       (default 100)\n"
                 "  --offset O           list: the page's offset (default 0)\n"
                 "  --pipeline P         requests in flight per connection (default 1)\n"
                 "  --rate R             send R requests per second in all (open loop, spread\n"
                 "                       over the connections) instead of each as soon as the\n"
                 "                       last is answered (default 0: as soon as answered)\n"
                 "  --handshakes H       connections in TLS/Hello at once (default 128)\n"
                 "  --seed S             records are a function of S: pushing again with the same\n"
                 "                       seed is answered DUPLICATE (default: random)\n"
                 "  --server-pid PID     report the peak RSS of that process (thiduad)\n"
                 "  --timeout SECONDS    give up on the whole run after this (default 600)\n"
                 "  --json               one JSON object on stdout instead of text\n"
                 "\n"
                 "Exit status 0 when every connection completed and every answer was right.\n");
}

static int lg_parse(int argc, char **argv, lg_options_t *o)
{
    enum {
        O_HOST = 256,
        O_PORT,
        O_CA,
        O_CERTDIR,
        O_CERT,
        O_KEY,
        O_CONN,
        O_MODE,
        O_COUNT,
        O_BATCH,
        O_PIPE,
        O_RATE,
        O_OFFSET,
        O_HS,
        O_SEED,
        O_PID,
        O_TIMEOUT,
        O_JSON
    };
    static const struct option opts[] = {
        {"host", required_argument, NULL, O_HOST},
        {"port", required_argument, NULL, O_PORT},
        {"ca", required_argument, NULL, O_CA},
        {"cert-dir", required_argument, NULL, O_CERTDIR},
        {"cert", required_argument, NULL, O_CERT},
        {"key", required_argument, NULL, O_KEY},
        {"connections", required_argument, NULL, O_CONN},
        {"mode", required_argument, NULL, O_MODE},
        {"count", required_argument, NULL, O_COUNT},
        {"batch", required_argument, NULL, O_BATCH},
        {"pipeline", required_argument, NULL, O_PIPE},
        {"rate", required_argument, NULL, O_RATE},
        {"offset", required_argument, NULL, O_OFFSET},
        {"handshakes", required_argument, NULL, O_HS},
        {"seed", required_argument, NULL, O_SEED},
        {"server-pid", required_argument, NULL, O_PID},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"json", no_argument, NULL, O_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (lg_options_t){.host = "localhost",
                        .connections = 1,
                        .count = 100,
                        .batch = 100,
                        .pipeline = 1,
                        .handshakes = 128,
                        .timeout_s = 600,
                        .mode = LG_PING};
    bool seeded = false;
    uint64_t v;
    unsigned m;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int rc = 0;
        switch (opt) {
        case O_HOST:
            o->host = optarg;
            break;
        case O_PORT:
            rc = benchopt_number(LG_PROG, "--port", optarg, 1, 65535, &v);
            o->port = (uint16_t)v;
            break;
        case O_CA:
            o->ca = optarg;
            break;
        case O_CERTDIR:
            o->cert_dir = optarg;
            break;
        case O_CERT:
            o->cert = optarg;
            break;
        case O_KEY:
            o->key = optarg;
            break;
        case O_CONN:
            rc = benchopt_number(LG_PROG, "--connections", optarg, 1, 100000, &v);
            o->connections = (unsigned)v;
            break;
        case O_MODE:
            rc = benchopt_choice(LG_PROG, "--mode", optarg, lg_mode_names,
                                 THIDUA_ARRAY_LEN(lg_mode_names), &m);
            o->mode = (lg_mode_t)m;
            break;
        case O_COUNT:
            rc = benchopt_number(LG_PROG, "--count", optarg, 0, UINT32_MAX, &o->count);
            break;
        case O_BATCH:
            rc = benchopt_number(LG_PROG, "--batch", optarg, 1, 100000, &v);
            o->batch = (unsigned)v;
            break;
        case O_PIPE:
            rc = benchopt_number(LG_PROG, "--pipeline", optarg, 1, 10000, &v);
            o->pipeline = (unsigned)v;
            break;
        case O_RATE:
            rc = benchopt_number(LG_PROG, "--rate", optarg, 0, 10000000, &o->rate);
            break;
        case O_OFFSET:
            rc = benchopt_number(LG_PROG, "--offset", optarg, 0, UINT32_MAX, &v);
            o->offset = (uint32_t)v;
            break;
        case O_HS:
            rc = benchopt_number(LG_PROG, "--handshakes", optarg, 1, 100000, &v);
            o->handshakes = (unsigned)v;
            break;
        case O_SEED:
            rc = benchopt_number(LG_PROG, "--seed", optarg, 0, UINT64_MAX, &o->seed);
            seeded = true;
            break;
        case O_PID:
            rc = benchopt_number(LG_PROG, "--server-pid", optarg, 1, INT32_MAX, &v);
            o->server_pid = (long)v;
            break;
        case O_TIMEOUT:
            rc = benchopt_number(LG_PROG, "--timeout", optarg, 1, 86400, &v);
            o->timeout_s = (double)v;
            break;
        case O_JSON:
            o->json = true;
            break;
        case 'h':
            lg_usage(stdout);
            exit(0);
        default:
            lg_usage(stderr);
            return -1;
        }
        if (rc != 0)
            return -1;
    }
    if (benchopt_operands(LG_PROG, argc, argv) != 0)
        return -1;
    if (o->port == 0) {
        fprintf(stderr, "thidua-load: --port is required\n");
        return -1;
    }
    if ((o->cert_dir == NULL) == (o->cert == NULL || o->key == NULL)) {
        fprintf(stderr, "thidua-load: give either --cert-dir or both --cert and --key\n");
        return -1;
    }
    if (o->cert_dir == NULL && o->ca == NULL) {
        fprintf(stderr, "thidua-load: --ca is required with --cert\n");
        return -1;
    }
    return benchopt_seed(LG_PROG, seeded, &o->seed);
}

int main(int argc, char **argv)
{
    lg_t lg;
    memset(&lg, 0, sizeof(lg));
    if (lg_parse(argc, argv, &lg.opt) != 0)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    long nofile = bench_raise_nofile();
    if (nofile > 0 && (unsigned long)nofile < lg.opt.connections + 32UL)
        fprintf(stderr, "thidua-load: warning: only %ld open files allowed for %u connections\n",
                nofile, lg.opt.connections);
    if (text_init() != 0)
        fprintf(stderr, "thidua-load: warning: ICU collator unavailable\n");

    char err[TLS_ERRLEN + 100];
    int status = 0;
    lg.conns = calloc(lg.opt.connections, sizeof(*lg.conns));
    if (lg.conns == NULL) {
        fprintf(stderr, "thidua-load: out of memory\n");
        return 1;
    }
    if (lg_contexts(&lg, err, sizeof(err)) != 0) {
        fprintf(stderr, "thidua-load: %s\n", err);
        status = 1;
        goto out;
    }
    lg.loop = uv_default_loop();
    frame_buf_init(&lg.scratch);
    bench_lat_init(&lg.setup);
    for (unsigned i = 0; i < lg.opt.connections; i++) {
        lg.conns[i].lg = &lg;
        lg.conns[i].index = i;
        bench_lat_init(&lg.conns[i].lat);
        frame_buf_init(&lg.conns[i].frames);
    }
    uv_timer_init(lg.loop, &lg.timer);
    uv_timer_init(lg.loop, &lg.rate_timer);
    lg.rate_timer.data = &lg;
    lg.timer.data = &lg;
    uv_timer_start(&lg.timer, lg_on_timeout, (uint64_t)(lg.opt.timeout_s * 1000), 0);

    lg.t_setup0 = bench_now();
    lg_start_more(&lg);
    uv_run(lg.loop, UV_RUN_DEFAULT);

    lg_report_t rep;
    if (lg_collect(&lg, &rep) != 0)
        fprintf(stderr, "thidua-load: out of memory while collecting latencies\n");
    lg_print(&lg, &rep);
    if (lg.failed > 0 || rep.ok != lg.opt.connections)
        status = 1;

    for (unsigned i = 0; i < lg.opt.connections; i++)
        lg_conn_release(&lg.conns[i]);
    frame_buf_free(&lg.scratch);
    bench_lat_free(&lg.setup);
    if (uv_loop_close(lg.loop) != 0)
        fprintf(stderr, "thidua-load: warning: the event loop did not close cleanly\n");
out:
    for (unsigned i = 0; i < lg.nctx; i++)
        SSL_CTX_free(lg.ctx[i]);
    if (lg.campaign != NULL)
        thidua__v1__campaign__free_unpacked(lg.campaign, NULL);
    free(lg.conns);
    text_cleanup();
    return status;
}

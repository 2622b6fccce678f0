/*
 * synchealth.c - the sync-health notes of a second, written in one job
 * (synchealth.h).
 *
 * One note per unit, in an open-addressing table keyed by the unit's id:
 * a province has a few thousand units, and a busy second touches each at
 * most once, so the table stays small and a note is a probe or two. A job
 * per request was a commit per request, and a lock on the unit's row that
 * every push of the unit waited for.
 */
#include "synchealth.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "conn.h"
#include "job.h"
#include "log.h"
#include "strbuf.h"

/* The owner the pool sees for the notes' jobs (dbpool_submit_as). */
#define SYNCHEALTH_OWNER "sync health"

typedef struct note {
    int64_t unit; /* 0: a free slot (unit ids start at 1) */
    uint32_t pushes, pulls;
    uint64_t rejected;
} note_t;

struct synchealth {
    server_t *s;
    uv_timer_t timer; /* runs while notes wait */
    note_t *slots;    /* cap slots, cap a power of two */
    size_t cap, n;
    bool closing;
};

synchealth_t *synchealth_new(server_t *s)
{
    synchealth_t *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return NULL;
    h->s = s;
    uv_timer_init(s->loop, &h->timer);
    h->timer.data = h;
    return h;
}

static void synchealth_done(dbpool_job_t *job, const dbpool_error_t *err, void *data)
{
    size_t *units = data;
    (void)job;
    if (err != NULL) {
        char q[300];
        log_warn("sync_note_failed", "units=%zu sqlstate=%s error=%s", *units, err->sqlstate,
                 log_quote(q, sizeof(q), err->message ? err->message : ""));
    }
    free(units);
}

/* Write the notes in one job and empty the table. */
static void synchealth_flush(synchealth_t *h)
{
    if (h->n == 0)
        return;
    strbuf_t units, pushes, pulls, rejected;
    strbuf_init(&units);
    strbuf_init(&pushes);
    strbuf_init(&pulls);
    strbuf_init(&rejected);
    size_t k = 0;
    for (size_t i = 0; i < h->cap; i++) {
        const note_t *n = &h->slots[i];
        if (n->unit == 0)
            continue;
        char sep = k++ == 0 ? '{' : ',';
        strbuf_printf(&units, "%c%" PRId64, sep, n->unit);
        strbuf_printf(&pushes, "%c%" PRIu32, sep, n->pushes);
        strbuf_printf(&pulls, "%c%" PRIu32, sep, n->pulls);
        strbuf_printf(&rejected, "%c%" PRIu64, sep, n->rejected);
    }
    strbuf_putc(&units, '}');
    strbuf_putc(&pushes, '}');
    strbuf_putc(&pulls, '}');
    strbuf_putc(&rejected, '}');
    size_t *count = malloc(sizeof(*count));
    int rc = count == NULL || strbuf_failed(&units) || strbuf_failed(&pushes) ||
                     strbuf_failed(&pulls) || strbuf_failed(&rejected)
                 ? TD_ENOMEM
                 : 0;
    dbpool_job_t *job = NULL;
    if (rc == 0) {
        *count = h->n;
        const char *params[4] = {strbuf_str(&units), strbuf_str(&pushes), strbuf_str(&pulls),
                                 strbuf_str(&rejected)};
        const job_stmt_t stmt = {"sync_notes", 4, params};
        rc = job_make(&job, 0, &stmt, 1);
    }
    if (rc == 0)
        rc = dbpool_submit_as(h->s->db, job, SYNCHEALTH_OWNER, synchealth_done, count);
    if (rc != 0) {
        /* Refused or never made: synchealth_done will not run, count is still ours. */
        free(count);
        log_warn("sync_note_failed", "units=%zu error=%s", h->n, td_strerror(rc));
    }
    strbuf_free(&units);
    strbuf_free(&pushes);
    strbuf_free(&pulls);
    strbuf_free(&rejected);
    memset(h->slots, 0, h->cap * sizeof(*h->slots));
    h->n = 0;
}

static void synchealth_on_timer(uv_timer_t *t)
{
    synchealth_flush(t->data);
}

/* The note of unit, made if needed; NULL when out of memory. */
static note_t *synchealth_slot(synchealth_t *h, int64_t unit)
{
    if (2 * (h->n + 1) > h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 64;
        note_t *slots = calloc(cap, sizeof(*slots));
        if (slots == NULL)
            return NULL;
        for (size_t i = 0; i < h->cap; i++) {
            if (h->slots[i].unit == 0)
                continue;
            size_t j = (size_t)h->slots[i].unit & (cap - 1);
            while (slots[j].unit != 0)
                j = (j + 1) & (cap - 1);
            slots[j] = h->slots[i];
        }
        free(h->slots);
        h->slots = slots;
        h->cap = cap;
    }
    size_t j = (size_t)unit & (h->cap - 1);
    while (h->slots[j].unit != 0 && h->slots[j].unit != unit)
        j = (j + 1) & (h->cap - 1);
    if (h->slots[j].unit == 0) {
        h->slots[j].unit = unit;
        h->n++;
    }
    return &h->slots[j];
}

void synchealth_note(conn_t *c, const char *kind, unsigned rejected)
{
    synchealth_t *h = c->server->health;
    if (h == NULL || h->closing)
        return;
    note_t *n = synchealth_slot(h, c->unit->id);
    if (n == NULL)
        return; /* health is best effort: the push or pull itself is done */
    if (strcmp(kind, "push") == 0)
        n->pushes++;
    else
        n->pulls++;
    n->rejected += rejected;
    if (!uv_is_active((uv_handle_t *)&h->timer))
        uv_timer_start(&h->timer, synchealth_on_timer, SYNCHEALTH_FLUSH_MS, 0);
}

static void synchealth_on_closed(uv_handle_t *handle)
{
    synchealth_t *h = handle->data;
    free(h->slots);
    free(h);
}

void synchealth_close(synchealth_t *h)
{
    if (h == NULL)
        return;
    synchealth_flush(h);
    h->closing = true;
    uv_close((uv_handle_t *)&h->timer, synchealth_on_closed);
}

/*
 * pushgroup.c - group commit of pushes (pushgroup.h).
 *
 * A group's life: members wait in arrival order; group_flush takes them,
 * one group at most group_max_records records (at least one push), and
 * sends one job, [push_many] in a transaction. When it commits, each member's
 * rows (ordered by grp) fill its acks; then one feed_positions job numbers
 * the group's changes and reads their positions (sql/014), and every member
 * is answered. A member refused as a whole is answered at once.
 */
#include "pushgroup.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "log.h"

/* The owners the pool sees for groups and their numbering (dbpool_submit_as). */
#define PUSHGROUP_OWNER "push group"
#define PUSHGROUP_NUMBER_OWNER "feed numbering"

struct pushgroup {
    server_t *s;
    uv_timer_t timer;                 /* group_wait since the oldest waiting push */
    pushgroup_member_t *head, *tail;  /* waiting, in arrival order */
    size_t waiting_records;
    bool due;                         /* the oldest waiting push has waited enough */
    unsigned slots;                   /* groups that may still go: pool_size less those out */
    uint32_t max_records;
    uint64_t wait_ms;
    unsigned cap;                     /* pushes of one certificate in one group (0: any) */
    bool capping;                     /* the last group left pushes behind for the cap */
    /* The pushes per certificate of the group being formed: an open-addressing table
     * of ncounts (a power of two, over twice the most members a group can have). */
    struct pushgroup_count {
        const char *fp;
        unsigned n;
    } *counts;
    size_t *used; /* the slots of counts in use, to clear them */
    size_t ncounts, nused;
    pushgroup_stats_t st;
};

/* One group sent to the database. Owns its arrays, not its members. */
typedef struct group {
    pushgroup_t *g;
    pushgroup_member_t **m; /* m[k - 1] is batch k of push_many */
    bool *answered;         /* m[i] was answered already (its acks could not be read) */
    size_t n;
    bool solo;              /* a push sent alone: its failure is its own */
    pushgroup_member_t **num_m; /* the k-th pair sent to feed_positions: member, ack index */
    size_t *num_i;
    size_t nnum;
} group_t;

static void group_flush(pushgroup_t *g);

static void group_free(group_t *gr)
{
    free(gr->m);
    free(gr->answered);
    free(gr->num_m);
    free(gr->num_i);
    free(gr);
}

static void member_answer(pushgroup_member_t *m, pushgroup_outcome_t outcome, const char *sqlstate)
{
    strbuf_free(&m->json);
    m->cb(m, outcome, sqlstate != NULL ? sqlstate : "");
}

/* Answer every member not answered yet, and free the group. */
static void group_answer(group_t *gr, pushgroup_outcome_t outcome, const char *sqlstate)
{
    for (size_t i = 0; i < gr->n; i++)
        if (!gr->answered[i])
            member_answer(gr->m[i], outcome, sqlstate);
    group_free(gr);
}

static void group_stored(dbpool_job_t *job, const dbpool_error_t *err, void *data);

/* The three parameters of push_many: callers, certificates, batches. */
static int group_params(const group_t *gr, strbuf_t *callers, strbuf_t *certs, strbuf_t *batches)
{
    strbuf_putc(callers, '{');
    strbuf_putc(certs, '{');
    strbuf_putc(batches, '[');
    for (size_t i = 0; i < gr->n; i++) {
        const pushgroup_member_t *m = gr->m[i];
        const char *sep = i == 0 ? "" : ",";
        strbuf_printf(callers, "%s%s", sep, m->caller.unit_id);
        /* The cert is "\x..." (hex): in an array literal the backslash is doubled. */
        strbuf_printf(certs, "%s\"\\%s\"", sep, m->caller.cert);
        strbuf_puts(batches, sep);
        strbuf_append(batches, strbuf_str(&m->json), m->json.len);
    }
    strbuf_putc(callers, '}');
    strbuf_putc(certs, '}');
    strbuf_putc(batches, ']');
    return strbuf_failed(callers) || strbuf_failed(certs) || strbuf_failed(batches) ? TD_ENOMEM
                                                                                    : 0;
}

/* Send the members m[0..n) as one group; on failure they are answered here. */
static void group_send(pushgroup_t *g, pushgroup_member_t **m, size_t n, bool solo)
{
    server_t *s = g->s;
    group_t *gr = calloc(1, sizeof(*gr));
    int rc = TD_ENOMEM;
    if (gr != NULL) {
        gr->g = g;
        gr->m = m;
        gr->n = n;
        gr->solo = solo;
        gr->answered = calloc(n, sizeof(*gr->answered));
        if (gr->answered != NULL)
            rc = 0;
    }
    strbuf_t callers, certs, batches;
    strbuf_init(&callers);
    strbuf_init(&certs);
    strbuf_init(&batches);
    dbpool_job_t *job = NULL;
    if (rc == 0)
        rc = group_params(gr, &callers, &certs, &batches);
    if (rc == 0) {
        const char *params[3] = {strbuf_str(&callers), strbuf_str(&certs), strbuf_str(&batches)};
        const job_stmt_t stmt = {"push_many", 3, params};
        rc = job_make(&job, DBPOOL_TX, &stmt, 1);
    }
    strbuf_free(&callers);
    strbuf_free(&certs);
    strbuf_free(&batches);
    if (rc == 0) {
        /* A push alone waits its office's turn, as every request does; a group is everyone's. */
        const char *owner = solo ? m[0]->conn->fingerprint : PUSHGROUP_OWNER;
        rc = dbpool_submit_as(s->db, job, owner, group_stored, gr);
    }
    if (rc != 0) {
        log_warn("push_not_sent", "pushes=%zu error=%s", n, td_strerror(rc));
        if (gr == NULL) {
            for (size_t i = 0; i < n; i++)
                member_answer(m[i], PUSHGROUP_UNAVAILABLE, NULL);
            free(m);
        } else {
            group_answer(gr, PUSHGROUP_UNAVAILABLE, NULL);
        }
        return;
    }
    if (!solo) {
        g->slots--; /* given back in group_stored */
        log_debug("push_group", "pushes=%zu", n);
    }
    g->st.groups += !solo;
    g->st.pushes += n;
    for (size_t i = 0; i < n; i++)
        g->st.records += m[i]->acks->nsql;
}

/* Send one member alone. */
static void group_send_one(pushgroup_t *g, pushgroup_member_t *m)
{
    pushgroup_member_t **arr = malloc(sizeof(*arr));
    if (arr == NULL) {
        member_answer(m, PUSHGROUP_UNAVAILABLE, NULL);
        return;
    }
    arr[0] = m;
    group_send(g, arr, 1, true);
}

/* An ack that names a stored revision but no feed position yet (sql/014). */
static bool ack_unnumbered(const Thidua__V1__RecordAck *a)
{
    return a->change_seq == 0 && (a->status == THIDUA__V1__RECORD_ACK__STATUS__APPLIED ||
                                  a->status == THIDUA__V1__RECORD_ACK__STATUS__DUPLICATE);
}

/* The positions feed_positions found: row ord k answers the k-th pair sent. */
static void group_numbered(dbpool_job_t *job, const dbpool_error_t *err, void *data)
{
    group_t *gr = data;
    if (err != NULL) {
        /* Committed, and the acks hold: the next numbering, by any push or pull, gives
         * these changes their positions; the acks say 0 (docs/protocol.md). */
        char q[300];
        log_warn("push_unnumbered", "pushes=%zu sqlstate=%s error=%s", gr->n, err->sqlstate,
                 log_quote(q, sizeof(q), err->message));
        group_answer(gr, PUSHGROUP_STORED, NULL);
        return;
    }
    const PGresult *res = dbpool_job_result(job, 0);
    int c_ord = PQfnumber(res, "ord"), c_seq = PQfnumber(res, "seq");
    for (int row = 0; c_ord >= 0 && c_seq >= 0 && row < PQntuples(res); row++) {
        unsigned long k = strtoul(PQgetvalue(res, row, c_ord), NULL, 10);
        if (k >= 1 && k <= gr->nnum && !PQgetisnull(res, row, c_seq))
            gr->num_m[k - 1]->acks->acks[gr->num_i[k - 1]].change_seq =
                strtoull(PQgetvalue(res, row, c_seq), NULL, 10);
    }
    group_answer(gr, PUSHGROUP_STORED, NULL);
}

/*
 * After the commit: number the group's changes and read their positions, so
 * that the acks carry them and a pull after the ack sees them.
 */
static void group_number(group_t *gr)
{
    size_t total = 0;
    for (size_t i = 0; i < gr->n; i++)
        total += gr->answered[i] ? 0 : gr->m[i]->acks->n;
    gr->num_m = malloc((total ? total : 1) * sizeof(*gr->num_m));
    gr->num_i = malloc((total ? total : 1) * sizeof(*gr->num_i));
    strbuf_t ids, revs;
    strbuf_init(&ids);
    strbuf_init(&revs);
    int rc = gr->num_m == NULL || gr->num_i == NULL ? TD_ENOMEM : 0;
    for (size_t i = 0; rc == 0 && i < gr->n; i++) {
        const ackset_t *as = gr->m[i]->acks;
        for (size_t j = 0; !gr->answered[i] && j < as->n; j++) {
            if (!ack_unnumbered(&as->acks[j]))
                continue;
            /* Ids of stored records passed push_check: a UUID needs no quoting. */
            strbuf_putc(&ids, gr->nnum == 0 ? '{' : ',');
            strbuf_puts(&ids, as->acks[j].id);
            strbuf_printf(&revs, "%c%u", gr->nnum == 0 ? '{' : ',', as->acks[j].revision);
            gr->num_m[gr->nnum] = gr->m[i];
            gr->num_i[gr->nnum++] = j;
        }
    }
    strbuf_putc(&ids, '}');
    strbuf_putc(&revs, '}');
    if (rc == 0 && (strbuf_failed(&ids) || strbuf_failed(&revs)))
        rc = TD_ENOMEM;
    dbpool_job_t *job = NULL;
    if (rc == 0 && gr->nnum > 0) {
        const char *params[2] = {strbuf_str(&ids), strbuf_str(&revs)};
        const job_stmt_t stmt = {"feed_positions", 2, params};
        rc = job_make(&job, 0, &stmt, 1);
        if (rc == 0)
            rc = dbpool_submit_as(gr->g->s->db, job, PUSHGROUP_NUMBER_OWNER, group_numbered, gr);
    }
    strbuf_free(&ids);
    strbuf_free(&revs);
    if (rc == 0 && gr->nnum > 0)
        return;
    if (rc != 0)
        log_warn("push_unnumbered", "pushes=%zu error=%s", gr->n, td_strerror(rc));
    group_answer(gr, PUSHGROUP_STORED, NULL);
}

/* Each member's rows: push_many answers batch after batch, grp 1 first. */
static void group_fill(group_t *gr, const PGresult *res)
{
    int rows = PQntuples(res), c_grp = PQfnumber(res, "grp");
    int row = 0;
    for (size_t i = 0; i < gr->n; i++) {
        int first = row;
        while (c_grp >= 0 && row < rows &&
               strtoul(PQgetvalue(res, row, c_grp), NULL, 10) == (unsigned long)(i + 1))
            row++;
        size_t applied;
        if (ackset_fill_rows(gr->m[i]->acks, res, first, row - first, &applied) != 0) {
            /* Committed already: say so; the acks are what is missing. */
            gr->answered[i] = true;
            member_answer(gr->m[i], PUSHGROUP_UNREAD, NULL);
        }
    }
}

static void group_stored(dbpool_job_t *job, const dbpool_error_t *err, void *data)
{
    group_t *gr = data;
    pushgroup_t *g = gr->g;
    if (!gr->solo)
        g->slots++;

    if (err != NULL && err->code == TD_EDB && gr->n > 1) {
        /* Rolled back as a whole: nothing of it is stored. Alone, each push meets only its
         * own error. */
        char q[300];
        log_warn("push_group_split", "pushes=%zu sqlstate=%s error=%s", gr->n, err->sqlstate,
                 log_quote(q, sizeof(q), err->message));
        g->st.splits++;
        for (size_t i = 0; i < gr->n; i++)
            group_send_one(g, gr->m[i]);
        group_free(gr);
    } else if (err != NULL) {
        char q[300];
        for (size_t i = 0; i < gr->n; i++)
            log_warn("push_failed", "unit=%s records=%zu kind=%s sqlstate=%s error=%s",
                     gr->m[i]->conn->unit_code, gr->m[i]->acks->nsql, td_err_name(err->code),
                     err->sqlstate, log_quote(q, sizeof(q), err->message));
        group_answer(gr, err->retryable || err->code != TD_EDB ? PUSHGROUP_UNAVAILABLE
                                                               : PUSHGROUP_FAILED,
                     err->sqlstate);
    } else {
        group_fill(gr, dbpool_job_result(job, 0));
        group_number(gr);
    }
    group_flush(g);
}

/* How many pushes of fp the group being formed holds; one more if take. */
static unsigned group_count(pushgroup_t *g, const char *fp, bool take)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const char *p = fp; *p != '\0'; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    size_t mask = g->ncounts - 1, j = (size_t)h & mask;
    while (g->counts[j].fp != NULL && strcmp(g->counts[j].fp, fp) != 0)
        j = (j + 1) & mask;
    if (g->counts[j].fp == NULL) {
        if (!take)
            return 0;
        g->counts[j].fp = fp;
        g->used[g->nused++] = j;
    }
    return take ? ++g->counts[j].n : g->counts[j].n;
}

/*
 * One pass over the waiting pushes, in arrival order: take each while the
 * group has room (max_records records, the first push whatever its size),
 * with at most cap pushes of one certificate when capped. The pushes passed
 * over keep their place. Returns true when one was passed over for the cap.
 */
static bool group_pass(pushgroup_t *g, pushgroup_member_t **arr, size_t max, size_t *n,
                       size_t *records, bool capped)
{
    bool skipped = false;
    pushgroup_member_t **link = &g->head, *last = NULL;
    while (*link != NULL && *n < max && (*n == 0 || *records < g->max_records)) {
        pushgroup_member_t *m = *link;
        if (capped && group_count(g, m->conn->fingerprint, false) >= g->cap) {
            skipped = true;
            last = m;
            link = &m->next;
            continue;
        }
        if (capped)
            (void)group_count(g, m->conn->fingerprint, true);
        *link = m->next;
        m->next = NULL;
        *records += m->acks->nsql;
        g->waiting_records -= m->acks->nsql;
        g->st.waiting--;
        arr[(*n)++] = m;
    }
    if (*link == NULL) /* the scan reached the end: the tail is the last one left */
        g->tail = last;
    if (g->head == NULL)
        g->tail = NULL;
    return skipped;
}

/*
 * The next group. First every certificate's share: at most cap pushes of
 * each, in arrival order. Then, if room is left, the pushes passed over, so
 * that the share holds a flood back only when others' pushes need the room:
 * an office with a push waiting is in the next group whatever another sends.
 */
static size_t group_take(pushgroup_t *g, pushgroup_member_t **arr, size_t max)
{
    size_t n = 0, records = 0;
    bool skipped = group_pass(g, arr, max, &n, &records, g->cap > 0);
    for (size_t i = 0; i < g->nused; i++)
        g->counts[g->used[i]] = (struct pushgroup_count){NULL, 0};
    g->nused = 0;
    if (skipped)
        (void)group_pass(g, arr, max, &n, &records, false);
    bool capped = skipped && g->head != NULL;
    if (capped && !g->capping)
        log_info("push_group_capped", "cap=%u waiting=%zu", g->cap, g->st.waiting);
    g->capping = capped;
    g->st.capped += capped;
    return n;
}

/* Send what is due, as far as the limit on groups at the database allows. */
static void group_flush(pushgroup_t *g)
{
    while (g->due && g->head != NULL && g->slots > 0) {
        size_t max = g->st.waiting < g->max_records + 1 ? g->st.waiting : g->max_records + 1;
        pushgroup_member_t **arr = malloc(max * sizeof(*arr));
        if (arr == NULL) {
            pushgroup_member_t *m = g->head;
            g->head = m->next;
            if (g->head == NULL)
                g->tail = NULL;
            g->waiting_records -= m->acks->nsql;
            g->st.waiting--;
            member_answer(m, PUSHGROUP_UNAVAILABLE, NULL);
            continue;
        }
        size_t n = group_take(g, arr, max);
        group_send(g, arr, n, false);
    }
    /* Left waiting: either not due (its timer runs) or every slot is taken (due, they go
     * when a group comes back). */
    if (g->head == NULL) {
        g->due = false;
        uv_timer_stop(&g->timer);
    }
}

static void group_on_timer(uv_timer_t *t)
{
    pushgroup_t *g = t->data;
    g->due = true;
    group_flush(g);
}

pushgroup_t *pushgroup_new(server_t *s)
{
    pushgroup_t *g = calloc(1, sizeof(*g));
    if (g == NULL)
        return NULL;
    g->s = s;
    g->max_records = s->cfg->group_max_records;
    g->wait_ms = s->cfg->group_wait_ms;
    g->slots = s->cfg->db_pool_size;
    /* The pool's share per certificate (dbqueue.h), applied to the pushes of a group. */
    g->cap = s->cfg->db_max_jobs_per_certificate != 0 ? s->cfg->db_max_jobs_per_certificate
                                                      : s->cfg->db_pool_size;
    g->ncounts = 1;
    while (g->ncounts < 2 * ((size_t)g->max_records + 2))
        g->ncounts *= 2;
    g->counts = calloc(g->ncounts, sizeof(*g->counts));
    g->used = calloc(g->ncounts, sizeof(*g->used));
    if (g->counts == NULL || g->used == NULL) {
        free(g->counts);
        free(g->used);
        free(g);
        return NULL;
    }
    uv_timer_init(s->loop, &g->timer);
    g->timer.data = g;
    return g;
}

static void pushgroup_on_closed(uv_handle_t *h)
{
    pushgroup_t *g = h->data;
    free(g->counts);
    free(g->used);
    free(g);
}

void pushgroup_close(pushgroup_t *g)
{
    if (g != NULL)
        uv_close((uv_handle_t *)&g->timer, pushgroup_on_closed);
}

void pushgroup_submit(pushgroup_t *g, pushgroup_member_t *m)
{
    job_caller_init(&m->caller, m->conn);
    m->next = NULL;
    if (g->max_records == 0) {
        group_send_one(g, m);
        return;
    }
    if (g->tail != NULL)
        g->tail->next = m;
    else
        g->head = m;
    g->tail = m;
    g->st.waiting++;
    g->waiting_records += m->acks->nsql;
    if (g->waiting_records >= g->max_records) {
        g->due = true;
        group_flush(g);
    } else if (!g->due && !uv_is_active((uv_handle_t *)&g->timer)) {
        uv_timer_start(&g->timer, group_on_timer, g->wait_ms, 0);
    }
}

void pushgroup_stats(const pushgroup_t *g, pushgroup_stats_t *out)
{
    *out = g->st;
    out->inflight = g->s->cfg->db_pool_size - g->slots;
}

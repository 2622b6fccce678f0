/*
 * dbqueue.c - the pool's waiting room: items by owner, served in turns,
 * at most cap of one owner out at once (dbqueue.h).
 *
 * Every list is intrusive, so nothing here allocates per item: the arrival
 * list (for deadlines and dbq_oldest), each owner's list (for its turn), and
 * the turn line of owners. An owner is in the turn line exactly when it has
 * items waiting and is under its cap; it leaves the line when its turn finds
 * it otherwise, and comes back when an item is pushed or one of its items
 * is released. Every deadline is the same delay after arrival, so the
 * oldest waiting item overall is also the oldest of its owner.
 */
#include "dbqueue.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

struct dbq_owner {
    dbq_owner_t *hnext;      /* same bucket */
    dbq_owner_t *tnext;      /* in the turn line */
    dbq_item_t *head, *tail; /* waiting, oldest first */
    size_t waiting;
    unsigned out; /* taken by dbq_next, not yet released */
    bool in_turn;
    bool said_capped; /* dbq_push returned 1 (an idle owner is freed: a new one has not) */
    char key[];
};

/* FNV-1a: keys are fingerprints or short names, nothing adversarial to balance. */
static size_t owner_bucket(const char *key)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++)
        h = (h ^ *p) * 16777619u;
    return h % DBQ_BUCKETS;
}

static dbq_owner_t *owner_find(const dbqueue_t *q, const char *key)
{
    for (dbq_owner_t *o = q->buckets[owner_bucket(key)]; o != NULL; o = o->hnext) {
        if (strcmp(o->key, key) == 0)
            return o;
    }
    return NULL;
}

static dbq_owner_t *owner_get(dbqueue_t *q, const char *key)
{
    dbq_owner_t *o = owner_find(q, key);
    if (o != NULL)
        return o;
    size_t len = strlen(key) + 1;
    o = calloc(1, sizeof(*o) + len);
    if (o == NULL)
        return NULL;
    memcpy(o->key, key, len);
    size_t b = owner_bucket(key);
    o->hnext = q->buckets[b];
    q->buckets[b] = o;
    q->owners++;
    return o;
}

static bool owner_under_cap(const dbqueue_t *q, const dbq_owner_t *o)
{
    return q->cap == 0 || o->out < q->cap;
}

/* Join the back of the turn line, when it has something to send and room to send it. */
static void turn_join(dbqueue_t *q, dbq_owner_t *o)
{
    if (o->in_turn || o->waiting == 0 || !owner_under_cap(q, o))
        return;
    o->in_turn = true;
    o->tnext = NULL;
    if (q->ttail != NULL)
        q->ttail->tnext = o;
    else
        q->thead = o;
    q->ttail = o;
}

/* Take o out of the turn line wherever it stands (the line is short: the owners waiting). */
static void turn_leave(dbqueue_t *q, dbq_owner_t *o)
{
    if (!o->in_turn)
        return;
    dbq_owner_t *prev = NULL;
    for (dbq_owner_t *t = q->thead; t != o; t = t->tnext)
        prev = t;
    if (prev != NULL)
        prev->tnext = o->tnext;
    else
        q->thead = o->tnext;
    if (q->ttail == o)
        q->ttail = prev;
    o->tnext = NULL;
    o->in_turn = false;
}

/* An owner with nothing waiting and nothing out is forgotten. */
static void owner_drop_if_idle(dbqueue_t *q, dbq_owner_t *o)
{
    if (o->waiting > 0 || o->out > 0)
        return;
    turn_leave(q, o);
    dbq_owner_t **pp = &q->buckets[owner_bucket(o->key)];
    while (*pp != o)
        pp = &(*pp)->hnext;
    *pp = o->hnext;
    q->owners--;
    free(o);
}

/* Unlink a waiting item from both lists. */
static void item_unlink(dbqueue_t *q, dbq_item_t *it)
{
    dbq_owner_t *o = it->owner;
    if (it->gprev != NULL)
        it->gprev->gnext = it->gnext;
    else
        q->ghead = it->gnext;
    if (it->gnext != NULL)
        it->gnext->gprev = it->gprev;
    else
        q->gtail = it->gprev;
    if (it->oprev != NULL)
        it->oprev->onext = it->onext;
    else
        o->head = it->onext;
    if (it->onext != NULL)
        it->onext->oprev = it->oprev;
    else
        o->tail = it->oprev;
    it->gprev = it->gnext = it->oprev = it->onext = NULL;
    o->waiting--;
    q->queued--;
}

void dbq_init(dbqueue_t *q, unsigned cap)
{
    memset(q, 0, sizeof(*q));
    q->cap = cap;
}

void dbq_free(dbqueue_t *q)
{
    for (size_t b = 0; b < DBQ_BUCKETS; b++) {
        for (dbq_owner_t *o = q->buckets[b], *next; o != NULL; o = next) {
            next = o->hnext;
            free(o);
        }
        q->buckets[b] = NULL;
    }
    q->ghead = q->gtail = NULL;
    q->thead = q->ttail = NULL;
    q->queued = q->owners = 0;
}

int dbq_push(dbqueue_t *q, dbq_item_t *it, const char *owner, uint64_t deadline_ms)
{
    dbq_owner_t *o = owner_get(q, owner != NULL ? owner : "");
    if (o == NULL)
        return TD_ENOMEM;
    it->owner = o;
    it->deadline_ms = deadline_ms;
    it->gnext = it->onext = NULL;
    it->gprev = q->gtail;
    if (q->gtail != NULL)
        q->gtail->gnext = it;
    else
        q->ghead = it;
    q->gtail = it;
    it->oprev = o->tail;
    if (o->tail != NULL)
        o->tail->onext = it;
    else
        o->head = it;
    o->tail = it;
    o->waiting++;
    q->queued++;
    turn_join(q, o);
    if (owner_under_cap(q, o))
        return 0;
    q->capped++;
    if (o->said_capped)
        return 0;
    o->said_capped = true;
    return 1;
}

dbq_item_t *dbq_next(dbqueue_t *q)
{
    while (q->thead != NULL) {
        dbq_owner_t *o = q->thead;
        turn_leave(q, o);
        if (o->waiting == 0 || !owner_under_cap(q, o))
            continue; /* its turn comes back with a push or a release */
        dbq_item_t *it = o->head;
        item_unlink(q, it);
        it->owner = o; /* still its owner's, out now */
        o->out++;
        turn_join(q, o); /* to the back of the line */
        return it;
    }
    return NULL;
}

void dbq_release(dbqueue_t *q, dbq_item_t *it)
{
    dbq_owner_t *o = it->owner;
    if (o == NULL)
        return;
    it->owner = NULL;
    o->out--;
    turn_join(q, o);
    owner_drop_if_idle(q, o);
}

void dbq_remove(dbqueue_t *q, dbq_item_t *it)
{
    dbq_owner_t *o = it->owner;
    if (o == NULL)
        return;
    item_unlink(q, it);
    it->owner = NULL;
    owner_drop_if_idle(q, o);
}

dbq_item_t *dbq_oldest(const dbqueue_t *q)
{
    return q->ghead;
}

dbq_item_t *dbq_victim(const dbqueue_t *q, const char *owner)
{
    const dbq_owner_t *self = owner_find(q, owner != NULL ? owner : "");
    const dbq_owner_t *fattest = NULL;
    for (size_t b = 0; b < DBQ_BUCKETS; b++) {
        for (const dbq_owner_t *o = q->buckets[b]; o != NULL; o = o->hnext) {
            if (fattest == NULL || o->waiting > fattest->waiting)
                fattest = o;
        }
    }
    size_t mine = self != NULL ? self->waiting : 0;
    if (fattest == NULL || fattest == self || fattest->waiting <= mine)
        return NULL;
    return fattest->tail;
}

const char *dbq_owner_key(const dbq_item_t *it)
{
    return it->owner != NULL ? it->owner->key : "";
}

size_t dbq_owners_capped(const dbqueue_t *q)
{
    size_t n = 0;
    for (size_t b = 0; b < DBQ_BUCKETS; b++) {
        for (const dbq_owner_t *o = q->buckets[b]; o != NULL; o = o->hnext)
            n += o->waiting > 0 && !owner_under_cap(q, o);
    }
    return n;
}

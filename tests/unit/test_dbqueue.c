/*
 * test_dbqueue.c - the pool's waiting room (server/dbqueue.c): first come
 * first served within an owner, owners in turn, the cap on an owner's items
 * out, the one signal per flood, the victim of a full queue, and owners
 * forgotten once idle.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dbqueue.h"

typedef struct {
    dbq_item_t it; /* first: an item is its struct */
    char name[8];
} thing_t;

static thing_t things[32];

/* Queue things[i] as "OWNER" + a number, e.g. "a3". */
static int push(dbqueue_t *q, size_t i, const char *owner)
{
    snprintf(things[i].name, sizeof(things[i].name), "%s%zu", owner, i);
    return dbq_push(q, &things[i].it, owner, 1000 + i);
}

static const char *next_name(dbqueue_t *q)
{
    dbq_item_t *it = dbq_next(q);
    return it == NULL ? "-" : ((thing_t *)(void *)it)->name;
}

/* The next n names, space-separated, into out. */
static const char *take(dbqueue_t *q, int n, char *out, size_t size)
{
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s%s", i ? " " : "", next_name(q));
    }
    return out;
}

static void one_owner_first_come_first_served(void **state)
{
    (void)state;
    dbqueue_t q;
    dbq_init(&q, 0);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(push(&q, i, "a"), 0);
    assert_int_equal(q.queued, 4);
    assert_int_equal(q.owners, 1);
    char buf[128];
    assert_string_equal(take(&q, 5, buf, sizeof(buf)), "a0 a1 a2 a3 -");
    for (size_t i = 0; i < 4; i++)
        dbq_release(&q, &things[i].it);
    assert_int_equal(q.owners, 0);
    dbq_free(&q);
}

static void owners_take_turns(void **state)
{
    (void)state;
    dbqueue_t q;
    dbq_init(&q, 0);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(push(&q, i, "a"), 0);
    assert_int_equal(push(&q, 5, "b"), 0);
    assert_int_equal(push(&q, 6, "c"), 0);
    assert_int_equal(push(&q, 7, "c"), 0);
    char buf[128];
    /* The late owners are served after one of the flood's, not after all of it. */
    assert_string_equal(take(&q, 9, buf, sizeof(buf)), "a0 b5 c6 a1 c7 a2 a3 a4 -");
    for (size_t i = 0; i < 8; i++)
        dbq_release(&q, &things[i].it);
    assert_int_equal(q.owners, 0);
    dbq_free(&q);
}

static void cap_holds_an_owner_back(void **state)
{
    (void)state;
    dbqueue_t q;
    dbq_init(&q, 2);
    assert_int_equal(push(&q, 0, "a"), 0);
    assert_int_equal(push(&q, 1, "a"), 0);
    char buf[128];
    assert_string_equal(take(&q, 2, buf, sizeof(buf)), "a0 a1");
    /* At its cap: the first to wait for it says so, the others do not. */
    assert_int_equal(push(&q, 2, "a"), 1);
    assert_int_equal(push(&q, 3, "a"), 0);
    assert_int_equal(q.capped, 2);
    assert_int_equal(dbq_owners_capped(&q), 1);
    assert_string_equal(next_name(&q), "-");
    /* Another owner is not held back by a's cap. */
    assert_int_equal(push(&q, 4, "b"), 0);
    assert_string_equal(next_name(&q), "b4");
    /* One of a's done: a's turn again, for one. */
    dbq_release(&q, &things[0].it);
    assert_string_equal(take(&q, 2, buf, sizeof(buf)), "a2 -");
    dbq_release(&q, &things[1].it);
    dbq_release(&q, &things[2].it);
    assert_string_equal(next_name(&q), "a3");
    assert_int_equal(dbq_owners_capped(&q), 0);
    dbq_release(&q, &things[3].it);
    dbq_release(&q, &things[4].it);
    assert_int_equal(q.owners, 0);
    /* An owner forgotten and back is a new flood: it says so again. */
    assert_int_equal(push(&q, 5, "a"), 0);
    assert_int_equal(push(&q, 6, "a"), 0);
    assert_string_equal(take(&q, 2, buf, sizeof(buf)), "a5 a6");
    assert_int_equal(push(&q, 7, "a"), 1);
    dbq_remove(&q, &things[7].it);
    dbq_release(&q, &things[5].it);
    dbq_release(&q, &things[6].it);
    assert_int_equal(q.owners, 0);
    dbq_free(&q);
}

static void victim_is_the_largest_other_owner(void **state)
{
    (void)state;
    dbqueue_t q;
    dbq_init(&q, 1);
    for (size_t i = 0; i < 3; i++)
        assert_true(push(&q, i, "a") >= 0);
    assert_int_equal(push(&q, 3, "b"), 0);
    /* The newest of the one with most waiting, for anyone with less. */
    assert_ptr_equal(dbq_victim(&q, "b"), &things[2].it);
    assert_ptr_equal(dbq_victim(&q, "new"), &things[2].it);
    assert_string_equal(dbq_owner_key(dbq_victim(&q, "b")), "a");
    assert_null(dbq_victim(&q, "a"));
    /* A tie is no reason to drop anyone. */
    assert_int_equal(push(&q, 4, "b"), 0);
    assert_int_equal(push(&q, 5, "b"), 0);
    assert_null(dbq_victim(&q, "b"));
    dbq_remove(&q, &things[2].it);
    assert_string_equal(dbq_owner_key(&things[2].it), "");
    assert_ptr_equal(dbq_victim(&q, "a"), &things[5].it);
    for (dbq_item_t *it; (it = dbq_oldest(&q)) != NULL;)
        dbq_remove(&q, it);
    assert_int_equal(q.queued, 0);
    assert_int_equal(q.owners, 0);
    assert_null(q.thead);
    dbq_free(&q);
}

static void oldest_is_the_first_in(void **state)
{
    (void)state;
    dbqueue_t q;
    dbq_init(&q, 0);
    assert_int_equal(push(&q, 0, "a"), 0);
    assert_int_equal(push(&q, 1, "b"), 0);
    assert_int_equal(push(&q, 2, "a"), 0);
    assert_ptr_equal(dbq_oldest(&q), &things[0].it);
    assert_int_equal(dbq_oldest(&q)->deadline_ms, 1000);
    /* b's turn comes after a's: a0 leaves, and b1 is the oldest. */
    assert_string_equal(next_name(&q), "a0");
    assert_ptr_equal(dbq_oldest(&q), &things[1].it);
    dbq_remove(&q, &things[1].it);
    assert_ptr_equal(dbq_oldest(&q), &things[2].it);
    /* b has gone (nothing waiting, nothing out), a goes on. */
    assert_int_equal(q.owners, 1);
    assert_string_equal(next_name(&q), "a2");
    dbq_release(&q, &things[0].it);
    dbq_release(&q, &things[2].it);
    /* Releasing twice does nothing. */
    dbq_release(&q, &things[2].it);
    assert_int_equal(q.owners, 0);
    dbq_free(&q);
}

/* Many owners: the buckets chain, and every owner still gets its turn. */
static void many_owners(void **state)
{
    (void)state;
    dbqueue_t q;
    dbq_init(&q, 1);
    char owner[16];
    for (size_t i = 0; i < 32; i++) {
        snprintf(owner, sizeof(owner), "o%zu", i % 16);
        assert_true(dbq_push(&q, &things[i].it, owner, i) >= 0);
    }
    assert_int_equal(q.owners, 16);
    for (size_t i = 0; i < 16; i++)
        assert_ptr_equal(dbq_next(&q), &things[i].it);
    assert_null(dbq_next(&q));
    assert_int_equal(dbq_owners_capped(&q), 16);
    for (size_t i = 0; i < 16; i++) {
        dbq_release(&q, &things[i].it);
        assert_ptr_equal(dbq_next(&q), &things[16 + i].it);
    }
    for (size_t i = 16; i < 32; i++)
        dbq_release(&q, &things[i].it);
    assert_int_equal(q.owners, 0);
    dbq_free(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_owner_first_come_first_served),
        cmocka_unit_test(owners_take_turns),
        cmocka_unit_test(cap_holds_an_owner_back),
        cmocka_unit_test(victim_is_the_largest_other_owner),
        cmocka_unit_test(oldest_is_the_first_in),
        cmocka_unit_test(many_owners),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

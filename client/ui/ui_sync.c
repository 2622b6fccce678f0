/*
 * ui_sync.c - the sync button's thread (ui_sync.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "i18n.h"
#include "store.h"
#include "text.h"
#include "ui_sync.h"

struct ui_sync {
    const client_config_t *cfg;
    pthread_mutex_t mu;
    pthread_t thread;
    bool joinable; /* a thread was started and not yet joined */
    int lock_fd;   /* held by the running thread; -1 when idle */
    ui_sync_view_t view; /* under mu */
};

static void ui_sync_on_event(void *arg, const sync_event_t *ev)
{
    ui_sync_t *s = arg;
    pthread_mutex_lock(&s->mu);
    s->view.stats = *ev->stats;
    if (ev->kind != SYNC_EVENT_PROGRESS && ev->reason != NULL)
        snprintf(s->view.notice, sizeof(s->view.notice), "%s", ev->reason);
    pthread_mutex_unlock(&s->mu);
}

static void *ui_sync_main(void *arg)
{
    ui_sync_t *s = arg;
    char err[1024] = "";
    store_options_t sopt = {.collate = text_collate, .fold = text_fold_key};
    store_t *st = NULL;
    sync_stats_t stats;
    memset(&stats, 0, sizeof(stats));
    int rc = store_open(s->cfg->store_path, &sopt, &st, err, sizeof(err));
    if (rc == TD_OK) {
        sync_options_t so;
        memset(&so, 0, sizeof(so));
        so.retries = s->cfg->retries;
        so.on_event = ui_sync_on_event;
        so.event_arg = s;
        rc = sync_run(st, s->cfg, &so, &stats, err, sizeof(err));
    } else {
        rc = TD_ESTORE;
    }
    store_close(st);
    pthread_mutex_lock(&s->mu);
    s->view.stats = stats;
    s->view.rc = rc;
    snprintf(s->view.err, sizeof(s->view.err), "%s", rc == TD_OK ? "" : err);
    s->view.phase = UI_SYNC_DONE;
    s->view.gen++;
    close(s->lock_fd);
    s->lock_fd = -1;
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

int ui_sync_new(const client_config_t *cfg, ui_sync_t **out)
{
    ui_sync_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return TD_ENOMEM;
    s->cfg = cfg;
    s->lock_fd = -1;
    pthread_mutex_init(&s->mu, NULL);
    *out = s;
    return TD_OK;
}

int ui_sync_start(ui_sync_t *s, char *err, size_t errlen)
{
    pthread_mutex_lock(&s->mu);
    if (s->view.phase == UI_SYNC_RUNNING) {
        pthread_mutex_unlock(&s->mu);
        snprintf(err, errlen, "%s", _("a sync is under way already"));
        return TD_EBUSY;
    }
    pthread_mutex_unlock(&s->mu);
    if (s->joinable) {
        pthread_join(s->thread, NULL); /* the last run, finished: only its thread to collect */
        s->joinable = false;
    }
    if (clientcfg_check_network(s->cfg, err, errlen) != 0)
        return TD_ECONFIG;
    int fd = -1;
    int rc = sync_lock(s->cfg->store_path, &fd, err, errlen);
    if (rc != TD_OK)
        return rc;
    pthread_mutex_lock(&s->mu);
    s->lock_fd = fd;
    unsigned gen = s->view.gen;
    memset(&s->view, 0, sizeof(s->view));
    s->view.gen = gen;
    s->view.phase = UI_SYNC_RUNNING;
    pthread_mutex_unlock(&s->mu);
    if (pthread_create(&s->thread, NULL, ui_sync_main, s) != 0) {
        pthread_mutex_lock(&s->mu);
        s->view.phase = UI_SYNC_IDLE;
        close(s->lock_fd);
        s->lock_fd = -1;
        pthread_mutex_unlock(&s->mu);
        snprintf(err, errlen, "%s", _("out of memory"));
        return TD_ENOMEM;
    }
    s->joinable = true;
    return TD_OK;
}

void ui_sync_get(ui_sync_t *s, ui_sync_view_t *out)
{
    pthread_mutex_lock(&s->mu);
    *out = s->view;
    pthread_mutex_unlock(&s->mu);
}

void ui_sync_free(ui_sync_t *s)
{
    if (s == NULL)
        return;
    if (s->joinable)
        pthread_join(s->thread, NULL);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

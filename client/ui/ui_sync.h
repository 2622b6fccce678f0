/*
 * ui_sync.h - the console's sync button: one sync run on a thread of its
 * own, with a store of its own, while the pages go on answering.
 *
 * The run is the engine `thidua sync` runs (sync_engine.h), under the same
 * lock (sync_lock), so the console and a `thidua sync` in a terminal never
 * sync the same store at once. The pages read its progress through
 * ui_sync_get(); the counters are copied under a mutex at each event.
 */
#ifndef THIDUA_CLIENT_UI_SYNC_H
#define THIDUA_CLIENT_UI_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "clientcfg.h"
#include "defs.h"
#include "sync_engine.h"

typedef enum {
    UI_SYNC_IDLE = 0, /* never run by this console */
    UI_SYNC_RUNNING,
    UI_SYNC_DONE,   /* the last run finished: rc and err say how */
} ui_sync_phase_t;

/* What the pages show of the sync. A copy: the caller owns it. */
typedef struct ui_sync_view {
    ui_sync_phase_t phase;
    unsigned gen;       /* runs finished so far */
    int rc;             /* DONE: TD_OK or the engine's error */
    sync_stats_t stats; /* the run's counters so far */
    char err[1024];     /* DONE with rc != TD_OK: the sentence for the officer */
    char notice[512];   /* the last retry or restart notice of the run, "" if none */
} ui_sync_view_t;

typedef struct ui_sync ui_sync_t;

/* A sync button for the store and server of cfg (borrowed; outlives it). TD_OK or TD_ENOMEM. */
THIDUA_MUSTCHECK int ui_sync_new(const client_config_t *cfg, ui_sync_t **out);
/*
 * Start a run. TD_OK; TD_EBUSY when one is running here or in another
 * program (err says so); TD_ESTORE or TD_ECONFIG with err.
 */
THIDUA_MUSTCHECK int ui_sync_start(ui_sync_t *s, char *err, size_t errlen);
void ui_sync_get(ui_sync_t *s, ui_sync_view_t *out);
/* Wait for a run under way to end, then free. NULL is fine. */
void ui_sync_free(ui_sync_t *s);

#endif

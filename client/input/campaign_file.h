/*
 * campaign_file.h - a campaign described in an INI file, as the province
 * writes it for `thidua campaigns create` (docs/admin-guide.md, "A new
 * campaign"; a sample is share/campaigns/sample-campaign.ini):
 *
 *   [campaign]              code, name, organiser (a unit code), starts_on,
 *                           ends_on (ISO or dd/mm/yyyy), organiser_name and
 *                           slogan (optional)
 *   [category CODE]         name, order (optional)
 *   [award_form CODE]       name, conferred_by, kinds, order (optional)
 *
 * Reading checks what the file itself can say (its sections and keys, the
 * dates, the kinds and levels, at least one category and one form) and
 * reports every problem with the file's name, the line and the key, in the
 * officer's language. What only the province's database knows (the
 * organiser unit, a code taken) comes back from the server as a field of
 * the request; campfile_where() finds the line that field came from.
 */
#ifndef THIDUA_CLIENT_CAMPAIGN_FILE_H
#define THIDUA_CLIENT_CAMPAIGN_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "defs.h"
#include "thidua.pb-c.h"

/* One key's value and the line it was on (0: not given). Owns value. */
typedef struct campfile_value {
    char *value;
    int line;
} campfile_value_t;

/* A [category CODE] or [award_form CODE] section. */
typedef struct campfile_item {
    campfile_value_t code; /* from the section's header: its line */
    campfile_value_t name, order, conferred_by, kinds;
    long sort;  /* order, else after those with one, in the file's order */
    size_t pos; /* its place in the file */
} campfile_item_t;

/* The whole file and the campaign made of it. Owns everything. */
typedef struct campfile {
    char *path;
    int campaign_line; /* the [campaign] header; 0 when there is none */
    campfile_value_t code, name, organiser, organiser_name, starts_on, ends_on, slogan;
    campfile_item_t *cats, *forms; /* in the campaign's order once read */
    size_t ncats, nforms;
    /* The request's campaign, pointing into the above (campfile_read fills it). */
    Thidua__V1__Campaign msg;
    Thidua__V1__Category *cat_msgs, **cat_ptrs;
    Thidua__V1__AwardForm *form_msgs, **form_ptrs;
    char **kind_ptrs;
} campfile_t;

/*
 * Read and check path. Returns the number of problems found, each printed
 * on stderr ("FILE line N: KEY: why"), 0 when f->msg is the campaign to
 * send; -1 when the file cannot be read or memory ran out (said too). f is
 * freeable in every case.
 */
THIDUA_MUSTCHECK int campfile_read(const char *path, campfile_t *f);
void campfile_free(campfile_t *f);

/*
 * Where a field of CampaignCreateRequest ("campaign.categories[1].name")
 * was written: *line (0 when the file never says it) and the key as the
 * file names it ("[category ASXH] name").
 */
void campfile_where(const campfile_t *f, const char *field, int *line, char *key, size_t keylen);

#endif

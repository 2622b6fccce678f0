/*
 * seen_revisions.h - the revisions the province's administrator has looked at.
 *
 * A decision names the revision it was made on, and the server refuses it
 * when the record has moved on: that is how the province decides on exactly
 * what it read. For that to mean something, `approve ID` without --revision
 * must use the revision the administrator was last shown, not whatever the
 * server holds now. So `review list` and `review show` note each record's
 * revision here, and the decisions read it back.
 *
 * The file is plain text, one view per line ("ID<TAB>REVISION<TAB>UNIX_MS"),
 * appended to (one write per command, O_APPEND) so that two commands running
 * at once do not lose each other's lines; the last line for an id wins. When
 * the file grows past SEEN_COMPACT_BYTES it is rewritten with one line per id
 * (a temporary file renamed over it); a view noted by another command during
 * that moment may be lost. A lost view can only make a decision fail safe:
 * it then uses an older revision, which the server refuses if the record has
 * changed since, or asks the administrator to look first. It never lets a
 * decision through on a revision that was not shown. The file holds record
 * ids and numbers only, no personal data.
 */
#ifndef THIDUA_CLIENT_SEEN_REVISIONS_H
#define THIDUA_CLIENT_SEEN_REVISIONS_H

#include <stddef.h>
#include <stdint.h>

#include "defs.h"
#include "uuid.h"
#include "error.h"

/* Past this size the file is compacted (one line per id). */
#define SEEN_COMPACT_BYTES (4u * 1024u * 1024u)

/* The name of the file, in the folder of the configuration file. */
#define SEEN_FILE_NAME "review-seen.tsv"

/* One view of one record. */
typedef struct seen_entry {
    char id[UUID_STR_SIZE]; /* canonical lowercase UUID */
    uint32_t revision;
    int64_t at_ms; /* when it was shown (Unix milliseconds) */
} seen_entry_t;

/*
 * Errors: negative TD_E* codes of error.h. This module returns:
 *   TD_ENOTFOUND  no line for that id, or no id with that prefix
 *   TD_EAMBIGUOUS the prefix starts several ids
 *   TD_EIO        the file cannot be read or written: err says why
 *   TD_ENOMEM
 */

/*
 * Path of the file next to the configuration file config_path (the folder of
 * a relative path is the current one). -1 when it does not fit.
 */
THIDUA_MUSTCHECK int seen_path(const char *config_path, char *out, size_t size);

/* Append n views (and compact the file if it grew too big). TD_OK or TD_EIO / TD_ENOMEM. */
THIDUA_MUSTCHECK int seen_note(const char *path, const seen_entry_t *views, size_t n, char *err,
                               size_t errlen);

/* The latest view of id. TD_OK, TD_ENOTFOUND (also when the file does not exist), TD_EIO. */
THIDUA_MUSTCHECK int seen_lookup(const char *path, const char *id, seen_entry_t *out, char *err,
                                 size_t errlen);

/*
 * The one id seen whose hexadecimal digits start with those of prefix
 * (hyphens ignored, any case). TD_OK with out set, TD_ENOTFOUND,
 * TD_EAMBIGUOUS (out holds one of them), TD_EIO.
 */
THIDUA_MUSTCHECK int seen_find_prefix(const char *path, const char *prefix, char out[UUID_STR_SIZE],
                                      char *err, size_t errlen);

#endif

/*
 * ui_download.h - a document the console makes (a Tờ trình, the import
 * form) handed to the browser as a download: the writers of doc/ and
 * input/ write files, so the file is written under a private temporary name,
 * read back into the answer and removed at once.
 */
#ifndef THIDUA_CLIENT_UI_DOWNLOAD_H
#define THIDUA_CLIENT_UI_DOWNLOAD_H

#include <stddef.h>

#include <stdbool.h>

#include "defs.h"
#include "doc.h"
#include "ui_http.h"

/* Longest temporary path made. */
#define UI_TMP_PATH_MAX 4096

/*
 * Make an empty private file, named with suffix (".pdf"), in $TMPDIR or
 * /tmp, and put its name in path. TD_OK, or TD_EIO.
 */
THIDUA_MUSTCHECK int ui_tmp_file(char path[UI_TMP_PATH_MAX], const char *suffix);

/*
 * Answer with the file at path as an attachment named name (ASCII), of MIME
 * type type, and remove the file. On failure the answer is a 500 naming the
 * reason. TD_OK or the error.
 */
int ui_resp_download(ui_resp_t *rs, const char *path, const char *type, const char *name);

/*
 * Answer with the document d as a PDF or a DOCX download named name; a
 * document that could not be laid out or written is a 500 saying why.
 */
void ui_resp_doc(ui_resp_t *rs, const doc_t *d, bool docx, const char *name);

/* Answer 500 with a sentence (a failed document). */
void ui_resp_fail(ui_resp_t *rs, const char *why);

#endif

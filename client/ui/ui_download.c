/*
 * ui_download.c - documents handed to the browser (ui_download.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file_in.h"
#include "i18n.h"
#include "ui_download.h"

/* Largest document read back: far above any decision's list. */
#define UI_DOWNLOAD_MAX (256u * 1024u * 1024u)

int ui_tmp_file(char path[UI_TMP_PATH_MAX], const char *suffix)
{
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(path, UI_TMP_PATH_MAX, "%s/thidua-ui-XXXXXX%s",
                     tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp", suffix);
    if (n < 0 || n >= UI_TMP_PATH_MAX)
        return TD_EIO;
    int fd = mkstemps(path, (int)strlen(suffix)); /* mode 0600: the office's data */
    if (fd < 0)
        return TD_EIO;
    close(fd);
    return TD_OK;
}

void ui_resp_fail(ui_resp_t *rs, const char *why)
{
    rs->status = 500;
    rs->type = "text/plain; charset=utf-8";
    strbuf_reset(&rs->body);
    strbuf_puts(&rs->body, why);
    strbuf_putc(&rs->body, '\n');
}

int ui_resp_download(ui_resp_t *rs, const char *path, const char *type, const char *name)
{
    char *data = NULL;
    size_t len = 0;
    int rc = file_in_read(path, UI_DOWNLOAD_MAX, &data, &len);
    int err = errno;
    unlink(path);
    if (rc != TD_OK) {
        char why[512];
        snprintf(why, sizeof(why), _("The document could not be read back: %s"),
                 rc == TD_EIO ? strerror(err) : td_strerror(rc));
        ui_resp_fail(rs, why);
        return rc;
    }
    rs->type = type;
    snprintf(rs->disposition, sizeof(rs->disposition), "attachment; filename=\"%s\"", name);
    strbuf_append(&rs->body, data, len);
    free(data);
    return TD_OK;
}

void ui_resp_doc(ui_resp_t *rs, const doc_t *d, bool docx, const char *name)
{
    char path[UI_TMP_PATH_MAX], why[1024] = "";
    if (doc_failed(d)) {
        ui_resp_fail(rs, _("out of memory"));
        return;
    }
    if (ui_tmp_file(path, docx ? ".docx" : ".pdf") != TD_OK) {
        ui_resp_fail(rs, _("No room for a temporary file."));
        return;
    }
    int rc = docx ? doc_write_docx(d, path, why, sizeof(why))
                  : doc_write_pdf(d, path, why, sizeof(why));
    if (rc != TD_OK) {
        unlink(path);
        ui_resp_fail(rs, why);
        return;
    }
    (void)ui_resp_download(
        rs, path,
        docx ? "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
             : "application/pdf",
        name);
}

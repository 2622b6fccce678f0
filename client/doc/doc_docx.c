/*
 * doc_docx.c - doc_write_docx(): a document as a DOCX file (Office Open XML,
 * WordprocessingML), for the offices that edit a decision or a submission in
 * Word or LibreOffice before it is signed.
 *
 * The package is the smallest that Word, LibreOffice and python-docx all
 * open without a complaint: the parts of docx_parts.c around the document of
 * docx_body.c, each built whole in memory, then zipped by libzip under a
 * temporary name beside the file and renamed onto it. A write that fails
 * leaves the file as it was, never half a document.
 *
 * Page numbers: a section with page_numbers gets word/header1.xml, a PAGE
 * field centred in the top margin, from its second page on.
 */
#include "doc.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

#include "docx_int.h"
#include "text.h"

enum { DOCX_NPARTS_MAX = 10 };

typedef struct docx_part {
    const char *name; /* its name in the archive */
    strbuf_t xml;     /* owned; the archive reads it when it is closed */
} docx_part_t;

typedef struct docx_pkg {
    docx_part_t parts[DOCX_NPARTS_MAX];
    size_t nparts;
} docx_pkg_t;

static strbuf_t *docx_part(docx_pkg_t *pkg, const char *name)
{
    docx_part_t *p = &pkg->parts[pkg->nparts++];
    p->name = name;
    strbuf_init(&p->xml);
    return &p->xml;
}

static void docx_pkg_free(docx_pkg_t *pkg)
{
    for (size_t i = 0; i < pkg->nparts; i++)
        strbuf_free(&pkg->parts[i].xml);
    pkg->nparts = 0;
}

/* What the DOCX cannot say or would say wrong: 0, or -1 with err. */
static int docx_check(const doc_t *d, char *err, size_t errlen)
{
    if (doc_failed(d)) {
        snprintf(err, errlen, "the document is incomplete: memory ran out while it was built");
        return -1;
    }
    if (text_utf8_check(d->title, strlen(d->title), NULL) != TD_OK) {
        snprintf(err, errlen, "the document's title is not valid UTF-8");
        return -1;
    }
    /*
     * Text at fixed places on a pre-printed blank has no faithful form in a
     * flowing Word document (a text box moves as soon as anyone edits).
     */
    for (size_t s = 0; s < d->nsections; s++)
        for (size_t i = 0; i < d->sections[s].nblocks; i++)
            if (d->sections[s].blocks[i]->kind == DOC_BLOCK_FRAME) {
                snprintf(err, errlen,
                         "section %zu places text at fixed positions, which a DOCX file "
                         "cannot keep: certificates are printed as PDF",
                         s + 1);
                return -1;
            }
    return 0;
}

/* Every part of d's package, in the order of the archive ([Content_Types].xml first). */
static int docx_build(const doc_t *d, docx_pkg_t *pkg, char *err, size_t errlen)
{
    bool headers = docx_page_numbers(d);
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(now, sizeof(now), "1970-01-01T00:00:00Z");

    docx_content_types_xml(docx_part(pkg, "[Content_Types].xml"), headers);
    docx_package_rels_xml(docx_part(pkg, "_rels/.rels"));
    docx_core_xml(docx_part(pkg, "docProps/core.xml"), d->title, now);
    docx_app_xml(docx_part(pkg, "docProps/app.xml"));
    if (docx_document_xml(d, docx_part(pkg, "word/document.xml"), err, errlen) != 0)
        return -1;
    docx_document_rels_xml(docx_part(pkg, "word/_rels/document.xml.rels"), headers);
    docx_styles_xml(docx_part(pkg, "word/styles.xml"));
    docx_settings_xml(docx_part(pkg, "word/settings.xml"));
    if (headers) {
        docx_header_xml(docx_part(pkg, "word/header1.xml"), true);
        docx_header_xml(docx_part(pkg, "word/header2.xml"), false);
    }
    for (size_t i = 0; i < pkg->nparts; i++)
        if (strbuf_failed(&pkg->parts[i].xml)) {
            snprintf(err, errlen, "out of memory while writing %s", pkg->parts[i].name);
            return -1;
        }
    return 0;
}

/*
 * A new archive at a name beside path that nothing has (libzip creates the
 * file only when it is closed, and ZIP_EXCL refuses a name that exists).
 * tmp receives the name.
 */
static zip_t *docx_zip_open(const char *path, char *tmp, size_t tmplen, char *err, size_t errlen)
{
    static atomic_uint serial; /* two writers of one process never pick the same name */
    int ze = 0;
    for (int attempt = 0; attempt < 100; attempt++) {
        int n = snprintf(tmp, tmplen, "%s.%ld-%u.tmp", path, (long)getpid(), serial++);
        if (n < 0 || (size_t)n >= tmplen) {
            snprintf(err, errlen, "the file name %s is too long", path);
            return NULL;
        }
        zip_t *za = zip_open(tmp, ZIP_CREATE | ZIP_EXCL, &ze);
        if (za != NULL)
            return za;
        if (ze != ZIP_ER_EXISTS)
            break;
    }
    zip_error_t ze_t;
    zip_error_init_with_code(&ze_t, ze);
    snprintf(err, errlen, "%s cannot be created: %s", path, zip_error_strerror(&ze_t));
    zip_error_fini(&ze_t);
    return NULL;
}

/* pkg's parts zipped into path, whole or not at all. */
static int docx_zip(const docx_pkg_t *pkg, const char *path, char *err, size_t errlen)
{
    char tmp[4096];
    zip_t *za = docx_zip_open(path, tmp, sizeof(tmp), err, errlen);
    if (za == NULL)
        return -1;
    for (size_t i = 0; i < pkg->nparts; i++) {
        const strbuf_t *xml = &pkg->parts[i].xml;
        zip_source_t *src = zip_source_buffer(za, strbuf_str(xml), xml->len, 0);
        if (src == NULL || zip_file_add(za, pkg->parts[i].name, src, ZIP_FL_ENC_UTF_8) < 0) {
            snprintf(err, errlen, "%s cannot be written: the part %s: %s", path, pkg->parts[i].name,
                     zip_strerror(za));
            zip_source_free(src);
            zip_discard(za);
            return -1;
        }
    }
    if (zip_close(za) != 0) {
        /* libzip removes what it wrote; the archive is still ours to discard. */
        snprintf(err, errlen, "%s cannot be written: %s", path, zip_strerror(za));
        zip_discard(za);
        return -1;
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        (void)unlink(tmp);
        snprintf(err, errlen, "%s cannot be replaced: %s", path, strerror(e));
        return -1;
    }
    return 0;
}

int doc_write_docx(const doc_t *d, const char *path, char *err, size_t errlen)
{
    if (docx_check(d, err, errlen) != 0)
        return -1;
    docx_pkg_t pkg = {.nparts = 0};
    int rc = docx_build(d, &pkg, err, errlen);
    if (rc == 0)
        rc = docx_zip(&pkg, path, err, errlen);
    docx_pkg_free(&pkg);
    return rc;
}

/*
 * pdf_read.c - the PDF writer's tests read its files as a person's tools do:
 * poppler-utils run as programs (pdftotext, pdfinfo), their output parsed;
 * the files in a temporary folder of the test program (pdf_read.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pdf_read.h"

char pdfr_dir[] = "/tmp/test_doc_pdf.XXXXXX";

/* pdfr_dir/name, in a buffer of its own per slot. */
const char *pdfr_path(const char *name)
{
    static char buf[4][512];
    static int slot;
    slot = (slot + 1) % 4;
    snprintf(buf[slot], sizeof(buf[slot]), "%s/%s", pdfr_dir, name);
    return buf[slot];
}

/*
 * What argv[0] (a full path) writes on stdout, as a string, and its exit
 * code; with fc_file, under that fontconfig configuration.
 */
char *pdfr_run_with(const char *const argv[], const char *fc_file, int *code)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        if (fc_file != NULL)
            setenv("FONTCONFIG_FILE", fc_file, 1);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    size_t len = 0, cap = 4096;
    char *out = malloc(cap);
    assert_non_null(out);
    ssize_t n;
    while ((n = read(fds[0], out + len, cap - len - 1)) > 0) {
        len += (size_t)n;
        if (cap - len < 1024) {
            cap *= 2;
            char *more = realloc(out, cap);
            assert_non_null(more);
            out = more;
        }
    }
    out[len] = '\0';
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    *code = WEXITSTATUS(status);
    return out;
}

/* What argv[0] writes on stdout; it must exit 0. */
char *pdfr_run(const char *const argv[])
{
    int code;
    char *out = pdfr_run_with(argv, NULL, &code);
    assert_int_equal(code, 0);
    return out;
}

void pdfr_write(doc_t *d, const char *path)
{
    char err[256] = "";
    assert_false(doc_failed(d));
    int rc = doc_write_pdf(d, path, err, sizeof(err));
    if (rc != 0)
        fail_msg("doc_write_pdf: %s", err);
    doc_free(d);
}

char *pdfr_text(const char *pdf)
{
    const char *argv[] = {"/usr/bin/pdftotext", "-layout", "-enc", "UTF-8", pdf, "-", NULL};
    return pdfr_run(argv);
}

/* The text with every run of white space (line ends, columns' gaps) made one space. */
char *pdfr_squeeze(const char *s)
{
    char *out = malloc(strlen(s) + 1), *o = out;
    assert_non_null(out);
    bool space = false;
    for (; *s; s++) {
        if (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\f' || *s == '\r') {
            space = true;
            continue;
        }
        if (space && o != out)
            *o++ = ' ';
        space = false;
        *o++ = *s;
    }
    *o = '\0';
    return out;
}

size_t pdfr_count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Each of want[] in text, in order, each after the one before. */
void pdfr_assert_in_order(const char *text, const char *const want[], size_t n)
{
    const char *at = text;
    for (size_t i = 0; i < n; i++) {
        const char *p = strstr(at, want[i]);
        if (p == NULL)
            fail_msg("\"%s\" missing (or out of order) in:\n%s", want[i], text);
        at = p + strlen(want[i]);
    }
}

pdfr_gray_t pdfr_gray(const char *pdf, int page, int dpi)
{
    char n[16], r[16];
    snprintf(n, sizeof(n), "%d", page);
    snprintf(r, sizeof(r), "%d", dpi);
    const char *prefix = pdfr_path("gray");
    const char *argv[] = {"/usr/bin/pdftoppm", "-r", r,      "-gray", "-f", n, "-l", n,
                          "-singlefile",       pdf,  prefix, NULL};
    free(pdfr_run(argv));
    FILE *f = fopen(pdfr_path("gray.pgm"), "rb");
    assert_non_null(f);
    pdfr_gray_t g;
    int max;
    assert_int_equal(fscanf(f, "P5 %d %d %d", &g.w, &g.h, &max), 3);
    fgetc(f); /* the one white space before the pixels */
    assert_int_equal(max, 255);
    size_t size = (size_t)g.w * (size_t)g.h;
    g.px = malloc(size);
    assert_non_null(g.px);
    assert_int_equal(fread(g.px, 1, size, f), size);
    fclose(f);
    return g;
}

int pdfr_pages(const char *pdf)
{
    const char *argv[] = {"/usr/bin/pdfinfo", pdf, NULL};
    char *info = pdfr_run(argv);
    const char *p = strstr(info, "\nPages:");
    assert_non_null(p);
    int pages = atoi(p + strlen("\nPages:"));
    free(info);
    return pages;
}

/*
 * The box of the first word exactly `word` on page `page` (1-based) of
 * pdftotext -bbox's XHTML; false if none.
 */
/* Page n (from 1) of pdfr_bbox's XHTML: its start, its end and its size; false if none. */
static bool pdfr_html_page(const char *html, int page, const char **start, const char **end,
                           pdfr_box_t *b)
{
    const char *p = html;
    for (int i = 0; i < page; i++) {
        p = strstr(p, "<page ");
        if (p == NULL)
            return false;
        p++;
    }
    *start = p;
    *end = strstr(p, "</page>");
    assert_non_null(*end);
    assert_int_equal(sscanf(p, "page width=\"%lf\" height=\"%lf\"", &b->page_w, &b->page_h), 2);
    return true;
}

static void pdfr_word_at(const char *open, pdfr_box_t *b)
{
    assert_int_equal(sscanf(open, "<word xMin=\"%lf\" yMin=\"%lf\" xMax=\"%lf\" yMax=\"%lf\"",
                            &b->x0, &b->y0, &b->x1, &b->y1),
                     4);
}

bool pdfr_word_box(const char *html, int page, const char *word, pdfr_box_t *b)
{
    const char *p, *end;
    if (!pdfr_html_page(html, page, &p, &end, b))
        return false;
    char tail[256];
    snprintf(tail, sizeof(tail), ">%s</word>", word);
    const char *hit = strstr(p, tail);
    if (hit == NULL || hit > end)
        return false;
    const char *open = hit;
    while (open > p && strncmp(open, "<word ", 6) != 0)
        open--;
    pdfr_word_at(open, b);
    return true;
}

int pdfr_word_page(const char *html, const char *word)
{
    pdfr_box_t b;
    for (int page = 1;; page++) {
        const char *p, *end;
        if (!pdfr_html_page(html, page, &p, &end, &b))
            return 0;
        if (pdfr_word_box(html, page, word, &b))
            return page;
    }
}

bool pdfr_ink_box(const char *html, int page, pdfr_box_t *b)
{
    const char *p, *end;
    if (!pdfr_html_page(html, page, &p, &end, b))
        return false;
    bool any = false;
    for (const char *w = strstr(p, "<word "); w != NULL && w < end; w = strstr(w + 1, "<word ")) {
        pdfr_box_t one;
        pdfr_word_at(w, &one);
        if (!any) {
            b->x0 = one.x0, b->y0 = one.y0, b->x1 = one.x1, b->y1 = one.y1;
            any = true;
        }
        b->x0 = one.x0 < b->x0 ? one.x0 : b->x0;
        b->y0 = one.y0 < b->y0 ? one.y0 : b->y0;
        b->x1 = one.x1 > b->x1 ? one.x1 : b->x1;
        b->y1 = one.y1 > b->y1 ? one.y1 : b->y1;
    }
    return any;
}

char *pdfr_page(const char *text, int n)
{
    const char *p = text;
    for (int i = 1; i < n && p != NULL; i++) {
        p = strchr(p, '\f');
        p = p != NULL ? p + 1 : NULL;
    }
    assert_non_null(p);
    const char *ff = strchr(p, '\f');
    assert_non_null(ff);
    char *page = strndup(p, (size_t)(ff - p));
    assert_non_null(page);
    char *flat = pdfr_squeeze(page);
    free(page);
    return flat;
}

char *pdfr_bbox(const char *pdf)
{
    const char *argv[] = {"/usr/bin/pdftotext", "-bbox", "-enc", "UTF-8", pdf, "-", NULL};
    return pdfr_run(argv);
}

int pdfr_setup(void **state)
{
    (void)state;
    return mkdtemp(pdfr_dir) != NULL ? 0 : -1;
}

int pdfr_teardown(void **state)
{
    (void)state;
    /* To look at the files: TEST_DOC_PDF_KEEP=1 leaves them and says where. */
    if (getenv("TEST_DOC_PDF_KEEP") != NULL) {
        printf("the files are in %s\n", pdfr_dir);
        return 0;
    }
    DIR *dir = opendir(pdfr_dir);
    if (dir == NULL)
        return -1;
    for (struct dirent *e; (e = readdir(dir)) != NULL;)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlink(pdfr_path(e->d_name));
    closedir(dir);
    return rmdir(pdfr_dir);
}

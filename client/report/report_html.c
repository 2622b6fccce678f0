/*
 * report_html.c - the campaign report as one self-contained HTML page.
 *
 * One file that can be mailed, opened offline and printed: the styles are
 * inline, the charts are inline SVG, nothing is fetched from anywhere (no
 * fonts, scripts or images). It prints on A4 with each section on a page of
 * its own and table headings repeated across pages. Every piece of text from
 * the server is escaped for HTML/XML: names and titles are typed by district
 * offices and must never become markup.
 */
#include <string.h>

#include "output.h"
#include "report.h"
#include "xml_escape.h"

/* Chart geometry, in SVG user units (CSS pixels at 100%). */
enum {
    CHART_W = 720,   /* the drawing's width; it scales down to the page */
    CHART_ROW = 24,  /* one bar's row */
    CHART_BAR = 16,  /* one bar's thickness */
    CHART_TOP = 34,  /* room for the legend */
    CHART_NUM = 56,  /* room right of the longest bar for its count */
    CHART_LABEL = 40 /* longest label, in characters, before it is cut */
};

/* Average width of a character of the chart's 11px text, for laying out the legend. */
#define CHART_CHAR_W 6.4

/* Status colours, in workflow order (distinct in colour and in grey print). */
static const char *const html_status_colour[REPORT_NSTATUS] = {
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#bab0ac", "#d4a72c", "#8c5d9c",
};

/* Characters (code points) in s. */
static size_t html_chars(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* s cut to at most `max` characters (code points) with "…", escaped. */
static void html_esc_cut(FILE *f, const char *s, size_t max)
{
    char buf[512];
    size_t n = 0, i = 0, len = strlen(s);
    while (i < len && n < max) {
        i++;
        while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        n++;
    }
    if (i >= len || i >= sizeof(buf) - 4) {
        xml_escape_file(f, s);
        return;
    }
    memcpy(buf, s, i);
    memcpy(buf + i, "…", sizeof("…"));
    xml_escape_file(f, buf);
}

static const char html_css[] =
    "*{box-sizing:border-box}\n"
    "body{font-family:\"DejaVu Sans\",\"Noto Sans\",\"Segoe UI\",Arial,sans-serif;font-size:11pt;"
    "color:#1a1a1a;background:#fff;margin:24px auto;max-width:1100px;padding:0 16px;"
    "-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
    "header{border-bottom:3px solid #8b1a1a;margin-bottom:20px;padding-bottom:8px}\n"
    "h1{font-size:18pt;margin:0 0 4px;color:#8b1a1a;text-transform:uppercase}\n"
    "p.campaign{font-size:13pt;font-weight:bold;margin:4px 0}\n"
    "dl.info{display:grid;grid-template-columns:max-content auto;gap:2px 12px;margin:8px 0}\n"
    "dl.info dt{font-weight:bold}dl.info dd{margin:0}\n"
    "h2{font-size:14pt;color:#1f3b63;border-bottom:1px solid #9bb0cc;padding-bottom:3px}\n"
    "section{margin-bottom:28px}\n"
    "table{border-collapse:collapse;width:100%;margin:10px 0;font-size:10pt}\n"
    "th,td{border:1px solid #9a9a9a;padding:3px 6px;vertical-align:top;text-align:left}\n"
    "thead th{background:#dde6f2}\n"
    "td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "td.d{white-space:nowrap}\n"
    "tr.total td{font-weight:bold;background:#f2f2f2}\n"
    "tr.g1 th{background:#f6e7c8;font-size:11pt}\n"
    "tr.g2 th{background:#f4f4f4;font-weight:bold}\n"
    "p.empty{font-style:italic;color:#555}\n"
    "svg.chart{display:block;width:100%;max-width:720px;height:auto;margin:8px 0}\n"
    "svg.chart text{font-family:inherit;font-size:11px;fill:#1a1a1a}\n"
    "footer{margin-top:24px;font-size:9pt;color:#555}\n"
    "@page{size:A4;margin:14mm 12mm}\n"
    "@media print{body{margin:0;max-width:none;padding:0;font-size:10pt}"
    "section{break-before:page;page-break-before:always;margin:0}"
    "header+section{break-before:auto;page-break-before:auto}"
    "thead{display:table-header-group}"
    "tr{break-inside:avoid;page-break-inside:avoid}"
    "h2{break-after:avoid;page-break-after:avoid}"
    "svg.chart{break-inside:avoid;page-break-inside:avoid}}\n";

/* Stacked bars: one per unit, one segment per status, with a legend. */
static void html_chart_units(FILE *f, const report_t *r)
{
    if (r->total == 0)
        return;
    uint64_t max = 1;
    for (size_t i = 0; i < r->n_units; i++)
        max = r->units[i].total > max ? r->units[i].total : max;
    const int label_w = 250, x0 = label_w + 8, bar_w = CHART_W - x0 - CHART_NUM;
    int h = CHART_TOP + (int)r->n_units * CHART_ROW + 8;
    fprintf(f,
            "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
            "width=\"%d\" height=\"%d\" role=\"img\" aria-labelledby=\"chart-units-title\">\n"
            "<title id=\"chart-units-title\">",
            CHART_W, h, CHART_W, h);
    xml_escape_file(f, report_text("chart_units", REPORT_VI));
    fputs("</title>\n", f);
    double lx = 0; /* legend items side by side, each as wide as its label */
    for (size_t k = 0; k < REPORT_NSTATUS; k++) {
        const char *label = report_status_label(k, REPORT_VI);
        fprintf(f, "<rect x=\"%.1f\" y=\"4\" width=\"12\" height=\"12\" fill=\"%s\"/>", lx,
                html_status_colour[k]);
        fprintf(f, "<text x=\"%.1f\" y=\"14\">", lx + 16);
        xml_escape_file(f, label);
        fputs("</text>\n", f);
        lx += 16 + CHART_CHAR_W * (double)html_chars(label) + 14;
    }
    for (size_t i = 0; i < r->n_units; i++) {
        const report_unit_t *u = &r->units[i];
        int y = CHART_TOP + (int)i * CHART_ROW;
        char label[600];
        snprintf(label, sizeof(label), "%s %s", u->code, u->name != NULL ? u->name : "");
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label_w, y + CHART_BAR - 3);
        html_esc_cut(f, label, CHART_LABEL);
        fputs("</text>\n", f);
        double x = x0;
        for (size_t k = 0; k < REPORT_NSTATUS; k++) {
            if (u->n[k] == 0)
                continue;
            double w = (double)u->n[k] * bar_w / (double)max;
            fprintf(f,
                    "<rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"%s\">"
                    "<title>",
                    x, y, w, CHART_BAR, html_status_colour[k]);
            xml_escape_file(f, label);
            fprintf(f, ": %s %llu</title></rect>\n", report_status_label(k, REPORT_VI),
                    (unsigned long long)u->n[k]);
            x += w;
        }
        fprintf(f, "<text x=\"%.2f\" y=\"%d\">%llu</text>\n", x + 6, y + CHART_BAR - 3,
                (unsigned long long)u->total);
    }
    fputs("</svg>\n", f);
}

/* One bar per award form that was given. */
static void html_chart_forms(FILE *f, const report_t *r)
{
    if (r->forms_total == 0)
        return;
    uint64_t max = 1;
    size_t rows = 0;
    for (size_t i = 0; i < r->n_forms; i++) {
        if (r->forms[i].n > 0)
            rows++;
        max = r->forms[i].n > max ? r->forms[i].n : max;
    }
    const int label_w = 300, x0 = label_w + 8, bar_w = CHART_W - x0 - CHART_NUM;
    int h = 8 + (int)rows * CHART_ROW + 8;
    fprintf(f,
            "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
            "width=\"%d\" height=\"%d\" role=\"img\" aria-labelledby=\"chart-forms-title\">\n"
            "<title id=\"chart-forms-title\">",
            CHART_W, h, CHART_W, h);
    xml_escape_file(f, report_text("chart_forms", REPORT_VI));
    fputs("</title>\n", f);
    int y = 8;
    for (size_t i = 0; i < r->n_forms; i++) {
        const report_count_t *c = &r->forms[i];
        if (c->n == 0)
            continue;
        const char *name = c->name != NULL && c->name[0] != '\0' ? c->name : c->code;
        double w = (double)c->n * bar_w / (double)max;
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label_w, y + CHART_BAR - 3);
        html_esc_cut(f, name, CHART_LABEL + 8);
        fprintf(f,
                "</text>\n<rect x=\"%d\" y=\"%d\" width=\"%.2f\" height=\"%d\" fill=\"#8b1a1a\">"
                "<title>",
                x0, y, w, CHART_BAR);
        xml_escape_file(f, name);
        fprintf(f, ": %llu</title></rect>\n<text x=\"%.2f\" y=\"%d\">%llu</text>\n",
                (unsigned long long)c->n, x0 + w + 6, y + CHART_BAR - 3, (unsigned long long)c->n);
        y += CHART_ROW;
    }
    fputs("</svg>\n", f);
}

static void html_cell(FILE *f, const rcell_t *c)
{
    char buf[64];
    const char *cls = c->kind == RCELL_NUM    ? " class=\"n\""
                      : c->kind == RCELL_TEXT ? ""
                                              : " class=\"d\"";
    fprintf(f, "<td%s>", cls);
    xml_escape_file(f, rcell_str(c, REPORT_VI, buf, sizeof(buf)));
    fputs("</td>", f);
}

static void html_table(FILE *f, const rsheet_t *s)
{
    fputs("<table>\n<thead><tr>", f);
    for (size_t c = s->ngroup; c < s->ncols; c++) {
        fputs("<th scope=\"col\">", f);
        xml_escape_file(f, s->heads[c]);
        fputs("</th>", f);
    }
    fputs("</tr></thead>\n<tbody>\n", f);
    int span = (int)(s->ncols - s->ngroup);
    for (size_t row = 0; row < s->nrows; row++) {
        for (size_t g = 0; g + 1 < s->ngroup; g += 2) {
            bool changed = row == 0;
            for (size_t k = 0; k <= g + 1 && !changed; k++)
                changed =
                    strcmp(rsheet_cell(s, row - 1, k)->text, rsheet_cell(s, row, k)->text) != 0;
            if (!changed)
                continue;
            fprintf(f, "<tr class=\"g%zu\"><th colspan=\"%d\">", g / 2 + 1, span);
            xml_escape_file(f, rsheet_cell(s, row, g)->text);
            fputs(" — ", f);
            xml_escape_file(f, rsheet_cell(s, row, g + 1)->text);
            if (g == 0) {
                size_t n = 0;
                while (row + n < s->nrows &&
                       strcmp(rsheet_cell(s, row + n, 0)->text, rsheet_cell(s, row, 0)->text) == 0)
                    n++;
                fprintf(f, " (%zu)", n);
            }
            fputs("</th></tr>\n", f);
        }
        bool total = s->total_row && row + 1 == s->nrows;
        fputs(total ? "<tr class=\"total\">" : "<tr>", f);
        for (size_t c = s->ngroup; c < s->ncols; c++)
            html_cell(f, rsheet_cell(s, row, c));
        fputs("</tr>\n", f);
    }
    fputs("</tbody>\n</table>\n", f);
}

static void html_header(FILE *f, const report_t *r)
{
    char d1[DATE_STR_SIZE], d2[DATE_STR_SIZE], t[OUT_TIME_SIZE];
    fputs("<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"generator\" content=\"thidua\">\n<title>",
          f);
    xml_escape_file(f, report_text("title", REPORT_VI));
    fputs(" — ", f);
    xml_escape_file(f, r->campaign_name);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header>\n<h1>", html_css);
    xml_escape_file(f, report_text("title", REPORT_VI));
    fputs("</h1>\n<p class=\"campaign\">", f);
    xml_escape_file(f, r->campaign_name);
    fputs("</p>\n<dl class=\"info\">\n<dt>", f);
    xml_escape_file(f, report_text("code", REPORT_VI));
    fputs("</dt><dd>", f);
    xml_escape_file(f, r->campaign_code);
    fputs("</dd>\n<dt>", f);
    xml_escape_file(f, report_text("organiser", REPORT_VI));
    fputs("</dt><dd>", f);
    xml_escape_file(f, r->organiser);
    fputs("</dd>\n<dt>", f);
    xml_escape_file(f, report_text("period", REPORT_VI));
    fputs("</dt><dd>", f);
    xml_escape_file(f, out_date_vn(r->starts_on, d1));
    fputs(" – ", f);
    xml_escape_file(f, out_date_vn(r->ends_on, d2));
    fputs("</dd>\n<dt>", f);
    xml_escape_file(f, report_text("generated", REPORT_VI));
    fputs("</dt><dd>", f);
    xml_escape_file(f, out_time_vn(r->generated_at_ms, t));
    fputs("</dd>\n</dl>\n</header>\n", f);
}

int report_write_html(const report_t *r, FILE *f, char *err, size_t errlen)
{
    rsheet_t *sheets;
    size_t n;
    if (report_sheets(r, REPORT_VI, &sheets, &n) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    html_header(f, r);
    int num = 0;
    for (size_t i = 0; i < n; i++) {
        const rsheet_t *s = &sheets[i];
        if (strcmp(s->key, "info") == 0)
            continue;
        fprintf(f, "<section id=\"%s\">\n<h2>%d. ", s->key, ++num);
        xml_escape_file(f, s->title);
        fputs("</h2>\n", f);
        if (strcmp(s->key, "units") == 0)
            html_chart_units(f, r);
        else if (strcmp(s->key, "forms") == 0)
            html_chart_forms(f, r);
        if (s->nrows == 0 && s->empty != NULL) {
            fputs("<p class=\"empty\">", f);
            xml_escape_file(f, s->empty);
            fputs("</p>\n", f);
        } else {
            html_table(f, s);
        }
        fputs("</section>\n", f);
    }
    fputs("<footer>thidua</footer>\n</body>\n</html>\n", f);
    report_sheets_free(sheets, n);
    if (fflush(f) != 0 || ferror(f)) {
        snprintf(err, errlen, "cannot write the report");
        return -1;
    }
    return 0;
}

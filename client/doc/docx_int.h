/*
 * docx_int.h - what the files of the DOCX writer share, and only they:
 * doc_docx.c (the package: its parts in a ZIP archive, written whole or not
 * at all), docx_parts.c (the parts that hardly depend on the document) and
 * docx_body.c (word/document.xml, the document itself).
 */
#ifndef THIDUA_CLIENT_DOCX_INT_H
#define THIDUA_CLIENT_DOCX_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "doc.h"
#include "strbuf.h"

/* The text size of the Normal style (styles.xml); runs of another size say theirs. */
#define DOCX_NORMAL_PT 13.0

/* Relationship ids of word/_rels/document.xml.rels, as document.xml refers to them. */
#define DOCX_RID_STYLES "rId1"
#define DOCX_RID_SETTINGS "rId2"
#define DOCX_RID_HEADER_NUMBER "rId3" /* word/header1.xml: the page number */
/* word/header2.xml: nothing (a numbered section's first page, the unnumbered sections) */
#define DOCX_RID_HEADER_EMPTY "rId4"

/* Twentieths of a point (twips) in a length of mm millimetres, rounded. */
long docx_twips(double mm);

/* Whether any section numbers its pages: then the package holds the two headers. */
bool docx_page_numbers(const doc_t *d);

/*
 * word/document.xml of d, appended to out. 0, or -1 with a sentence in err
 * (text that is not UTF-8). d has no frames (doc_write_docx refused it).
 */
THIDUA_MUSTCHECK int docx_document_xml(const doc_t *d, strbuf_t *out, char *err, size_t errlen);

/* The fixed parts, appended to out; title and now (a W3CDTF UTC time) for core.xml. */
void docx_content_types_xml(strbuf_t *out, bool headers);
void docx_package_rels_xml(strbuf_t *out);
void docx_document_rels_xml(strbuf_t *out, bool headers);
void docx_styles_xml(strbuf_t *out);
void docx_settings_xml(strbuf_t *out);
void docx_header_xml(strbuf_t *out, bool page_number);
void docx_core_xml(strbuf_t *out, const char *title, const char *now);
void docx_app_xml(strbuf_t *out);

#endif

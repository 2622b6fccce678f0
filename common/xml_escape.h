/*
 * xml_escape.h - text that can never become markup: the five characters
 * that could end an XML (or HTML) text node or attribute value, written as
 * entities.
 *
 * One home for it because every writer of markup needs it the same way: the
 * HTML report (client/report/report_html.c) and the DOCX writer
 * (client/doc/). Names, titles and decisions are typed by district offices;
 * a "<" or "&" in them must stay text.
 */
#ifndef THIDUA_XML_ESCAPE_H
#define THIDUA_XML_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

#include "strbuf.h"

/* The entity that stands for c (&amp; &lt; &gt; &quot; &#39;), or NULL when c stands for itself. */
const char *xml_entity(char c);

/* s (NUL-terminated; NULL is "") escaped onto f. */
void xml_escape_file(FILE *f, const char *s);

/* s[0..len) escaped, appended to sb. */
void xml_escape_strbuf(strbuf_t *sb, const char *s, size_t len);

#endif

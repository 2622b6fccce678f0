/*
 * xml_escape.c - XML and HTML escaping (xml_escape.h), onto a stream or
 * into a string, by one loop that copies the stretches between entities.
 */
#include "xml_escape.h"

#include <string.h>

const char *xml_entity(char c)
{
    switch (c) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '"':
        return "&quot;";
    case '\'':
        return "&#39;"; /* not &apos;: HTML 4 does not know it */
    default:
        return NULL;
    }
}

typedef void xml_put_fn(void *sink, const char *p, size_t n);

static void xml_escape_to(const char *s, size_t len, xml_put_fn *put, void *sink)
{
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        const char *ent = xml_entity(s[i]);
        if (ent == NULL)
            continue;
        put(sink, s + start, i - start);
        put(sink, ent, strlen(ent));
        start = i + 1;
    }
    put(sink, s + start, len - start);
}

static void xml_put_file(void *sink, const char *p, size_t n)
{
    if (n > 0)
        fwrite(p, 1, n, sink);
}

static void xml_put_strbuf(void *sink, const char *p, size_t n)
{
    strbuf_append(sink, p, n);
}

void xml_escape_file(FILE *f, const char *s)
{
    if (s != NULL)
        xml_escape_to(s, strlen(s), xml_put_file, f);
}

void xml_escape_strbuf(strbuf_t *sb, const char *s, size_t len)
{
    xml_escape_to(s, len, xml_put_strbuf, sb);
}

/*
 * xlsx_read.h - the cells of one worksheet of an XLSX workbook.
 *
 * Offices send the workbook Excel saved rather than a CSV export, so the
 * importer reads the parts that hold values: the workbook (which sheets,
 * whether dates count from 1904), its relationships (which part is which
 * sheet), the shared strings, the styles (which cells are dates) and the
 * worksheet. Text comes as Excel stores it (shared or inline strings),
 * numbers as their shortest decimal, and a number shown with a date format
 * as its date, DD/MM/YYYY. Formulas give their cached value.
 *
 * A workbook is a ZIP archive and may be hostile: every part is read up to
 * a bound on its uncompressed size, whatever its header claims, the total
 * too, and a cell's text has a bound of its own. No DTD is accepted in a
 * part (Excel never writes one; entities are how XML bombs work).
 */
#ifndef THIDUA_CLIENT_XLSX_READ_H
#define THIDUA_CLIENT_XLSX_READ_H

#include <stddef.h>

#include "defs.h"
#include "sheet.h"

/* Bounds on what a workbook may unpack to. */
#define XLSX_MAX_PART (128u * 1024u * 1024u)  /* one part, uncompressed */
#define XLSX_MAX_TOTAL (256u * 1024u * 1024u) /* all parts read */
/* One cell's text: above Excel's own limit (32,767 UTF-16 units, at most 96 KiB of UTF-8). */
#define XLSX_MAX_CELL (128u * 1024u)

/* Whether data looks like a ZIP archive (an XLSX workbook, if anything). */
int xlsx_is_zip(const char *data, size_t len);

/*
 * Read the worksheet named sheet_name (NULL: the first) of the workbook in
 * data[0..len) into out (sheet_init'ed by the caller; sparse is set).
 * Returns TD_OK; TD_ESHEET with a sentence in why (a missing part, a bound
 * passed, broken XML, no such sheet: naming the sheets there are);
 * TD_ENOMEM.
 */
THIDUA_MUSTCHECK int xlsx_read(const char *data, size_t len, const char *sheet_name, sheet_t *out,
                               char *why, size_t whylen);

#endif

/*
 * import_form.h - the empty form an office fills in for `thidua import`:
 * the Vietnamese headers the importer knows first, and one example row.
 *
 * Handing out the form is cheaper than explaining the columns: an office
 * that starts from it never meets "unknown column".
 */
#ifndef THIDUA_CLIENT_IMPORT_FORM_H
#define THIDUA_CLIENT_IMPORT_FORM_H

#include <stddef.h>

#include "defs.h"
#include "error.h"

/* Columns of the form: the header and the example row's value. */
typedef struct form_column {
    const char *header;
    const char *example;
} form_column_t;

extern const form_column_t form_columns[];
extern const size_t form_ncolumns;

/*
 * Write the form to path: an XLSX workbook when path ends in ".xlsx" (any
 * case), else a CSV file in UTF-8 with a byte order mark (so that Excel
 * reads it as UTF-8). Returns TD_OK, or TD_EIO with a sentence in why.
 */
THIDUA_MUSTCHECK int form_write(const char *path, char *why, size_t whylen);

#endif

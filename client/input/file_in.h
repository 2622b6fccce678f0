/*
 * file_in.h - a whole input file (a spreadsheet, a reorganisation) in memory,
 * bounded: a file the officer names is read at once, never past a limit, so
 * that a wrong path to a disk image fails fast instead of filling memory.
 */
#ifndef THIDUA_CLIENT_FILE_IN_H
#define THIDUA_CLIENT_FILE_IN_H

#include <stddef.h>

#include "defs.h"
#include "error.h"

/*
 * Read path ("-": standard input) into *data (malloc'd, the caller frees;
 * NUL-terminated, the NUL not counted in *len). Returns TD_OK; TD_EIO when it
 * cannot be opened or read (errno says why); TD_EHUGE when it holds more
 * than max bytes; TD_ENOMEM. *data is NULL on failure.
 */
THIDUA_MUSTCHECK int file_in_read(const char *path, size_t max, char **data, size_t *len);

#endif

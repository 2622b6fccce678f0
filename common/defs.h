/*
 * defs.h - small attributes and helpers shared by every module.
 *
 * Kept tiny on purpose: anything with behaviour belongs in a module of its own.
 */
#ifndef THIDUA_DEFS_H
#define THIDUA_DEFS_H

#include <stddef.h>

/* A result the caller must look at: errors are returned, never ignored. */
#define THIDUA_MUSTCHECK __attribute__((warn_unused_result))
#define THIDUA_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define THIDUA_UNUSED(x) ((void)(x))
#define THIDUA_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif

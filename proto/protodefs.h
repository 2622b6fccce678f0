/*
 * protodefs.h - the few attributes the codec's headers need.
 *
 * proto/ is built before and without common/ (common links thidua_proto, not
 * the other way round), so it cannot include common/defs.h. The definitions
 * below are token for token the same as there, which C allows to be repeated
 * when both headers meet in one translation unit.
 */
#ifndef THIDUA_PROTODEFS_H
#define THIDUA_PROTODEFS_H

/* A result the caller must look at: errors are returned, never ignored. */
#define THIDUA_MUSTCHECK __attribute__((warn_unused_result))

#endif

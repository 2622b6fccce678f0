/*
 * error.h - the one list of error codes that every thidua module returns.
 *
 * A function that can fail returns 0 (or a count) on success and a negative
 * TD_E* code on failure, as libuv does. No module keeps an error enum of its
 * own, so a code passes from the store to sync to a command unchanged, with
 * no translator between modules. td_strerror() gives the sentence for logs
 * and messages; the caller adds where and what (a field, a line, a frame).
 *
 * The codes are this build's own: they never reach the disk or the wire
 * (the wire has Error.Code in thidua.proto; a program's exit status is the
 * CLI's exit code).
 */
#ifndef THIDUA_ERROR_H
#define THIDUA_ERROR_H

/* XX(name, sentence); a code's value is its place in the list, from -1 down. */
#define TD_ERRNO_MAP(XX)                                                                           \
    /* resources and arguments */                                                                  \
    XX(ENOMEM, "out of memory")                                                                    \
    XX(EINVAL, "invalid argument")                                                                 \
    XX(EBUSY, "busy")                                                                              \
    XX(ECLOSED, "shutting down")                                                                   \
    XX(EINTERNAL, "internal error")                                                                \
    XX(EIO, "input/output error")                                                                  \
    XX(ERAND, "the random number generator failed")                                               \
    /* text */                                                                                     \
    XX(EICU, "ICU failure")                                                                        \
    XX(EHUGE, "text too large")                                                                    \
    XX(EUTF8, "invalid UTF-8")                                                                     \
    XX(ENUL, "NUL byte in text")                                                                   \
    XX(ECONTROL, "control character")                                                              \
    XX(ELINEBREAK, "line break in a single-line field")                                            \
    XX(ENONCHAR, "noncharacter")                                                                   \
    XX(EBIDI, "bidirectional control")                                                             \
    XX(EEMPTY, "empty")                                                                            \
    XX(ESHORT, "too short")                                                                        \
    XX(ELONG, "too long")                                                                          \
    XX(EINPUT, "invalid value")                                                                    \
    /* dates and identifiers */                                                                    \
    XX(EFORMAT, "not in the expected format")                                                      \
    XX(EYEAR, "year out of range")                                                                 \
    XX(EMONTH, "month out of range")                                                               \
    XX(EDAY, "no such day in that month")                                                          \
    XX(ERANGE, "out of range")                                                                     \
    /* frames and messages on the wire */                                                          \
    XX(EZERO, "frame length 0 is invalid")                                                         \
    XX(ETOOBIG, "frame length exceeds the limit")                                                  \
    XX(EMALFORMED, "malformed message")                                                            \
    XX(ETEXT, "a string that is not valid UTF-8 or contains a NUL byte")                           \
    XX(EDEPTH, "nested too deep")                                                                  \
    XX(ENOBODY, "no body")                                                                         \
    XX(EUNKNOWN, "a message type this version does not know")                                     \
    XX(EBUDGET, "needs more memory to decode than its size allows")                                \
    XX(ETOOMANY, "more elements in a repeated field than allowed")                                 \
    XX(EPROTO, "protocol violation")                                                               \
    /* CSV */                                                                                      \
    XX(EQUOTE, "a quoted field is never closed (a \" is missing)")                                 \
    XX(EJUNK, "text after the closing quote of a field")                                           \
    XX(ERAGGED, "the row has another number of fields than the header")                           \
    /* imported files */                                                                           \
    XX(ECHARSET, "a byte that the text encoding does not define")                                 \
    XX(EUNSURE, "the text encoding cannot be told apart")                                         \
    XX(ESHEET, "not a readable XLSX workbook")                                                    \
    /* stores and databases */                                                                     \
    XX(EDB, "database error")                                                                      \
    XX(ELOST, "database connection lost: the outcome is unknown")                                 \
    XX(EUNAVAILABLE, "no database connection free in time")                                       \
    XX(ENOTFOUND, "not found")                                                                     \
    XX(EAMBIGUOUS, "ambiguous id prefix")                                                          \
    XX(EEXISTS, "record exists")                                                                   \
    XX(ELOCKED, "record locked")                                                                   \
    XX(ESTALE, "record changed meanwhile")                                                         \
    XX(ENEWER, "made by a newer thidua")                                                           \
    XX(ENOTSTORE, "not a thidua store")                                                            \
    XX(ECHECKSUM, "an applied migration's text changed")                                           \
    /* the network and the server, as sync and rpc report them */                                 \
    XX(ECONNECT, "could not connect")                                                              \
    XX(ENETWORK, "network")                                                                        \
    XX(EREFUSED, "refused by the server")                                                          \
    XX(ESERVER, "server error")                                                                    \
    XX(ECONFIG, "configuration")                                                                   \
    XX(ESTORE, "local store")

/* Each code's place in the list, from 0. */
enum {
#define TD__ERR_INDEX(name, msg) TD__INDEX_##name,
    TD_ERRNO_MAP(TD__ERR_INDEX)
#undef TD__ERR_INDEX
    TD__NERR
};

enum {
    TD_OK = 0,
#define TD__ERR_CODE(name, msg) TD_##name = -1 - TD__INDEX_##name,
    TD_ERRNO_MAP(TD__ERR_CODE)
#undef TD__ERR_CODE
};

/* The sentence for a code: "ok" for 0, "unknown error" for what is not a code. */
const char *td_strerror(int err);
/* The code's name without TD_ ("EUTF8"), for logs and tests; "OK" for 0. */
const char *td_err_name(int err);

#endif

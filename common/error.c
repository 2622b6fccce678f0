/*
 * error.c - the sentence and the name of each TD_E* code (error.h), both
 * made from TD_ERRNO_MAP, so that a new code is one line there and none here.
 */
#include "error.h"

static const struct {
    const char *name;
    const char *message;
} td_errors[TD__NERR] = {
#define TD__ERR_ROW(name, msg) [TD__INDEX_##name] = {#name, msg},
    TD_ERRNO_MAP(TD__ERR_ROW)
#undef TD__ERR_ROW
};

static int td_is_code(int err)
{
    return err < 0 && err >= -TD__NERR;
}

const char *td_strerror(int err)
{
    if (err == 0)
        return "ok";
    return td_is_code(err) ? td_errors[-err - 1].message : "unknown error";
}

const char *td_err_name(int err)
{
    if (err == 0)
        return "OK";
    return td_is_code(err) ? td_errors[-err - 1].name : "UNKNOWN";
}

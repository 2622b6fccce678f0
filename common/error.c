/*
 * error.c - sentences and names of the TD_E* codes (error.h): both come from
 * TD_ERRNO_MAP, so a new code is one line there and nothing here.
 */
#include "error.h"

static const char *const td_messages[TD__NERR] = {
#define TD__ERR_MSG(name, msg) [TD__INDEX_##name] = msg,
    TD_ERRNO_MAP(TD__ERR_MSG)
#undef TD__ERR_MSG
};

static const char *const td_names[TD__NERR] = {
#define TD__ERR_NAME(name, msg) [TD__INDEX_##name] = #name,
    TD_ERRNO_MAP(TD__ERR_NAME)
#undef TD__ERR_NAME
};

const char *td_strerror(int err)
{
    if (err == 0)
        return "ok";
    if (err < 0 && -err <= TD__NERR)
        return td_messages[-err - 1];
    return "unknown error";
}

const char *td_err_name(int err)
{
    if (err == 0)
        return "OK";
    if (err < 0 && -err <= TD__NERR)
        return td_names[-err - 1];
    return "UNKNOWN";
}

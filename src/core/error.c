/* Thread-local error message and the log hook. */
#include "lathe/core.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define LT_ERRMSG_CAP 1024

static _Thread_local char errmsg[LT_ERRMSG_CAP];

const char *lt_last_error(void) { return errmsg; }

void lt_error_clear(void) { errmsg[0] = '\0'; }

const char *lt_status_name(int status)
{
    switch (status) {
    case LT_OK: return "OK";
    case LT_EINVAL: return "EINVAL";
    case LT_EIO: return "EIO";
    case LT_EFORMAT: return "EFORMAT";
    case LT_ENOMEM: return "ENOMEM";
    case LT_ENOTFOUND: return "ENOTFOUND";
    case LT_ETYPE: return "ETYPE";
    case LT_ECORRUPT: return "ECORRUPT";
    case LT_EUNSUPPORTED: return "EUNSUPPORTED";
    case LT_ESTATE: return "ESTATE";
    case LT_ELIMIT: return "ELIMIT";
    default: return "EUNKNOWN";
    }
}

int lt_error(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errmsg, sizeof errmsg, fmt, ap);
    va_end(ap);
    return status;
}

int lt_error_wrap(int status, const char *fmt, ...)
{
    char prefix[LT_ERRMSG_CAP], old[LT_ERRMSG_CAP];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, errmsg, sizeof old);
    snprintf(errmsg, sizeof errmsg, "%s%s", prefix, old);
    return status;
}

/* ---- logging ---- */

static lt_log_fn log_fn;
static void *log_user;

void lt_log_set_hook(lt_log_fn fn, void *user)
{
    log_fn = fn;
    log_user = user;
}

void lt_log(lt_log_level level, const char *fmt, ...)
{
    if (!log_fn)
        return;
    char msg[LT_ERRMSG_CAP];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_fn(level, msg, log_user);
}

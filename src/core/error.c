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
    /* Format into a local buffer first: callers often pass lt_last_error()
     * itself as an argument, and vsnprintf into its own source is undefined
     * (glibc garbles it). */
    char msg[LT_ERRMSG_CAP];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memcpy(errmsg, msg, sizeof errmsg);
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
    /* prefix + old, truncated to the buffer (explicit copies: no
     * -Wformat-truncation noise from snprintf("%s%s")). */
    size_t np = strlen(prefix), no = strlen(old);
    if (np > LT_ERRMSG_CAP - 1)
        np = LT_ERRMSG_CAP - 1;
    if (no > LT_ERRMSG_CAP - 1 - np)
        no = LT_ERRMSG_CAP - 1 - np;
    memcpy(errmsg, prefix, np);
    memcpy(errmsg + np, old, no);
    errmsg[np + no] = '\0';
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

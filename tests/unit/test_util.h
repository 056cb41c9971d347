/* Shared helpers for the cmocka unit tests. cmocka needs these four headers
 * before its own (DEPENDENCIES.md gotcha 10). */
#ifndef LATHE_TEST_UTIL_H
#define LATHE_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lathe/lathe.h"

/* Fails the test with lathe's message when a call does not return LT_OK. */
#define assert_ok(expr)                                                                   \
    do {                                                                                  \
        int rc_ = (expr);                                                                 \
        if (rc_ != LT_OK)                                                                 \
            fail_msg("%s returned %s: %s", #expr, lt_status_name(rc_), lt_last_error()); \
    } while (0)

#define assert_near(a, b, tol)                                                          \
    do {                                                                                \
        double a_ = (a), b_ = (b);                                                      \
        if (!(fabs(a_ - b_) <= (tol)))                                                  \
            fail_msg("%s = %.9g, expected %.9g (tolerance %g)", #a, a_, b_, (double)(tol)); \
    } while (0)

/* Error message must contain `needle`. */
#define assert_error_contains(needle)                                                   \
    do {                                                                                \
        if (!strstr(lt_last_error(), (needle)))                                         \
            fail_msg("error message '%s' lacks '%s'", lt_last_error(), (needle));       \
    } while (0)

/* Directory of the real datasets (LATHE_DATA, default ../shared/datasets). */
static inline const char *test_data_dir(void)
{
    const char *d = getenv("LATHE_DATA"), *def = getenv("LATHE_DATA_DEFAULT");
    return d && *d ? d : def && *def ? def : "../shared/datasets";
}

/* Path of a dataset file, or NULL (and a skip message) if it is absent. */
static inline const char *test_data_file(const char *rel, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s", test_data_dir(), rel);
    if (access(buf, R_OK) != 0) {
        print_message("SKIPPED: %s is absent (set LATHE_DATA to the datasets folder)\n", buf);
        return NULL;
    }
    return buf;
}

/* A per-process scratch directory for files a test writes. */
static inline const char *test_tmp_dir(void)
{
    static char dir[512];
    if (!dir[0]) {
        const char *base = getenv("LATHE_TEST_TMP");
        snprintf(dir, sizeof dir, "%s/t%ld", base && *base ? base : "/tmp", (long)getpid());
        char cmd[600];
        snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
        if (system(cmd) != 0)
            fail_msg("cannot create %s", dir);
    }
    return dir;
}

#endif

/* CSV writer: header row, comma-delimited, RFC 4180 quoting where needed,
 * numbers in their shortest round-tripping form, missing values empty.
 * Built in memory, then written atomically (temp file, fsync, rename). */
#include "table_impl.h"

#include <stdlib.h>
#include <string.h>

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int failed;
} sbuf;

static int sb_reserve(sbuf *s, size_t extra)
{
    if (s->failed)
        return 0;
    if (s->len + extra <= s->cap)
        return 1;
    size_t cap = s->cap ? s->cap : 1 << 16;
    while (cap < s->len + extra)
        cap *= 2;
    char *p = realloc(s->p, cap);
    if (!p) {
        s->failed = 1;
        return 0;
    }
    s->p = p;
    s->cap = cap;
    return 1;
}

static void sb_put(sbuf *s, const char *x, size_t n)
{
    if (sb_reserve(s, n)) {
        memcpy(s->p + s->len, x, n);
        s->len += n;
    }
}

/* Quotes when the text holds a comma, quote or line break, has edge spaces,
 * or would otherwise read back as a different value kind is not our call:
 * a level "NA" reads back as missing, as in every CSV tool. */
static void sb_field(sbuf *s, const char *x)
{
    size_t n = strlen(x);
    int quote = n > 0 && (x[0] == ' ' || x[n - 1] == ' ');
    for (size_t i = 0; i < n && !quote; i++)
        quote = x[i] == ',' || x[i] == '"' || x[i] == '\n' || x[i] == '\r';
    if (!quote) {
        sb_put(s, x, n);
        return;
    }
    if (!sb_reserve(s, 2 * n + 2))
        return;
    char *o = s->p + s->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (x[i] == '"')
            *o++ = '"';
        *o++ = x[i];
    }
    *o++ = '"';
    s->len = (size_t)(o - s->p);
}

int lt_csv_write(const char *path, const lt_table *t)
{
    if (!path || !t)
        return lt_error(LT_EINVAL, "lt_csv_write: path and table must not be NULL");
    int ncols = lt_table_ncols(t);
    int64_t nrows = lt_table_nrows(t);
    if (ncols <= 0)
        return lt_error(LT_EINVAL, "%s: the table has no columns; nothing to write", path);
    sbuf s = {0};
    for (int j = 0; j < ncols; j++) {
        if (j)
            sb_put(&s, ",", 1);
        sb_field(&s, lt_table_col_name(t, j));
    }
    sb_put(&s, "\n", 1);
    const double **num = calloc((size_t)ncols, sizeof *num);
    const int32_t **cat = calloc((size_t)ncols, sizeof *cat);
    if (!num || !cat) {
        free(num);
        free(cat);
        free(s.p);
        return lt_error(LT_ENOMEM, "%s: out of memory", path);
    }
    for (int j = 0; j < ncols; j++) {
        num[j] = lt_table_num(t, j);
        cat[j] = lt_table_cat(t, j);
    }
    char tmp[48];
    for (int64_t i = 0; i < nrows && !s.failed; i++) {
        for (int j = 0; j < ncols; j++) {
            if (j)
                sb_put(&s, ",", 1);
            if (num[j]) {
                int n = lt_fmt_double(num[j][i], tmp, sizeof tmp);
                sb_put(&s, tmp, (size_t)n);
            } else if (cat[j][i] >= 0) {
                sb_field(&s, lt_table_cat_level(t, j, cat[j][i]));
            }
        }
        sb_put(&s, "\n", 1);
    }
    free(num);
    free(cat);
    if (s.failed) {
        free(s.p);
        return lt_error(LT_ENOMEM, "%s: out of memory formatting the CSV", path);
    }
    int rc = lt_write_file_atomic(path, s.p, s.len);
    free(s.p);
    return rc;
}

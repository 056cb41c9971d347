/* The hold-out split of train and tune: --split HOW over the table's rows. */
#include "cli.h"
#include "lathe/split.h"

#include <stdlib.h>
#include <string.h>

/* Codes of column j for all rows (malloc'd), or NULL with the message set. */
static int64_t *column_codes(const lt_table *t, int j)
{
    int64_t n = lt_table_nrows(t);
    int64_t *c = lt_malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    if (c && lt_table_col_codes(t, j, NULL, n, c)) {
        free(c);
        return NULL;
    }
    return c;
}

int cli_make_split(const lt_table *t, const char *how, double frac, uint64_t seed,
                   const lt_pipeline_spec *spec, lt_task task, lt_split *s)
{
    int64_t n = lt_table_nrows(t);
    if (!how)
        how = task == LT_TASK_CLASSIFICATION && spec->target ? "stratified" : "random";
    if (!strcmp(how, "random"))
        return lt_split_random(n, frac, seed, s);
    if (!strcmp(how, "stratified")) {
        if (!spec->target)
            return lt_error(LT_EINVAL, "--split stratified needs --target");
        int j = lt_table_require(t, spec->target);
        if (j < 0)
            return LT_ENOTFOUND;
        int64_t *c = column_codes(t, j);
        int32_t *lab = c ? lt_malloc(sizeof(int32_t) * (size_t)n) : NULL;
        int rc = lab ? LT_OK : LT_ENOMEM;
        for (int64_t i = 0; !rc && i < n; i++)
            lab[i] = (int32_t)c[i];
        if (!rc)
            rc = lt_split_stratified(lab, n, frac, seed, s);
        free(c);
        free(lab);
        return rc;
    }
    if (!strncmp(how, "group:", 6) || !strncmp(how, "time:", 5)) {
        const char *col = strchr(how, ':') + 1;
        int j = lt_table_require(t, col);
        if (j < 0)
            return lt_error_wrap(LT_ENOTFOUND, "--split %s: ", how);
        if (how[0] == 'g') {
            int64_t *g = column_codes(t, j);
            if (!g)
                return LT_ENOMEM;
            int rc = lt_split_group(g, n, frac, seed, s);
            free(g);
            return rc;
        }
        /* numbers, or text timestamps (ISO 8601) ordered as strings */
        double *key = lt_malloc(sizeof(double) * (size_t)(n ? n : 1));
        int rc = key ? lt_table_col_order(t, j, key) : LT_ENOMEM;
        if (!rc)
            rc = lt_split_time(key, n, frac, s);
        free(key);
        return rc;
    }
    return lt_error(LT_EINVAL, "--split must be random, stratified, group:COL or time:COL, got '%s'",
                    how);
}


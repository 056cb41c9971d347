/* JSON rows of a predict request -> an lt_table in the pipeline's input
 * schema, with messages that point at the offending row and column. */
#include "serve_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    case JSON_NULL: return "null";
    }
    return "value";
}

json_t *srv_json_float(float v)
{
    if (!isfinite(v))
        return json_null();
    /* Shortest %g that survives the float round trip, so 0.3f prints as 0.3
     * and not as 0.30000001192092896. */
    char buf[32];
    for (int prec = 6; prec <= 9; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, (double)v);
        if ((float)strtod(buf, NULL) == v)
            break;
    }
    return json_real(strtod(buf, NULL));
}

/* A number given for a categorical column, as the text a CSV would hold. */
static void number_text(const json_t *v, char *buf, size_t cap)
{
    if (json_is_integer(v)) {
        snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
        return;
    }
    double d = json_real_value(v);
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
}

typedef char numtext[32];

/* One categorical column: borrowed strings from the JSON, except numbers,
 * which are formatted into `texts` (allocated on first use). */
static int cat_column(json_t *rows, const char *col, int64_t n, const char **vals,
                      numtext **texts)
{
    for (int64_t i = 0; i < n; i++) {
        json_t *v = json_object_get(json_array_get(rows, (size_t)i), col);
        if (!v)
            return lt_error(LT_ENOTFOUND, "rows[%lld]: missing column '%s'", (long long)i, col);
        if (json_is_null(v)) {
            vals[i] = NULL;
        } else if (json_is_string(v)) {
            vals[i] = json_string_value(v);
        } else if (json_is_number(v)) {
            if (!*texts && !(*texts = lt_calloc((size_t)n, sizeof(numtext))))
                return LT_ENOMEM;
            number_text(v, (*texts)[i], sizeof(numtext));
            vals[i] = (*texts)[i];
        } else {
            return lt_error(LT_ETYPE, "rows[%lld].%s: expected a string, got %s", (long long)i,
                            col, json_type_name(v));
        }
    }
    return LT_OK;
}

static int num_column(json_t *rows, const char *col, int64_t n, double *vals)
{
    for (int64_t i = 0; i < n; i++) {
        json_t *v = json_object_get(json_array_get(rows, (size_t)i), col);
        if (!v)
            return lt_error(LT_ENOTFOUND, "rows[%lld]: missing column '%s'", (long long)i, col);
        if (json_is_null(v))
            vals[i] = NAN;
        else if (json_is_number(v))
            vals[i] = json_number_value(v);
        else
            return lt_error(LT_ETYPE, "rows[%lld].%s: expected a number, got %s", (long long)i,
                            col, json_type_name(v));
    }
    return LT_OK;
}

int srv_rows_to_table(const lt_pipeline *p, json_t *rows, lt_table **out)
{
    *out = NULL;
    int64_t n = (int64_t)json_array_size(rows);
    for (int64_t i = 0; i < n; i++) {
        json_t *r = json_array_get(rows, (size_t)i);
        if (!json_is_object(r))
            return lt_error(LT_EINVAL, "rows[%lld]: expected an object of column values, got %s",
                            (long long)i, json_type_name(r));
    }
    /* Missing columns are reported row by row in feature order, so the
     * first message names the first row that lacks one. */
    int nin = lt_pipeline_nin(p);
    for (int64_t i = 0; i < n; i++) {
        json_t *r = json_array_get(rows, (size_t)i);
        for (int j = 0; j < nin; j++)
            if (!json_object_get(r, lt_pipeline_in_name(p, j)))
                return lt_error(LT_ENOTFOUND, "rows[%lld]: missing column '%s'", (long long)i,
                                lt_pipeline_in_name(p, j));
    }

    lt_table *t = lt_table_new();
    double *num = lt_malloc(sizeof(double) * (size_t)n);
    const char **cat = lt_malloc(sizeof(char *) * (size_t)n);
    int rc = t && num && cat ? LT_OK : LT_ENOMEM;
    for (int j = 0; !rc && j < nin; j++) {
        const char *col = lt_pipeline_in_name(p, j);
        if (lt_pipeline_in_type(p, j) == LT_COL_NUM) {
            rc = num_column(rows, col, n, num);
            if (!rc)
                rc = lt_table_add_num(t, col, num, n);
        } else {
            numtext *texts = NULL;
            rc = cat_column(rows, col, n, cat, &texts);
            if (!rc)
                rc = lt_table_add_cat(t, col, cat, n);
            free(texts);
        }
    }
    free(num);
    free(cat);
    if (rc) {
        lt_table_free(t);
        return rc;
    }
    *out = t;
    return LT_OK;
}

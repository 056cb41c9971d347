/* Feature preparation: per input column, impute then scale (numeric) or
 * impute then one-hot / label encode (categorical), into a dense float32
 * matrix X (nrows, nout). Fitted statistics only; apply looks columns up by
 * name. Categorical levels are kept sorted (strcmp), which makes the output
 * independent of row order and lets apply find a level by binary search. */
#include "lathe/transform.h"
#include "table_impl.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct prep_col {
    char *name;
    lt_coltype type;
    /* numeric: out = ((finite x ? x : fill) - center) / scale; scale 0 -> 0 */
    double fill, center, scale;
    /* categorical: sorted levels; fill_level -1 = none seen (unknown) */
    char **levels;
    int nlevels, fill_level;
    int64_t out0; /* first output column */
} prep_col;

struct lt_prep {
    lt_prep_params par;
    int nin;
    prep_col *cols;
    int64_t nout;
    char **out_names;
};

static const char *scale_names[] = {"none", "standard", "minmax"};
static const char *impute_names[] = {"mean", "median", "most_frequent", "none"};
static const char *encode_names[] = {"onehot", "label"};

lt_prep_params lt_prep_params_default(void)
{
    lt_prep_params p = {LT_SCALE_STANDARD, LT_IMPUTE_MEAN, LT_ENCODE_ONEHOT};
    return p;
}

void lt_prep_free(lt_prep *p)
{
    if (!p)
        return;
    for (int j = 0; j < p->nin; j++) {
        free(p->cols[j].name);
        for (int k = 0; k < p->cols[j].nlevels; k++)
            free(p->cols[j].levels[k]);
        free(p->cols[j].levels);
    }
    if (p->out_names)
        for (int64_t k = 0; k < p->nout; k++)
            free(p->out_names[k]);
    free(p->out_names);
    free(p->cols);
    free(p);
}

int lt_prep_nin(const lt_prep *p) { return p ? p->nin : 0; }
int64_t lt_prep_nout(const lt_prep *p) { return p ? p->nout : 0; }

const char *lt_prep_in_name(const lt_prep *p, int j)
{
    return p && j >= 0 && j < p->nin ? p->cols[j].name : NULL;
}

lt_coltype lt_prep_in_type(const lt_prep *p, int j)
{
    return p && j >= 0 && j < p->nin ? p->cols[j].type : LT_COL_NUM;
}

const char *lt_prep_out_name(const lt_prep *p, int64_t k)
{
    return p && k >= 0 && k < p->nout ? p->out_names[k] : NULL;
}

/* Lays out the outputs and names them ("Torque", "Type=L"). */
static int prep_finish(lt_prep *p)
{
    int64_t nout = 0;
    for (int j = 0; j < p->nin; j++) {
        prep_col *c = &p->cols[j];
        c->out0 = nout;
        nout += (c->type == LT_COL_CAT && p->par.encode == LT_ENCODE_ONEHOT) ? c->nlevels : 1;
    }
    p->out_names = lt_calloc((size_t)(nout ? nout : 1), sizeof *p->out_names);
    if (!p->out_names)
        return LT_ENOMEM;
    p->nout = nout;
    for (int j = 0; j < p->nin; j++) {
        prep_col *c = &p->cols[j];
        if (c->type == LT_COL_CAT && p->par.encode == LT_ENCODE_ONEHOT) {
            for (int k = 0; k < c->nlevels; k++) {
                size_t len = strlen(c->name) + strlen(c->levels[k]) + 2;
                char *s = lt_malloc(len);
                if (!s)
                    return LT_ENOMEM;
                snprintf(s, len, "%s=%s", c->name, c->levels[k]);
                p->out_names[c->out0 + k] = s;
            }
        } else if (!(p->out_names[c->out0] = lt_strdup(c->name))) {
            return LT_ENOMEM;
        }
    }
    return LT_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Numeric column statistics over the fit rows: fill from the observed
 * (finite) values, then center/scale over the imputed column, as an
 * impute-then-scale pipeline would see it. */
static int fit_num(prep_col *c, const double *x, const int64_t *rows, int64_t n,
                   const lt_prep_params *par)
{
    double *v = lt_malloc((size_t)n * sizeof *v);
    if (!v)
        return LT_ENOMEM;
    int64_t m = 0;
    double sum = 0;
    for (int64_t i = 0; i < n; i++) {
        double xi = x[rows ? rows[i] : i];
        if (isfinite(xi)) {
            v[m++] = xi;
            sum += xi;
        }
    }
    double fill = 0;
    if (par->impute == LT_IMPUTE_NONE) {
        /* Missing stays NaN; statistics come from the observed values only. */
        fill = m > 0 ? sum / (double)m : 0;
    } else if (m > 0 && par->impute == LT_IMPUTE_MEAN) {
        fill = sum / (double)m;
    } else if (m > 0) {
        qsort(v, (size_t)m, sizeof *v, cmp_double);
        if (par->impute == LT_IMPUTE_MEDIAN) {
            fill = m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
        } else { /* most frequent; ties -> smallest value */
            int64_t best = 0, run = 0;
            for (int64_t i = 0; i < m; i++) {
                run = (i > 0 && v[i] == v[i - 1]) ? run + 1 : 1;
                if (run > best) {
                    best = run;
                    fill = v[i];
                }
            }
        }
    }
    double nmiss = par->impute == LT_IMPUTE_NONE ? 0 : (double)(n - m);
    int64_t nstat = par->impute == LT_IMPUTE_NONE ? (m > 0 ? m : 1) : n;
    double mean = (sum + nmiss * fill) / (double)nstat;
    double ss = nmiss * (fill - mean) * (fill - mean), lo = fill, hi = fill;
    if (m > 0 && nmiss == 0)
        lo = hi = v[0];
    for (int64_t i = 0; i < m; i++) {
        ss += (v[i] - mean) * (v[i] - mean);
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    free(v);
    c->fill = fill;
    c->center = 0;
    c->scale = 1;
    if (par->scale == LT_SCALE_STANDARD) {
        double sd = sqrt(ss / (double)nstat);
        c->center = mean;
        c->scale = sd > 0 && isfinite(sd) ? sd : 1;
    } else if (par->scale == LT_SCALE_MINMAX) {
        c->center = lo;
        c->scale = hi - lo > 0 && isfinite(hi - lo) ? hi - lo : 0;
    }
    if (!isfinite(c->center) || !isfinite(c->fill))
        return lt_error(LT_EINVAL, "column '%s': statistics overflow (values too large)", c->name);
    if (par->impute == LT_IMPUTE_NONE)
        c->fill = NAN;
    return LT_OK;
}

typedef struct level_count {
    const char *s;
    int64_t n;
} level_count;

static int cmp_level(const void *a, const void *b)
{
    return strcmp(((const level_count *)a)->s, ((const level_count *)b)->s);
}

/* Levels seen in the fit rows, sorted; fill = most frequent (ties: first sorted). */
static int fit_cat(prep_col *c, const lt_table *t, int j, const int64_t *rows, int64_t n)
{
    int nl = lt_table_cat_nlevels(t, j);
    const int32_t *codes = lt_table_cat(t, j);
    int64_t *cnt = lt_calloc((size_t)(nl ? nl : 1), sizeof *cnt);
    level_count *seen = lt_malloc((size_t)(nl ? nl : 1) * sizeof *seen);
    if (!cnt || !seen) {
        free(cnt);
        free(seen);
        return LT_ENOMEM;
    }
    for (int64_t i = 0; i < n; i++) {
        int32_t k = codes[rows ? rows[i] : i];
        if (k >= 0)
            cnt[k]++;
    }
    int ns = 0;
    for (int k = 0; k < nl; k++)
        if (cnt[k])
            seen[ns++] = (level_count){lt_table_cat_level(t, j, k), cnt[k]};
    qsort(seen, (size_t)ns, sizeof *seen, cmp_level);
    c->levels = lt_calloc((size_t)(ns ? ns : 1), sizeof *c->levels);
    int rc = c->levels ? LT_OK : LT_ENOMEM;
    int64_t best = 0;
    c->fill_level = -1;
    for (int k = 0; k < ns && rc == LT_OK; k++) {
        if (!(c->levels[k] = lt_strdup(seen[k].s))) {
            rc = LT_ENOMEM;
            break;
        }
        c->nlevels = k + 1;
        if (seen[k].n > best) {
            best = seen[k].n;
            c->fill_level = k;
        }
    }
    free(cnt);
    free(seen);
    return rc;
}

int lt_prep_fit(const lt_table *t, const char *const *features, int nfeat, const int64_t *rows,
                int64_t nrows, const lt_prep_params *params, lt_prep **out)
{
    if (!out)
        return lt_error(LT_EINVAL, "lt_prep_fit: out must not be NULL");
    *out = NULL;
    lt_prep_params par = params ? *params : lt_prep_params_default();
    if (!t || !features || nfeat < 1)
        return lt_error(LT_EINVAL, "lt_prep_fit: need a table and at least one feature column");
    if ((unsigned)par.scale > LT_SCALE_MINMAX || (unsigned)par.impute > LT_IMPUTE_NONE ||
        (unsigned)par.encode > LT_ENCODE_LABEL)
        return lt_error(LT_EINVAL, "lt_prep_fit: unknown scale/impute/encode kind (%d/%d/%d)",
                        (int)par.scale, (int)par.impute, (int)par.encode);
    if (!rows)
        nrows = lt_table_nrows(t);
    if (nrows < 1)
        return lt_error(LT_EINVAL, "lt_prep_fit: no rows to fit on");
    for (int64_t i = 0; rows && i < nrows; i++)
        if (rows[i] < 0 || rows[i] >= lt_table_nrows(t))
            return lt_error(LT_EINVAL, "lt_prep_fit: row index %lld outside [0, %lld)",
                            (long long)rows[i], (long long)lt_table_nrows(t));
    for (int a = 0; a < nfeat; a++) {
        if (!features[a])
            return lt_error(LT_EINVAL, "lt_prep_fit: feature name %d is NULL", a);
        for (int b = 0; b < a; b++)
            if (strcmp(features[a], features[b]) == 0)
                return lt_error(LT_EINVAL, "lt_prep_fit: feature '%s' is listed twice",
                                features[a]);
        if (lt_table_require(t, features[a]) < 0)
            return LT_ENOTFOUND;
    }
    lt_prep *p = lt_calloc(1, sizeof *p);
    if (!p || !(p->cols = lt_calloc((size_t)nfeat, sizeof *p->cols))) {
        free(p);
        return LT_ENOMEM;
    }
    p->par = par;
    int rc = LT_OK;
    for (int a = 0; a < nfeat && rc == LT_OK; a++) {
        int j = lt_table_col_index(t, features[a]);
        prep_col *c = &p->cols[a];
        p->nin = a + 1;
        c->type = lt_table_col_type(t, j);
        c->fill_level = -1;
        if (!(c->name = lt_strdup(features[a])))
            rc = LT_ENOMEM;
        else if (c->type == LT_COL_NUM)
            rc = fit_num(c, lt_table_num(t, j), rows, nrows, &par);
        else
            rc = fit_cat(c, t, j, rows, nrows);
    }
    if (rc == LT_OK)
        rc = prep_finish(p);
    if (rc != LT_OK) {
        lt_prep_free(p);
        return rc;
    }
    *out = p;
    return LT_OK;
}

static int find_level(const prep_col *c, const char *s)
{
    int lo = 0, hi = c->nlevels - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2, r = strcmp(s, c->levels[mid]);
        if (r == 0)
            return mid;
        if (r < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return -1;
}

/* Writes level index k (-1 = unknown) of column c into row x (nout wide). */
static void put_cat(const lt_prep *p, const prep_col *c, int k, float *x)
{
    if (p->par.encode == LT_ENCODE_LABEL) {
        x[c->out0] = (float)k;
        return;
    }
    for (int l = 0; l < c->nlevels; l++)
        x[c->out0 + l] = 0.0f;
    if (k >= 0)
        x[c->out0 + k] = 1.0f;
}

int lt_prep_apply(const lt_prep *p, const lt_table *t, float *X)
{
    if (!p || !t || (!X && lt_table_nrows(t) > 0 && p->nout > 0))
        return lt_error(LT_EINVAL, "lt_prep_apply: NULL argument");
    const int64_t n = lt_table_nrows(t), nout = p->nout;
    /* Check every column before writing anything. */
    for (int a = 0; a < p->nin; a++) {
        const prep_col *c = &p->cols[a];
        int j = lt_table_col_index(t, c->name);
        if (j < 0)
            return lt_error(LT_ENOTFOUND, "column '%s' is missing from the data (the model "
                            "was fitted with it)", c->name);
        if (c->type == LT_COL_NUM && lt_table_col_type(t, j) == LT_COL_CAT)
            return lt_error(LT_ETYPE, "column '%s' holds text; expected numbers (it was "
                            "numeric when the model was fitted)", c->name);
    }
    /* Level maps of the categorical columns: the table's codes to fitted levels. */
    int **maps = lt_calloc((size_t)(p->nin ? p->nin : 1), sizeof *maps);
    int rc = maps ? LT_OK : LT_ENOMEM;
    for (int a = 0; a < p->nin && !rc; a++) {
        const prep_col *c = &p->cols[a];
        int j = lt_table_col_index(t, c->name);
        if (c->type == LT_COL_NUM || lt_table_col_type(t, j) != LT_COL_CAT)
            continue;
        int nl = lt_table_cat_nlevels(t, j);
        if (!(maps[a] = lt_malloc((size_t)(nl ? nl : 1) * sizeof **maps))) {
            rc = LT_ENOMEM;
            break;
        }
        for (int k = 0; k < nl; k++)
            maps[a][k] = find_level(c, lt_table_cat_level(t, j, k));
    }
    /* Rows in blocks, columns inside: X (n, nout) is row-major, so a
     * column at a time over all rows wrote one cache line per value and
     * passed the whole matrix through the cache once per column. */
    enum { BLOCK = 256 };
    for (int64_t i0 = 0; i0 < n && !rc; i0 += BLOCK) {
        const int64_t i1 = i0 + BLOCK < n ? i0 + BLOCK : n;
        for (int a = 0; a < p->nin; a++) {
            const prep_col *c = &p->cols[a];
            int j = lt_table_col_index(t, c->name);
            if (c->type == LT_COL_NUM) {
                /* X[:, out0] = (imputed x - center) / scale */
                const double *v = lt_table_num(t, j);
                for (int64_t i = i0; i < i1; i++) {
                    double x = isfinite(v[i]) ? v[i] : c->fill;
                    X[i * nout + c->out0] = c->scale > 0 ? (float)((x - c->center) / c->scale) : 0.0f;
                }
            } else if (maps[a]) {
                const int32_t *codes = lt_table_cat(t, j);
                for (int64_t i = i0; i < i1; i++)
                    put_cat(p, c, codes[i] >= 0 ? maps[a][codes[i]] : c->fill_level, X + i * nout);
            } else {
                /* Numbers in a categorical column: match their text ("1" == level "1"). */
                const double *v = lt_table_num(t, j);
                char buf[48];
                for (int64_t i = i0; i < i1; i++) {
                    int k = c->fill_level;
                    if (!isnan(v[i])) {
                        lt_fmt_double(v[i], buf, sizeof buf);
                        k = find_level(c, buf);
                    }
                    put_cat(p, c, k, X + i * nout);
                }
            }
        }
    }
    for (int a = 0; maps && a < p->nin; a++)
        free(maps[a]);
    free(maps);
    return rc;
}

/* ---- JSON ------------------------------------------------------------------ */

int lt_prep_to_json(const lt_prep *p, char **json)
{
    if (!p || !json)
        return lt_error(LT_EINVAL, "lt_prep_to_json: NULL argument");
    *json = NULL;
    json_t *root = json_object(), *cols = json_array();
    int bad = !root || !cols;
    if (!bad) {
        bad |= json_object_set_new(root, "format", json_string("lathe.prep"));
        bad |= json_object_set_new(root, "version", json_integer(1));
        bad |= json_object_set_new(root, "scale", json_string(scale_names[p->par.scale]));
        bad |= json_object_set_new(root, "impute", json_string(impute_names[p->par.impute]));
        bad |= json_object_set_new(root, "encode", json_string(encode_names[p->par.encode]));
    }
    for (int a = 0; a < p->nin && !bad; a++) {
        const prep_col *c = &p->cols[a];
        json_t *o = json_object();
        if (!o) {
            bad = 1;
            break;
        }
        bad |= json_object_set_new(o, "name", json_string(c->name));
        if (c->type == LT_COL_NUM) {
            bad |= json_object_set_new(o, "type", json_string("num"));
            bad |= json_object_set_new(o, "fill", isnan(c->fill) ? json_null() : json_real(c->fill));
            bad |= json_object_set_new(o, "center", json_real(c->center));
            bad |= json_object_set_new(o, "scale", json_real(c->scale));
        } else {
            json_t *lv = json_array();
            bad |= !lv;
            for (int k = 0; k < c->nlevels && !bad; k++)
                bad |= json_array_append_new(lv, json_string(c->levels[k]));
            bad |= json_object_set_new(o, "type", json_string("cat"));
            bad |= json_object_set_new(o, "levels", lv);
            bad |= json_object_set_new(o, "fill", c->fill_level >= 0
                                                      ? json_string(c->levels[c->fill_level])
                                                      : json_null());
        }
        bad |= json_array_append_new(cols, o);
    }
    if (!bad) {
        bad |= json_object_set_new(root, "columns", cols);
        cols = NULL;
    }
    if (!bad)
        *json = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(cols);
    json_decref(root);
    if (bad || !*json)
        return lt_error(LT_ENOMEM, "lt_prep_to_json: out of memory (or a name is not UTF-8)");
    return LT_OK;
}

static int enum_from(json_t *root, const char *key, const char *const *names, int n, int *out)
{
    json_t *v = json_object_get(root, key);
    if (!json_is_string(v))
        return lt_error(LT_EFORMAT, "prep JSON: field '%s' must be a string", key);
    for (int i = 0; i < n; i++)
        if (strcmp(json_string_value(v), names[i]) == 0) {
            *out = i;
            return LT_OK;
        }
    return lt_error(LT_EFORMAT, "prep JSON: field '%s' is '%.40s'; expected one of %s%s%s%s%s",
                    key, json_string_value(v), names[0], n > 1 ? ", " : "", n > 1 ? names[1] : "",
                    n > 2 ? ", " : "", n > 2 ? names[2] : "");
}

static int num_from(json_t *o, int a, const char *key, double *out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_number(v) || !isfinite(json_number_value(v)))
        return lt_error(LT_EFORMAT, "prep JSON: columns[%d].%s must be a finite number", a, key);
    *out = json_number_value(v);
    return LT_OK;
}

static int col_from(json_t *o, int a, const lt_prep_params *par, prep_col *c)
{
    c->fill_level = -1;
    if (!json_is_object(o))
        return lt_error(LT_EFORMAT, "prep JSON: columns[%d] must be an object", a);
    json_t *name = json_object_get(o, "name"), *type = json_object_get(o, "type");
    if (!json_is_string(name) || !json_string_value(name)[0])
        return lt_error(LT_EFORMAT, "prep JSON: columns[%d].name must be a non-empty string", a);
    if (!(c->name = lt_strdup(json_string_value(name))))
        return LT_ENOMEM;
    const char *ty = json_is_string(type) ? json_string_value(type) : "";
    int rc;
    if (strcmp(ty, "num") == 0) {
        c->type = LT_COL_NUM;
        /* fill is null when missing values stay NaN (LT_IMPUTE_NONE). */
        int keep_nan = par->impute == LT_IMPUTE_NONE && json_is_null(json_object_get(o, "fill"));
        if (keep_nan)
            c->fill = NAN;
        if ((!keep_nan && (rc = num_from(o, a, "fill", &c->fill))) ||
            (rc = num_from(o, a, "center", &c->center)) ||
            (rc = num_from(o, a, "scale", &c->scale)))
            return rc;
        if (c->scale < 0 || (c->scale == 0 && par->scale != LT_SCALE_MINMAX))
            return lt_error(LT_EFORMAT, "prep JSON: columns[%d].scale must be > 0, got %g", a,
                            c->scale);
        return LT_OK;
    }
    if (strcmp(ty, "cat") != 0)
        return lt_error(LT_EFORMAT, "prep JSON: columns[%d].type must be \"num\" or \"cat\"", a);
    c->type = LT_COL_CAT;
    json_t *lv = json_object_get(o, "levels"), *fill = json_object_get(o, "fill");
    if (!json_is_array(lv) || json_array_size(lv) > (1u << 24))
        return lt_error(LT_EFORMAT, "prep JSON: columns[%d].levels must be an array of strings",
                        a);
    size_t nl = json_array_size(lv);
    if (!(c->levels = lt_calloc(nl ? nl : 1, sizeof *c->levels)))
        return LT_ENOMEM;
    for (size_t k = 0; k < nl; k++) {
        json_t *s = json_array_get(lv, k);
        if (!json_is_string(s))
            return lt_error(LT_EFORMAT, "prep JSON: columns[%d].levels[%zu] must be a string", a,
                            k);
        if (!(c->levels[k] = lt_strdup(json_string_value(s))))
            return LT_ENOMEM;
        c->nlevels = (int)k + 1;
        if (k > 0 && strcmp(c->levels[k - 1], c->levels[k]) >= 0)
            return lt_error(LT_EFORMAT, "prep JSON: columns[%d].levels must be sorted and unique "
                            "('%.40s' follows '%.40s')", a, c->levels[k], c->levels[k - 1]);
    }
    if (json_is_null(fill))
        return LT_OK;
    if (!json_is_string(fill) || (c->fill_level = find_level(c, json_string_value(fill))) < 0)
        return lt_error(LT_EFORMAT, "prep JSON: columns[%d].fill must be null or one of the "
                        "levels", a);
    return LT_OK;
}

int lt_prep_from_json(const char *json, lt_prep **out)
{
    if (!out)
        return lt_error(LT_EINVAL, "lt_prep_from_json: out must not be NULL");
    *out = NULL;
    if (!json)
        return lt_error(LT_EINVAL, "lt_prep_from_json: json must not be NULL");
    json_error_t err;
    json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &err);
    if (!root)
        return lt_error(LT_EFORMAT, "prep JSON: line %d column %d: %s", err.line, err.column,
                        err.text);
    lt_prep *p = NULL;
    int rc = LT_OK, sc = 0, im = 0, en = 0;
    json_t *fmt = json_object_get(root, "format"), *ver = json_object_get(root, "version");
    json_t *cols = json_object_get(root, "columns");
    if (!json_is_object(root))
        rc = lt_error(LT_EFORMAT, "prep JSON: expected an object at the top level");
    else if (!json_is_string(fmt) || strcmp(json_string_value(fmt), "lathe.prep") != 0)
        rc = lt_error(LT_EFORMAT, "prep JSON: field 'format' must be \"lathe.prep\"");
    else if (!json_is_integer(ver) || json_integer_value(ver) != 1)
        rc = lt_error(LT_EFORMAT, "prep JSON: field 'version' must be 1 (this lathe reads "
                      "version 1)");
    else if ((rc = enum_from(root, "scale", scale_names, 3, &sc)) ||
             (rc = enum_from(root, "impute", impute_names, 4, &im)) ||
             (rc = enum_from(root, "encode", encode_names, 2, &en)))
        ;
    else if (!json_is_array(cols) || json_array_size(cols) == 0 ||
             json_array_size(cols) > (1u << 20))
        rc = lt_error(LT_EFORMAT, "prep JSON: field 'columns' must be a non-empty array");
    if (rc == LT_OK) {
        size_t nc = json_array_size(cols);
        p = lt_calloc(1, sizeof *p);
        if (!p || !(p->cols = lt_calloc(nc, sizeof *p->cols))) {
            rc = LT_ENOMEM;
        } else {
            p->par.scale = (lt_scale_kind)sc;
            p->par.impute = (lt_impute_kind)im;
            p->par.encode = (lt_encode_kind)en;
            for (size_t a = 0; a < nc && rc == LT_OK; a++) {
                p->nin = (int)a + 1;
                rc = col_from(json_array_get(cols, a), (int)a, &p->par, &p->cols[a]);
                for (size_t b = 0; b < a && rc == LT_OK; b++)
                    if (strcmp(p->cols[a].name, p->cols[b].name) == 0)
                        rc = lt_error(LT_EFORMAT, "prep JSON: column name '%.60s' appears twice "
                                      "(columns[%zu] and columns[%zu])", p->cols[a].name, b, a);
            }
        }
    }
    if (rc == LT_OK)
        rc = prep_finish(p);
    json_decref(root);
    if (rc != LT_OK) {
        lt_prep_free(p);
        return rc;
    }
    *out = p;
    return LT_OK;
}

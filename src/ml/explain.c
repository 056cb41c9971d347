/* Explanations of fitted pipelines: permutation importance (any model),
 * the model's own gain importance and linear weights, and per-row
 * contributions by TreeSHAP (models that implement it) or occlusion. */
#include "lathe/explain.h"

#include "pipeline_impl.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lt_importance_free(lt_importance *imp)
{
    if (!imp)
        return;
    for (int i = 0; imp->names && i < imp->n; i++)
        free(imp->names[i]);
    free(imp->names);
    free(imp->mean);
    free(imp->std);
    memset(imp, 0, sizeof *imp);
}

void lt_contrib_free(lt_contrib *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n; i++) {
        if (c->names)
            free(c->names[i]);
        if (c->values)
            free(c->values[i]);
    }
    free(c->names);
    free(c->values);
    free(c->contrib);
    free(c->predicted);
    memset(c, 0, sizeof *c);
}

lt_perm_params lt_perm_params_default(void)
{
    lt_perm_params p;
    memset(&p, 0, sizeof p);
    p.n_repeats = 5;
    p.seed = 42;
    return p;
}

lt_row_params lt_row_params_default(void)
{
    lt_row_params p = {LT_CONTRIB_AUTO, -1};
    return p;
}

static int importance_alloc(lt_importance *imp, int n)
{
    imp->names = lt_calloc((size_t)n, sizeof(char *));
    imp->mean = lt_calloc((size_t)n, sizeof(double));
    imp->std = lt_calloc((size_t)n, sizeof(double));
    imp->n = n;
    return imp->names && imp->mean && imp->std ? LT_OK : LT_ENOMEM;
}

int lt_explain_feature_input(const lt_prep *prep, int64_t k)
{
    const char *s = lt_prep_out_name(prep, k);
    int best = -1;
    size_t best_len = 0;
    for (int j = 0; s && j < lt_prep_nin(prep); j++) {
        const char *nm = lt_prep_in_name(prep, j);
        size_t len = strlen(nm);
        if (!strcmp(s, nm))
            return j;
        /* One-hot features are "column=level"; the longest matching column
         * wins when a column name itself holds '='. */
        if (!strncmp(s, nm, len) && s[len] == '=' && len >= best_len) {
            best = j;
            best_len = len;
        }
    }
    return best;
}

/* ---- permutation importance ------------------------------------------------- */

/* Copy of b with column pj's values reordered by perm (row i gets perm[i]). */
static lt_table *permuted_copy(const lt_table *b, int pj, const int64_t *perm, double *dtmp,
                               int32_t *ctmp)
{
    lt_table *t = lt_table_new();
    int64_t n = lt_table_nrows(b);
    int rc = t ? LT_OK : LT_ENOMEM;
    for (int j = 0; !rc && j < lt_table_ncols(b); j++) {
        const char *name = lt_table_col_name(b, j);
        if (lt_table_col_type(b, j) == LT_COL_NUM) {
            const double *v = lt_table_num(b, j);
            if (j == pj)
                for (int64_t i = 0; i < n; i++)
                    dtmp[i] = v[perm[i]];
            rc = lt_table_add_num(t, name, j == pj ? dtmp : v, n);
        } else {
            const int32_t *c = lt_table_cat(b, j);
            int nl = lt_table_cat_nlevels(b, j);
            const char **lv = lt_malloc(sizeof(char *) * (size_t)(nl + 1));
            if (!lv) {
                rc = LT_ENOMEM;
                break;
            }
            for (int k = 0; k < nl; k++)
                lv[k] = lt_table_cat_level(b, j, k);
            if (j == pj)
                for (int64_t i = 0; i < n; i++)
                    ctmp[i] = c[perm[i]];
            rc = lt_table_add_cat_codes(t, name, j == pj ? ctmp : c, n, lv, nl);
            free(lv);
        }
    }
    if (rc) {
        lt_table_free(t);
        return NULL;
    }
    return t;
}

static int score_table(const lt_pipeline *p, const lt_table *t, const char *metric, double *out)
{
    lt_eval ev;
    int rc = lt_pipeline_evaluate_derived(p, t, &ev);
    return rc ? rc : lt_score_get(&ev, metric, out);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int lt_explain_permutation(const lt_pipeline *p, const lt_table *t, const lt_perm_params *par,
                           lt_importance *out)
{
    if (!out)
        return lt_error(LT_EINVAL, "permutation importance: out is NULL");
    memset(out, 0, sizeof *out);
    if (!p || !t)
        return lt_error(LT_EINVAL, "permutation importance: NULL pipeline or table");
    lt_perm_params dp = lt_perm_params_default();
    if (!par)
        par = &dp;
    lt_task task = lt_pipeline_task(p);
    if (task != LT_TASK_CLASSIFICATION && task != LT_TASK_REGRESSION)
        return lt_error(LT_EUNSUPPORTED, "permutation importance needs a supervised model "
                        "(this one does %s)", task == LT_TASK_ANOMALY ? "anomaly detection"
                                                                       : "clustering");
    if (par->n_repeats < 1 || par->n_repeats > 1000)
        return lt_error(LT_EINVAL, "permutation importance: repeats must be 1 to 1000, got %d",
                        par->n_repeats);
    if (par->max_rows < 0)
        return lt_error(LT_EINVAL, "permutation importance: max_rows must be >= 0");
    const char *metric = par->metric ? par->metric
                                     : lt_score_default(task, lt_pipeline_nclass(p));
    lt_task mt;
    int rc = lt_score_lookup(metric, &mt, &out->higher_is_better);
    if (rc)
        return rc;
    if (mt != task)
        return lt_error(LT_EINVAL, "metric '%s' is for %s, but the model does %s", metric,
                        mt == LT_TASK_REGRESSION ? "regression" : "classification",
                        task == LT_TASK_REGRESSION ? "regression" : "classification");
    if (lt_table_require(t, lt_pipeline_target(p)) < 0)
        return lt_error_wrap(LT_ENOTFOUND, "permutation importance needs the labels: ");

    /* The rows and columns scored: the transforms' inputs (derived columns
     * included, so they are permuted as themselves) and the target, all rows
     * or a seeded sample. */
    const lt_prep *prep = lt_pipeline_prep(p);
    int nin = lt_prep_nin(prep);
    lt_table *sel = NULL, *base = NULL;
    if ((rc = lt_pipeline_derive_table(p, t, NULL, 0, lt_pipeline_target(p), &sel)))
        return lt_error_wrap(rc, "data for the model: ");
    lt_rng rng;
    lt_rng_seed(&rng, par->seed);
    int64_t n = lt_table_nrows(sel);
    if (par->max_rows > 0 && n > par->max_rows) {
        int64_t *idx = lt_malloc(sizeof(int64_t) * (size_t)n);
        if (!idx) {
            lt_table_free(sel);
            return LT_ENOMEM;
        }
        for (int64_t i = 0; i < n; i++)
            idx[i] = i;
        lt_rng_shuffle(&rng, idx, n);
        qsort(idx, (size_t)par->max_rows, sizeof(int64_t), cmp_i64);
        base = lt_table_take(sel, idx, par->max_rows);
        free(idx);
        lt_table_free(sel);
        if (!base)
            return LT_ENOMEM;
        n = par->max_rows;
    } else {
        base = sel;
    }

    int64_t *perm = lt_malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    double *dtmp = lt_malloc(sizeof(double) * (size_t)(n ? n : 1));
    int32_t *ctmp = lt_malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    double *drops = lt_malloc(sizeof(double) * (size_t)par->n_repeats);
    rc = perm && dtmp && ctmp && drops ? importance_alloc(out, nin) : LT_ENOMEM;
    if (!rc)
        rc = score_table(p, base, metric, &out->baseline);
    if (!rc && !isfinite(out->baseline))
        rc = lt_error(LT_EINVAL, "metric '%s' is undefined on these rows (e.g. AUC with one "
                      "class present); choose another metric", metric);
    snprintf(out->metric, sizeof out->metric, "%s", metric);
    out->kind = LT_IMPORTANCE_PERMUTATION;
    out->n_repeats = par->n_repeats;
    out->nrows = n;
    for (int j = 0; !rc && j < nin; j++) {
        int bj = lt_table_col_index(base, lt_prep_in_name(prep, j));
        if (!(out->names[j] = lt_strdup(lt_prep_in_name(prep, j))))
            rc = LT_ENOMEM;
        double sum = 0;
        for (int r = 0; !rc && r < par->n_repeats; r++) {
            for (int64_t i = 0; i < n; i++)
                perm[i] = i;
            lt_rng_shuffle(&rng, perm, n);
            lt_table *sh = permuted_copy(base, bj, perm, dtmp, ctmp);
            double s = NAN;
            rc = sh ? score_table(p, sh, metric, &s) : LT_ENOMEM;
            lt_table_free(sh);
            drops[r] = out->higher_is_better ? out->baseline - s : s - out->baseline;
            sum += drops[r];
        }
        if (rc)
            break;
        double mean = sum / par->n_repeats, ss = 0;
        for (int r = 0; r < par->n_repeats; r++)
            ss += (drops[r] - mean) * (drops[r] - mean);
        out->mean[j] = mean;
        out->std[j] = sqrt(ss / par->n_repeats);
        if (par->progress)
            par->progress(par->progress_user, j + 1, nin);
    }
    free(perm);
    free(dtmp);
    free(ctmp);
    free(drops);
    lt_table_free(base);
    if (rc)
        lt_importance_free(out);
    return rc;
}

/* ---- the model's own importance ---------------------------------------------- */

int lt_explain_gain(const lt_pipeline *p, lt_importance *out)
{
    if (!out)
        return lt_error(LT_EINVAL, "gain importance: out is NULL");
    memset(out, 0, sizeof *out);
    const lt_model *m = p ? lt_pipeline_model(p) : NULL;
    if (!m)
        return lt_error(LT_EINVAL, "gain importance: NULL pipeline");
    if (!m->vt->importance)
        return lt_error(LT_EUNSUPPORTED, "model '%s' has no built-in importance; use "
                        "permutation importance on labelled data", m->vt->name);
    const lt_prep *prep = lt_pipeline_prep(p);
    int64_t d = lt_prep_nout(prep);
    int rc = importance_alloc(out, (int)d);
    if (!rc)
        rc = m->vt->importance(m, out->mean);
    double total = 0;
    for (int64_t k = 0; !rc && k < d; k++) {
        if (!(out->names[k] = lt_strdup(lt_prep_out_name(prep, k))))
            rc = LT_ENOMEM;
        total += isfinite(out->mean[k]) ? fabs(out->mean[k]) : 0;
    }
    /* Shares of the total: raw gains depend on the loss and the data size. */
    for (int64_t k = 0; !rc && total > 0 && k < d; k++)
        out->mean[k] /= total;
    out->kind = LT_IMPORTANCE_GAIN;
    if (rc)
        lt_importance_free(out);
    return rc;
}

int lt_explain_coefficients(const lt_pipeline *p, lt_importance *out)
{
    if (!out)
        return lt_error(LT_EINVAL, "coefficients: out is NULL");
    memset(out, 0, sizeof *out);
    const lt_model *m = p ? lt_pipeline_model(p) : NULL;
    if (!m)
        return lt_error(LT_EINVAL, "coefficients: NULL pipeline");
    /* Only models whose "coef" tensor is known to be linear weights on the
     * prepared features: other models may name a tensor "coef" too. */
    if (strcmp(m->vt->name, "linreg") && strcmp(m->vt->name, "logreg"))
        return lt_error(LT_EUNSUPPORTED, "model '%s' has no linear coefficients; use "
                        "permutation importance on labelled data", m->vt->name);
    const lt_prep *prep = lt_pipeline_prep(p);
    int64_t d = lt_prep_nout(prep);
    lt_state *st = lt_state_new();
    int rc = st ? lt_model_save(m, st) : LT_ENOMEM;
    const lt_tensor *c = rc ? NULL : lt_state_get(st, "coef");
    if (!rc && (!c || lt_tensor_numel(c) % d || lt_tensor_numel(c) == 0))
        rc = lt_error(LT_ECORRUPT, "model '%s': no coefficient tensor of %lld columns",
                      m->vt->name, (long long)d);
    if (!rc)
        rc = importance_alloc(out, (int)d);
    int64_t rowsk = rc ? 0 : lt_tensor_numel(c) / d;
    for (int64_t k = 0; !rc && k < d; k++) {
        if (!(out->names[k] = lt_strdup(lt_prep_out_name(prep, k))))
            rc = LT_ENOMEM;
        if (rowsk == 1) {
            out->mean[k] = c->data[k];
        } else {
            double s = 0;
            for (int64_t r = 0; r < rowsk; r++)
                s += fabs(c->data[r * d + k]);
            out->mean[k] = s / (double)rowsk;
        }
    }
    lt_state_free(st);
    out->kind = LT_IMPORTANCE_COEFFICIENT;
    if (rc)
        lt_importance_free(out);
    return rc;
}

/* ---- one row -------------------------------------------------------------------- */

/* Raw value of table column `name` in row i as text (malloc'd). */
static char *cell_text(const lt_table *t, const char *name, int64_t i)
{
    int j = lt_table_col_index(t, name);
    char buf[256];
    /* Numbers as a person reads them: 33.3, not 33.300000000000004. */
    if (j >= 0 && lt_table_col_type(t, j) == LT_COL_NUM && !isnan(lt_table_num(t, j)[i])) {
        snprintf(buf, sizeof buf, "%.6g", lt_table_num(t, j)[i]);
        return lt_strdup(buf);
    }
    return lt_strdup(j < 0 ? "" : lt_table_cell_str(t, i, j, buf, sizeof buf));
}

/* Class to explain and the words for it. */
static int choose_class(const lt_pipeline *p, const lt_row_params *par, int predicted, int *cls)
{
    *cls = -1;
    if (lt_pipeline_task(p) != LT_TASK_CLASSIFICATION)
        return LT_OK;
    int k = lt_pipeline_nclass(p);
    if (par->cls >= k)
        return lt_error(LT_EINVAL, "class %d to explain: the model has %d classes", par->cls, k);
    *cls = par->cls >= 0 ? par->cls : k == 2 ? 1 : predicted;
    return LT_OK;
}

static int predicted_text(const lt_pipeline *p, float pred, char **out)
{
    char buf[64];
    if (lt_pipeline_task(p) == LT_TASK_CLASSIFICATION) {
        const char *nm = lt_pipeline_class_name(p, (int)pred);
        snprintf(buf, sizeof buf, "%s", nm ? nm : "?");
    } else {
        snprintf(buf, sizeof buf, "%.6g", pred);
    }
    *out = lt_strdup(buf);
    return *out ? LT_OK : LT_ENOMEM;
}

static int row_treeshap(const lt_pipeline *p, const lt_table *t, int64_t row,
                        const lt_row_params *par, lt_contrib *out)
{
    const lt_model *m = lt_pipeline_model(p);
    const lt_prep *prep = lt_pipeline_prep(p);
    int64_t d = lt_prep_nout(prep);
    int nclass = lt_pipeline_nclass(p), kmax = nclass > 1 ? nclass : 1;
    lt_table *one = lt_table_take(t, &row, 1);
    float *X = lt_malloc(sizeof(float) * (size_t)d);
    float *phi = lt_malloc(sizeof(float) * (size_t)(kmax * (d + 1)));
    float pred = 0;
    int rc = one && X && phi ? LT_OK : LT_ENOMEM;
    if (!rc)
        rc = lt_prep_apply(prep, one, X);
    if (!rc)
        rc = lt_pipeline_predict_derived(p, one, &pred, NULL);
    if (!rc)
        rc = choose_class(p, par, (int)pred, &out->cls);
    /* Outputs per row: one raw score for regression and binary models, one
     * per class for more classes. A binary model that writes both classes
     * is recognised by its second block being filled. */
    for (int64_t i = 0; phi && i < kmax * (d + 1); i++)
        phi[i] = NAN;
    if (!rc)
        rc = m->vt->contributions(m, X, 1, phi);
    int k = 0, sign = 1;
    if (!rc && out->cls >= 0) {
        int both = nclass == 2 && !isnan(phi[d + 1]);
        if (nclass > 2 || both)
            k = out->cls;
        else if (out->cls == 0)
            sign = -1;  /* one log-odds for class 1: class 0's is its negative */
    }
    if (!rc) {
        out->names = lt_calloc((size_t)d, sizeof(char *));
        out->values = lt_calloc((size_t)d, sizeof(char *));
        out->contrib = lt_calloc((size_t)d, sizeof(double));
        rc = out->names && out->values && out->contrib ? LT_OK : LT_ENOMEM;
    }
    double sum = 0;
    for (int64_t j = 0; !rc && j < d; j++) {
        int in = lt_explain_feature_input(prep, j);
        out->names[j] = lt_strdup(lt_prep_out_name(prep, j));
        out->values[j] = cell_text(t, in >= 0 ? lt_prep_in_name(prep, in) : "", row);
        out->n++;
        if (!out->names[j] || !out->values[j])
            rc = LT_ENOMEM;
        out->contrib[j] = sign * (double)phi[k * (d + 1) + j];
        sum += out->contrib[j];
    }
    if (!rc) {
        out->method = LT_CONTRIB_TREESHAP;
        out->base = sign * (double)phi[k * (d + 1) + d];
        out->output = out->base + sum;
        if (out->cls >= 0)
            snprintf(out->output_desc, sizeof out->output_desc, "raw score of class '%s'",
                     lt_pipeline_class_name(p, out->cls));
        else
            snprintf(out->output_desc, sizeof out->output_desc, "predicted %s",
                     lt_pipeline_target(p));
        rc = predicted_text(p, pred, &out->predicted);
    }
    lt_table_free(one);
    free(X);
    free(phi);
    return rc;
}

/* Baselines of the input columns from the prep's own description: the
 * number or level it imputes for a missing value. */
static int prep_baselines(const lt_prep *prep, double *num, char **lev)
{
    char *text = NULL;
    int rc = lt_prep_to_json(prep, &text);
    if (rc)
        return rc;
    json_t *root = json_loads(text, 0, NULL);
    free(text);
    json_t *cols = json_object_get(root, "columns");
    int nin = lt_prep_nin(prep);
    for (int j = 0; j < nin; j++) {
        num[j] = 0;
        lev[j] = NULL;
        const char *name = lt_prep_in_name(prep, j);
        size_t a;
        json_t *c;
        json_array_foreach(cols, a, c) {
            const char *cn = json_string_value(json_object_get(c, "name"));
            if (!cn || strcmp(cn, name))
                continue;
            json_t *f = json_object_get(c, "fill");
            if (json_is_number(f))
                num[j] = json_number_value(f);
            else if (json_is_string(f) && !(lev[j] = lt_strdup(json_string_value(f))))
                rc = LT_ENOMEM;
            break;
        }
    }
    json_decref(root);
    return root ? rc : lt_error(LT_ENOMEM, "out of memory reading the transforms");
}

static int row_occlusion(const lt_pipeline *p, const lt_table *t, int64_t row,
                         const lt_row_params *par, lt_contrib *out)
{
    const lt_prep *prep = lt_pipeline_prep(p);
    int nin = lt_prep_nin(prep), nr = nin + 2;
    int nproba = lt_pipeline_nproba(p);
    /* Rows: 0 = the row as is, 1 + j = column j at its baseline, nin + 1 =
     * every column at its baseline. */
    double *num = lt_calloc((size_t)nin, sizeof(double)), *col = lt_malloc(sizeof(double) * nr);
    double *f = lt_malloc(sizeof(double) * nr);  /* the explained output per row */
    char **lev = lt_calloc((size_t)nin, sizeof(char *));
    const char **scol = lt_malloc(sizeof(char *) * (size_t)nr);
    float *pred = lt_malloc(sizeof(float) * (size_t)nr);
    float *proba = nproba ? lt_malloc(sizeof(float) * (size_t)(nr * nproba)) : NULL;
    lt_table *occ = lt_table_new();
    int rc = num && col && f && lev && scol && pred && occ && (!nproba || proba) ? LT_OK
                                                                                : LT_ENOMEM;
    if (!rc)
        rc = prep_baselines(prep, num, lev);
    for (int j = 0; !rc && j < nin; j++) {
        const char *name = lt_prep_in_name(prep, j);
        int tj = lt_table_require(t, name);
        if (tj < 0) {
            rc = lt_error_wrap(LT_ENOTFOUND, "input column: ");
            break;
        }
        if (lt_prep_in_type(prep, j) == LT_COL_NUM) {
            if (lt_table_col_type(t, tj) != LT_COL_NUM) {
                rc = lt_error(LT_ETYPE, "column '%s' must be numeric for this model", name);
                break;
            }
            double v = lt_table_num(t, tj)[row];
            for (int r = 0; r < nr; r++)
                col[r] = (r == 1 + j || r == nr - 1) ? num[j] : v;
            rc = lt_table_add_num(occ, name, col, nr);
        } else {
            char buf[256];
            const char *v = lt_table_cell_str(t, row, tj, buf, sizeof buf);
            for (int r = 0; r < nr; r++)
                scol[r] = (r == 1 + j || r == nr - 1) ? lev[j] : (*v ? v : NULL);
            rc = lt_table_add_cat(occ, name, scol, nr);
        }
    }
    if (!rc)
        rc = lt_pipeline_predict_derived(p, occ, pred, proba);
    if (!rc)
        rc = choose_class(p, par, (int)pred[0], &out->cls);
    for (int r = 0; !rc && r < nr; r++) {
        if (out->cls < 0)
            f[r] = pred[r];
        else if (nproba)
            f[r] = proba[(int64_t)r * nproba + out->cls];
        else
            f[r] = (int)pred[r] == out->cls;
    }
    if (!rc) {
        out->names = lt_calloc((size_t)nin, sizeof(char *));
        out->values = lt_calloc((size_t)nin, sizeof(char *));
        out->contrib = lt_calloc((size_t)nin, sizeof(double));
        rc = out->names && out->values && out->contrib ? LT_OK : LT_ENOMEM;
    }
    for (int j = 0; !rc && j < nin; j++) {
        out->names[j] = lt_strdup(lt_prep_in_name(prep, j));
        out->values[j] = cell_text(t, lt_prep_in_name(prep, j), row);
        out->n++;
        if (!out->names[j] || !out->values[j])
            rc = LT_ENOMEM;
        out->contrib[j] = f[0] - f[1 + j];
    }
    if (!rc) {
        out->method = LT_CONTRIB_OCCLUSION;
        out->output = f[0];
        out->base = f[nr - 1];
        if (out->cls < 0)
            snprintf(out->output_desc, sizeof out->output_desc, "predicted %s",
                     lt_pipeline_target(p));
        else
            snprintf(out->output_desc, sizeof out->output_desc, "%s of class '%s'",
                     nproba ? "probability" : "prediction", lt_pipeline_class_name(p, out->cls));
        rc = predicted_text(p, pred[0], &out->predicted);
    }
    for (int j = 0; lev && j < nin; j++)
        free(lev[j]);
    free(lev);
    free(num);
    free(col);
    free(f);
    free(scol);
    free(pred);
    free(proba);
    lt_table_free(occ);
    return rc;
}

int lt_explain_row(const lt_pipeline *p, const lt_table *t, int64_t row, const lt_row_params *par,
                   lt_contrib *out)
{
    if (!out)
        return lt_error(LT_EINVAL, "explain row: out is NULL");
    memset(out, 0, sizeof *out);
    out->cls = -1;
    if (!p || !t)
        return lt_error(LT_EINVAL, "explain row: NULL pipeline or table");
    lt_row_params dp = lt_row_params_default();
    if (!par)
        par = &dp;
    lt_task task = lt_pipeline_task(p);
    if (task != LT_TASK_CLASSIFICATION && task != LT_TASK_REGRESSION)
        return lt_error(LT_EUNSUPPORTED, "per-row explanations need a supervised model");
    if (row < 0 || row >= lt_table_nrows(t))
        return lt_error(LT_EINVAL, "row %lld is out of range: the data has %lld rows (0-based)",
                        (long long)row, (long long)lt_table_nrows(t));
    const lt_model *m = lt_pipeline_model(p);
    int method = par->method;
    if (method == LT_CONTRIB_AUTO)
        method = m->vt->contributions ? LT_CONTRIB_TREESHAP : LT_CONTRIB_OCCLUSION;
    if (method == LT_CONTRIB_TREESHAP && !m->vt->contributions)
        return lt_error(LT_EUNSUPPORTED, "model '%s' has no TreeSHAP contributions; use "
                        "occlusion", m->vt->name);
    /* The row as the transforms see it: inputs and derived columns. */
    lt_table *one = NULL;
    int rc = lt_pipeline_derive_table(p, t, &row, 1, NULL, &one);
    if (!rc)
        rc = method == LT_CONTRIB_TREESHAP ? row_treeshap(p, one, 0, par, out)
                                           : row_occlusion(p, one, 0, par, out);
    lt_table_free(one);
    if (rc)
        lt_contrib_free(out);
    return rc;
}

int lt_contrib_group_inputs(const lt_pipeline *p, lt_contrib *c)
{
    if (!p || !c)
        return lt_error(LT_EINVAL, "group contributions: NULL argument");
    if (c->method != LT_CONTRIB_TREESHAP)
        return LT_OK;
    const lt_prep *prep = lt_pipeline_prep(p);
    int nin = lt_prep_nin(prep);
    if (c->n != lt_prep_nout(prep))
        return lt_error(LT_EINVAL, "group contributions: %d contributions for %lld features",
                        c->n, (long long)lt_prep_nout(prep));
    char **names = lt_calloc((size_t)nin, sizeof(char *));
    char **values = lt_calloc((size_t)nin, sizeof(char *));
    double *contrib = lt_calloc((size_t)nin, sizeof(double));
    int rc = names && values && contrib ? LT_OK : LT_ENOMEM;
    for (int j = 0; !rc && j < nin; j++)
        if (!(names[j] = lt_strdup(lt_prep_in_name(prep, j))))
            rc = LT_ENOMEM;
    /* Every feature carries its input column's raw value: take the first. */
    for (int k = 0; !rc && k < c->n; k++) {
        int j = lt_explain_feature_input(prep, k);
        if (j < 0)
            continue;
        contrib[j] += c->contrib[k];
        if (!values[j] && !(values[j] = lt_strdup(c->values[k])))
            rc = LT_ENOMEM;
    }
    for (int j = 0; !rc && j < nin; j++)
        if (!values[j] && !(values[j] = lt_strdup("")))
            rc = LT_ENOMEM;
    if (rc) {
        for (int j = 0; j < nin; j++) {
            if (names)
                free(names[j]);
            if (values)
                free(values[j]);
        }
        free(names);
        free(values);
        free(contrib);
        return rc;
    }
    for (int k = 0; k < c->n; k++) {
        free(c->names[k]);
        free(c->values[k]);
    }
    free(c->names);
    free(c->values);
    free(c->contrib);
    c->names = names;
    c->values = values;
    c->contrib = contrib;
    c->n = nin;
    return LT_OK;
}

/* A pipeline = input schema + fitted transforms + target description +
 * estimator + metrics + provenance: everything a saved model needs to
 * predict from a raw table. */
#include "lathe/pipeline.h"

#include "lathe/cluster.h"
#include "pipeline_impl.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LT_MAX_CLASSES 1000


lt_pipeline_spec lt_pipeline_spec_default(void)
{
    lt_pipeline_spec s;
    memset(&s, 0, sizeof s);
    s.model = NULL; /* auto: logreg for classes, linreg for quantities */
    s.prep = lt_prep_params_default();
    s.task = -1;
    s.seed = 42;
    return s;
}

void lt_pipeline_free(lt_pipeline *p)
{
    if (!p)
        return;
    free(p->model_name);
    lt_model_free(p->model);
    lt_prep_free(p->prep);
    free(p->target);
    for (int k = 0; k < p->nclass; k++)
        free(p->classes[k]);
    free(p->classes);
    free(p->metrics_json);
    free(p->provenance_json);
    lt_derive_list_free(p->derive, p->nderive);
    for (int j = 0; j < p->nin; j++)
        free(p->in_names[j]);
    free(p->in_names);
    free(p->in_types);
    free(p);
}

static const char *task_name(lt_task t)
{
    switch (t) {
    case LT_TASK_REGRESSION: return "regression";
    case LT_TASK_CLASSIFICATION: return "classification";
    case LT_TASK_ANOMALY: return "anomaly";
    case LT_TASK_CLUSTER: return "cluster";
    }
    return "unknown";
}

static int task_from_name(const char *s, lt_task *t)
{
    for (int i = 0; i <= LT_TASK_CLUSTER; i++)
        if (strcmp(s, task_name((lt_task)i)) == 0) {
            *t = (lt_task)i;
            return LT_OK;
        }
    return lt_error(LT_ECORRUPT, "model metadata: unknown task '%s'", s);
}

/* Text of a target cell: the level for categorical, %.15g for numbers;
 * NULL when missing. */
static const char *target_text(const lt_table *t, int j, int64_t i, char *buf, size_t cap)
{
    if (lt_table_col_type(t, j) == LT_COL_CAT) {
        int32_t c = lt_table_cat(t, j)[i];
        return c < 0 ? NULL : lt_table_cat_level(t, j, c);
    }
    double v = lt_table_num(t, j)[i];
    if (isnan(v))
        return NULL;
    snprintf(buf, cap, "%.15g", v);
    return buf;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Class names of the target over `rows`: categorical levels in level order
 * (those present), numeric values ascending. */
static int collect_classes(lt_pipeline *p, const lt_table *t, int j, const int64_t *rows,
                           int64_t n)
{
    if (lt_table_col_type(t, j) == LT_COL_CAT) {
        int nl = lt_table_cat_nlevels(t, j);
        char *seen = lt_calloc((size_t)nl + 1, 1);
        if (!seen)
            return LT_ENOMEM;
        const int32_t *c = lt_table_cat(t, j);
        for (int64_t i = 0; i < n; i++)
            if (c[rows[i]] >= 0)
                seen[c[rows[i]]] = 1;
        p->classes = lt_calloc((size_t)nl + 1, sizeof(char *));
        for (int k = 0; p->classes && k < nl; k++)
            if (seen[k])
                p->classes[p->nclass++] = lt_strdup(lt_table_cat_level(t, j, k));
        free(seen);
        if (!p->classes)
            return LT_ENOMEM;
        /* Sorted, so the class order (and a binary model's positive class:
         * the later name, "yes" after "no") never depends on row order. */
        qsort(p->classes, (size_t)p->nclass, sizeof(char *), cmp_str);
        return LT_OK;
    }
    const double *v = lt_table_num(t, j);
    enum { FEW = 32 };
    double *u = lt_malloc(sizeof(double) * (size_t)(n > FEW ? n : FEW));
    if (!u)
        return LT_ENOMEM;
    // Distinct values, ascending. Classes are few: a linear scan of a small
    // set finds them (sorting every row took ~0.4 ms of a 4 ms logistic
    // fit); only with more than FEW values are all rows sorted.
    int64_t distinct = 0;
    for (int64_t i = 0; i < n && distinct <= FEW; i++) {
        double x = v[rows[i]];
        int64_t k = 0;
        while (k < distinct && u[k] != x)
            k++;
        if (k == distinct && !isnan(x))
            u[distinct++] = x;
    }
    if (distinct > FEW) {
        int64_t m = 0;
        for (int64_t i = 0; i < n; i++)
            if (!isnan(v[rows[i]]))
                u[m++] = v[rows[i]];
        qsort(u, (size_t)m, sizeof(double), cmp_double);
        distinct = 0;
        for (int64_t i = 0; i < m; i++)
            if (i == 0 || u[i] != u[i - 1])
                u[distinct++] = u[i];
    } else {
        qsort(u, (size_t)distinct, sizeof(double), cmp_double);
    }
    if (distinct > LT_MAX_CLASSES) {
        free(u);
        return lt_error(LT_EINVAL,
                        "target '%s' has %lld distinct values: too many classes for "
                        "classification (is this a regression target?)",
                        lt_table_col_name(t, j), (long long)distinct);
    }
    p->classes = lt_calloc((size_t)distinct + 1, sizeof(char *));
    for (int64_t k = 0; p->classes && k < distinct; k++) {
        char buf[64];
        snprintf(buf, sizeof buf, "%.15g", u[k]);
        p->classes[p->nclass++] = lt_strdup(buf);
    }
    free(u);
    return p->classes ? LT_OK : LT_ENOMEM;
}

int lt_pipeline_class_index(const lt_pipeline *p, const char *value)
{
    for (int k = 0; k < p->nclass; k++)
        if (strcmp(p->classes[k], value) == 0)
            return k;
    /* Numbers written differently ("1.0" vs "1") still match. */
    char *end;
    double v = strtod(value, &end);
    if (end != value && *end == '\0')
        for (int k = 0; k < p->nclass; k++) {
            char *e2;
            double c = strtod(p->classes[k], &e2);
            if (e2 != p->classes[k] && *e2 == '\0' && c == v)
                return k;
        }
    return -1;
}

/* A numeric target with fractions or more than 20 distinct values is a
 * quantity to predict, not a set of classes. */
static int looks_like_regression(const lt_table *t, int j, const int64_t *rows, int64_t n);

/* Auto task: classification when the model only classifies, the target
 * is categorical, or it has few distinct integer values. */
static lt_task choose_task(const lt_model_vtable *vt, const lt_table *t, int j,
                           const int64_t *rows, int64_t n)
{
    if (!vt->supports_regression)
        return LT_TASK_CLASSIFICATION;
    if (!vt->supports_classification)
        return LT_TASK_REGRESSION;
    return looks_like_regression(t, j, rows, n) ? LT_TASK_REGRESSION : LT_TASK_CLASSIFICATION;
}

static int looks_like_regression(const lt_table *t, int j, const int64_t *rows, int64_t n)
{
    if (lt_table_col_type(t, j) == LT_COL_CAT)
        return 0;
    const double *v = lt_table_num(t, j);
    double seen[21];
    int nseen = 0;
    for (int64_t i = 0; i < n; i++) {
        double x = v[rows ? rows[i] : i];
        if (isnan(x))
            continue;
        if (x != floor(x))
            return 1;
        int k = 0;
        while (k < nseen && seen[k] != x)
            k++;
        if (k == nseen) {
            if (nseen == 20)
                return 1;
            seen[nseen++] = x;
        }
    }
    return 0;
}

const char *lt_pipeline_default_model(lt_task task)
{
    return task == LT_TASK_REGRESSION ? "linreg" : "logreg";
}

/* The model (spec->model, or by default logreg for classes and linreg for
 * quantities) and the task it will learn. rows NULL = all rows of t. */
static int resolve_task(const lt_table *t, const int64_t *rows, int64_t n,
                        const lt_pipeline_spec *spec, const lt_model_vtable **vt_out,
                        lt_task *out)
{
    int j = -1;
    if (spec->target && (j = lt_table_require(t, spec->target)) < 0)
        return lt_error_wrap(LT_ENOTFOUND, "target: ");
    const char *name = spec->model;
    if (!name) {
        if (j < 0)
            return lt_error(LT_EINVAL, "which model? without a target only unsupervised models "
                            "(kmeans, iforest) can train");
        int reg = spec->task >= 0 ? spec->task == LT_TASK_REGRESSION
                                  : looks_like_regression(t, j, rows, n);
        name = lt_pipeline_default_model(reg ? LT_TASK_REGRESSION : LT_TASK_CLASSIFICATION);
    }
    const lt_model_vtable *vt = lt_model_find(name);
    if (!vt) {
        lt_model *probe = NULL;
        return lt_model_new(name, &probe); /* sets the "known models" message */
    }
    *vt_out = vt;
    if (vt->unsupervised_task) {
        *out = vt->unsupervised_task;
        return LT_OK;
    }
    if (j < 0)
        return lt_error(LT_EINVAL, "model '%s' needs a target column (--target)", vt->name);
    if (spec->task >= 0) {
        *out = (lt_task)spec->task;
        return LT_OK;
    }
    *out = choose_task(vt, t, j, rows, n);
    if (*out == LT_TASK_CLASSIFICATION && looks_like_regression(t, j, rows, n))
        return lt_error(LT_EINVAL, "target '%s' holds fractions or more than 20 distinct numbers: "
                        "a quantity, not classes, but model '%s' only classifies; use a regression "
                        "model (linreg, gbdt, rf, svr) or --task classification", spec->target,
                        vt->name);
    return LT_OK;
}

int lt_pipeline_guess_task(const lt_table *t, const int64_t *rows, int64_t nrows,
                           const lt_pipeline_spec *spec, lt_task *out)
{
    const lt_model_vtable *vt;
    return resolve_task(t, rows, rows ? nrows : lt_table_nrows(t), spec, &vt, out);
}

static int target_missing(const lt_table *t, int j, int64_t i)
{
    if (lt_table_col_type(t, j) == LT_COL_CAT)
        return lt_table_cat(t, j)[i] < 0;
    return isnan(lt_table_num(t, j)[i]);
}

/* Class index per level of a categorical target column (-1 = unknown).
 * Looked up once per level, not once per row. */
static int *level_classes(const lt_pipeline *p, const lt_table *t, int j)
{
    int nl = lt_table_cat_nlevels(t, j);
    int *map = lt_malloc(sizeof(int) * (size_t)(nl ? nl : 1));
    for (int k = 0; map && k < nl; k++)
        map[k] = lt_pipeline_class_index(p, lt_table_cat_level(t, j, k));
    return map;
}

/* Class index of a numeric target value: classes that are numbers compare
 * by value (class names were written with %.15g). */
static int value_class(const double *class_values, int nclass, double v)
{
    for (int k = 0; k < nclass; k++)
        if (class_values[k] == v)
            return k;
    return -1;
}

int lt_pipeline_target_values(const lt_pipeline *p, const lt_table *t, const int64_t *rows,
                              int64_t nrows, float *y)
{
    if (!p->target)
        return lt_error(LT_EINVAL, "model '%s' is unsupervised: it has no target", p->model_name);
    int j = lt_table_require(t, p->target);
    if (j < 0)
        return LT_ENOTFOUND;
    int64_t n = rows ? nrows : lt_table_nrows(t);
    int cat = lt_table_col_type(t, j) == LT_COL_CAT;
    if (p->task != LT_TASK_CLASSIFICATION && cat)
        return lt_error(LT_ETYPE, "target '%s' must be numeric for regression", p->target);
    int *map = NULL;
    double *values = NULL;
    if (p->task == LT_TASK_CLASSIFICATION) {
        if (cat && !(map = level_classes(p, t, j)))
            return LT_ENOMEM;
        if (!cat) {
            if (!(values = lt_malloc(sizeof(double) * (size_t)(p->nclass + 1))))
                return LT_ENOMEM;
            for (int k = 0; k < p->nclass; k++) {
                char *end;
                values[k] = strtod(p->classes[k], &end);
                if (end == p->classes[k] || *end)
                    values[k] = NAN;
            }
        }
    }
    int rc = LT_OK;
    for (int64_t r = 0; r < n && !rc; r++) {
        int64_t i = rows ? rows[r] : r;
        if (target_missing(t, j, i)) {
            rc = lt_error(LT_EINVAL, "row %lld: target '%s' is missing", (long long)i + 1,
                          p->target);
        } else if (p->task != LT_TASK_CLASSIFICATION) {
            y[r] = (float)lt_table_num(t, j)[i];
        } else {
            int k = cat ? map[lt_table_cat(t, j)[i]]
                        : value_class(values, p->nclass, lt_table_num(t, j)[i]);
            if (k < 0) {
                char buf[64];
                rc = lt_error(LT_EINVAL, "row %lld: target '%s' has class '%s', unknown to the "
                              "model (it knows %d classes)", (long long)i + 1, p->target,
                              target_text(t, j, i, buf, sizeof buf), p->nclass);
            }
            y[r] = (float)k;
        }
    }
    free(map);
    free(values);
    return rc;
}

static int in_list(const char *s, const char *const *list, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

/* The fit itself, on a table that already holds the derived columns. */
static int fit_core(const lt_table *t, const int64_t *rows, int64_t nrows,
                    const lt_pipeline_spec *spec, lt_pipeline **out)
{
    *out = NULL;
    const lt_model_vtable *vt = NULL;
    lt_task task;
    int rc0 = resolve_task(t, rows, rows ? nrows : lt_table_nrows(t), spec, &vt, &task);
    if (rc0)
        return rc0;
    int unsupervised = vt->unsupervised_task != 0;
    for (int i = 0; i < spec->ndrop; i++)
        if (lt_table_require(t, spec->drop[i]) < 0)
            return lt_error_wrap(LT_ENOTFOUND, "--drop: ");
    int tj = -1;
    if (spec->target && !unsupervised) {
        tj = lt_table_require(t, spec->target);
        if (tj < 0)
            return lt_error_wrap(LT_ENOTFOUND, "target: ");
    }

    /* Rows to use: the given ones whose target is present. */
    int64_t n = rows ? nrows : lt_table_nrows(t);
    int64_t *use = lt_malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    if (!use)
        return LT_ENOMEM;
    int64_t m = 0;
    for (int64_t r = 0; r < n; r++) {
        int64_t i = rows ? rows[r] : r;
        if (tj < 0 || !target_missing(t, tj, i))
            use[m++] = i;
    }
    if (m < 2) {
        free(use);
        return lt_error(LT_EINVAL, "need at least 2 rows with a target value to train, have %lld",
                        (long long)m);
    }

    /* Features: every column but the target and the dropped ones. */
    int nc = lt_table_ncols(t), nf = 0;
    const char **feats = lt_malloc(sizeof(char *) * (size_t)(nc + 1));
    if (!feats) {
        free(use);
        return LT_ENOMEM;
    }
    for (int j = 0; j < nc; j++) {
        const char *name = lt_table_col_name(t, j);
        if (j != tj && !in_list(name, spec->drop, spec->ndrop))
            feats[nf++] = name;
    }

    int rc = LT_OK;
    lt_pipeline *p = lt_calloc(1, sizeof *p);
    lt_table *sub = NULL;
    float *X = NULL, *y = NULL;
    if (!p) {
        rc = LT_ENOMEM;
        goto done;
    }
    if (nf == 0) {
        rc = lt_error(LT_EINVAL, "no feature columns left after removing the target and --drop");
        goto done;
    }
    p->model_name = lt_strdup(vt->name);
    p->task = task;
    if (p->task == LT_TASK_CLASSIFICATION && !vt->supports_classification) {
        rc = lt_error(LT_EINVAL, "model '%s' does not do classification", vt->name);
        goto done;
    }
    if (p->task == LT_TASK_REGRESSION && !vt->supports_regression) {
        rc = lt_error(LT_EINVAL, "model '%s' does not do regression", vt->name);
        goto done;
    }
    if (tj >= 0) {
        p->target = lt_strdup(spec->target);
        if (p->task == LT_TASK_CLASSIFICATION && (rc = collect_classes(p, t, tj, use, m)))
            goto done;
        if (p->task == LT_TASK_CLASSIFICATION && p->nclass > 50 && p->nclass > m / 2) {
            rc = lt_error(LT_EINVAL, "target '%s' has %d different values among %lld rows: an id "
                          "or free text, not classes", spec->target, p->nclass, (long long)m);
            goto done;
        }
        if (p->task == LT_TASK_REGRESSION && lt_table_col_type(t, tj) != LT_COL_NUM) {
            rc = lt_error(LT_ETYPE, "target '%s' is categorical; regression needs numbers",
                          spec->target);
            goto done;
        }
    }

    /* Fitting on every row reads t itself. Otherwise copy only the columns
     * the fit needs (an id column can hold a level per row), and only the
     * rows it uses. */
    int every_row = !rows && m == lt_table_nrows(t);  // then use[] is 0..n-1
    if (!every_row) {
        feats[nf] = tj >= 0 ? lt_table_col_name(t, tj) : NULL;
        lt_table *cols = lt_table_select(t, feats, nf + (tj >= 0));
        sub = cols ? lt_table_take(cols, use, m) : NULL;
        lt_table_free(cols);
        if (!sub) {
            rc = LT_ENOMEM;
            goto done;
        }
    }
    const lt_table *src = every_row ? t : sub;
    lt_prep_params prep = spec->prep;
    if (vt->handles_missing && prep.impute != LT_IMPUTE_MOST_FREQUENT)
        prep.impute = LT_IMPUTE_NONE; /* trees route NaN themselves */
    if ((rc = lt_prep_fit(src, feats, nf, NULL, 0, &prep, &p->prep)))
        goto done;
    int64_t d = lt_prep_nout(p->prep);
    X = lt_malloc(sizeof(float) * (size_t)(m * d));
    y = tj >= 0 ? lt_malloc(sizeof(float) * (size_t)m) : NULL;
    if (!X || (tj >= 0 && !y)) {
        rc = LT_ENOMEM;
        goto done;
    }
    if ((rc = lt_prep_apply(p->prep, src, X)))
        goto done;
    if (y && (rc = lt_pipeline_target_values(p, src, NULL, 0, y)))
        goto done;
    if ((rc = lt_model_new(vt->name, &p->model)))
        goto done;
    for (int i = 0; i < spec->nparams; i++)
        if ((rc = lt_model_set_param(p->model, spec->param_keys[i], spec->param_values[i])))
            goto done;
    lt_model_set_seed(p->model, spec->seed);
    lt_model_set_progress(p->model, spec->progress, spec->progress_user);
    rc = lt_model_fit(p->model, p->task, X, m, d, y, p->nclass, NULL);

done:
    free(use);
    free(feats);
    free(X);
    free(y);
    lt_table_free(sub);
    if (rc) {
        lt_pipeline_free(p);
        return rc;
    }
    *out = p;
    return LT_OK;
}

int lt_pipeline_fit(const lt_table *t, const int64_t *rows, int64_t nrows,
                    const lt_pipeline_spec *spec, lt_pipeline **out)
{
    *out = NULL;
    lt_derive **defs = NULL;
    int nd = 0, rc = LT_OK;
    if (spec->nderive > 0 &&
        (rc = lt_derive_parse_list(spec->derive, spec->nderive, &defs, &nd)))
        return lt_error_wrap(rc, "--derive ");
    if (nd == 0) {
        lt_derive_list_free(defs, nd);
        rc = fit_core(t, rows, nrows, spec, out);
    } else {
        lt_table *dt = NULL;
        const char **drop2 = NULL;
        lt_pipeline_spec s2 = *spec;
        rc = lt_pipeline_derive_for_fit(t, rows, nrows, spec, defs, nd, &dt, &drop2, &s2.ndrop);
        s2.drop = drop2;
        if (!rc)
            rc = fit_core(dt, NULL, 0, &s2, out);
        lt_table_free(dt);
        free(drop2);
        if (rc) {
            lt_derive_list_free(defs, nd);
        } else {
            (*out)->derive = defs;
            (*out)->nderive = nd;
        }
    }
    if (!rc && (rc = lt_pipeline_build_schema(*out))) {
        lt_pipeline_free(*out);
        *out = NULL;
    }
    return rc;
}

int lt_pipeline_nproba(const lt_pipeline *p)
{
    if (p->task == LT_TASK_CLASSIFICATION)
        return lt_model_has_proba(p->model) ? p->nclass : 0;
    if (p->task == LT_TASK_ANOMALY)
        return lt_model_has_proba(p->model) ? 1 : 0;
    return 0;
}

static int labels_core(const lt_pipeline *p, const lt_table *t, const int64_t *rows,
                       int64_t nrows, const char *label_col, lt_eval *out, float *p1,
                       int32_t *yc);

/* The *_core functions read a table that already holds the derived columns. */
static int predict_core(const lt_pipeline *p, const lt_table *t, float *pred, float *proba)
{
    int64_t n = lt_table_nrows(t), d = lt_prep_nout(p->prep);
    float *X = lt_malloc(sizeof(float) * (size_t)(n * d));
    // A threshold decides from the probabilities: make room if the caller has none.
    float *own = p->has_threshold && !proba ? lt_malloc(sizeof(float) * (size_t)(2 * n + 1))
                                            : NULL;
    if (!X || (p->has_threshold && !proba && !own)) {
        free(X);
        free(own);
        return LT_ENOMEM;
    }
    float *pr = own ? own : proba;
    int rc = lt_prep_apply(p->prep, t, X);
    if (!rc)
        rc = lt_model_predict_both(p->model, X, n, d, pred, lt_pipeline_nproba(p) > 0 ? pr : NULL);
    for (int64_t i = 0; !rc && p->has_threshold && i < n; i++)
        pred[i] = pr[2 * i + 1] >= p->threshold ? 1.0f : 0.0f;
    free(X);
    free(own);
    return rc;
}

int lt_pipeline_set_threshold(lt_pipeline *p, double threshold)
{
    if (isnan(threshold)) {
        p->has_threshold = 0;
        return LT_OK;
    }
    if (p->task != LT_TASK_CLASSIFICATION)
        return lt_error(LT_EINVAL, "a decision threshold is for two-class classifiers; this %s "
                        "model is not a classifier", p->model_name);
    if (p->nclass != 2)
        return lt_error(LT_EINVAL, "a decision threshold is for two classes; this target has %d",
                        p->nclass);
    if (lt_pipeline_nproba(p) != 2)
        return lt_error(LT_EINVAL, "a decision threshold needs probabilities; model '%s' gives "
                        "none", p->model_name);
    if (!(threshold > 0 && threshold < 1))
        return lt_error(LT_EINVAL, "threshold %g is not a probability strictly between 0 and 1",
                        threshold);
    p->has_threshold = 1;
    p->threshold = threshold;
    return LT_OK;
}

double lt_pipeline_threshold(const lt_pipeline *p)
{
    return p->has_threshold ? p->threshold : NAN;
}

/* Evaluation on rows of t (NULL = all). p1, y (may be NULL; two-class
 * models with probabilities): each evaluated row's probability of class 1
 * and class index, in row order. */
static int evaluate_core(const lt_pipeline *p, const lt_table *t, const int64_t *rows,
                         int64_t nrows, lt_eval *out, float *p1, int32_t *yc)
{
    if (p->task != LT_TASK_CLASSIFICATION && p->task != LT_TASK_REGRESSION)
        return labels_core(p, t, rows, nrows, NULL, out, NULL, NULL);
    memset(out, 0, sizeof *out);
    out->task = p->task;
    lt_table *sub = rows ? lt_table_take(t, rows, nrows) : NULL;
    const lt_table *src = rows ? sub : t;
    if (rows && !sub)
        return LT_ENOMEM;
    int64_t n = lt_table_nrows(src);
    int k = p->nclass;
    float *y = lt_malloc(sizeof(float) * (size_t)n);
    float *pred = lt_malloc(sizeof(float) * (size_t)n);
    float *proba = k ? lt_malloc(sizeof(float) * (size_t)(n * k)) : NULL;
    int32_t *yi = NULL;
    double *yd = NULL, *pd = NULL;
    int rc = (!y || !pred || (k && !proba)) ? LT_ENOMEM : LT_OK;
    if (!rc && n == 0)
        rc = lt_error(LT_EINVAL, "no rows to evaluate");
    if (!rc)
        rc = lt_pipeline_target_values(p, src, NULL, 0, y);
    double t0 = lt_now();
    if (!rc)
        rc = predict_core(p, src, pred, proba);
    out->predict_seconds = lt_now() - t0;
    out->n = n;
    if (!rc && p->task == LT_TASK_CLASSIFICATION) {
        yi = lt_malloc(sizeof(int32_t) * (size_t)n);
        if (!yi)
            rc = LT_ENOMEM;
        for (int64_t i = 0; !rc && i < n; i++)
            yi[i] = (int32_t)y[i];
        if (!rc && lt_pipeline_nproba(p) == k) {
            rc = lt_class_metrics_at(yi, proba, n, k, lt_pipeline_threshold(p), &out->cls);
            for (int64_t i = 0; !rc && p1 && k == 2 && i < n; i++) {
                p1[i] = proba[2 * i + 1];
                yc[i] = yi[i];
            }
        } else if (!rc) {
            /* No probabilities: hard predictions as one-hot scores. */
            for (int64_t i = 0; i < n; i++)
                for (int c = 0; c < k; c++)
                    proba[i * k + c] = (int)pred[i] == c;
            rc = lt_class_metrics_compute(yi, proba, n, k, &out->cls);
            out->cls.log_loss = NAN; /* meaningless without probabilities */
        }
    } else if (!rc) {
        yd = lt_malloc(sizeof(double) * (size_t)n);
        pd = lt_malloc(sizeof(double) * (size_t)n);
        if (!yd || !pd)
            rc = LT_ENOMEM;
        for (int64_t i = 0; !rc && i < n; i++) {
            yd[i] = y[i];
            pd[i] = pred[i];
        }
        if (!rc)
            rc = lt_reg_metrics_compute(yd, pd, n, &out->reg);
    }
    free(y);
    free(pred);
    free(proba);
    free(yi);
    free(yd);
    free(pd);
    lt_table_free(sub);
    return rc;
}

/* ---- unsupervised evaluation ---- */

static int str_in(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcasecmp(s, *list) == 0)
            return 1;
    return 0;
}

/* Compact codes 0..nk-1 of a label column over rows (missing = -1), with
 * each code's text in names (up to 3 kept, the rest NULL). */
static int label_codes(const lt_table *t, int j, const int64_t *rows, int64_t n, int32_t *codes,
                       int *nk, char names[3][64])
{
    double *key = lt_malloc(sizeof(double) * (size_t)(n ? n : 1));
    double *u = lt_malloc(sizeof(double) * (size_t)(n ? n : 1));
    if (!key || !u) {
        free(key), free(u);
        return LT_ENOMEM;
    }
    int cat = lt_table_col_type(t, j) == LT_COL_CAT;
    int64_t m = 0;
    for (int64_t r = 0; r < n; r++) {
        int64_t i = rows[r];
        key[r] = cat ? (lt_table_cat(t, j)[i] < 0 ? NAN : lt_table_cat(t, j)[i])
                     : lt_table_num(t, j)[i];
        if (!isnan(key[r]))
            u[m++] = key[r];
    }
    qsort(u, (size_t)m, sizeof(double), cmp_double);
    int64_t distinct = 0;
    for (int64_t i = 0; i < m; i++)
        if (i == 0 || u[i] != u[distinct - 1])
            u[distinct++] = u[i];
    for (int64_t r = 0; r < n; r++) {
        if (isnan(key[r])) {
            codes[r] = -1;
            continue;
        }
        int64_t lo = 0, hi = distinct - 1;
        while (lo < hi) {
            int64_t mid = (lo + hi) / 2;
            if (u[mid] < key[r])
                lo = mid + 1;
            else
                hi = mid;
        }
        codes[r] = (int32_t)lo;
    }
    for (int c = 0; c < 3; c++) {
        names[c][0] = '\0';
        if (c < distinct) {
            if (cat)
                snprintf(names[c], 64, "%s", lt_table_cat_level(t, j, (int)u[c]));
            else
                snprintf(names[c], 64, "%.15g", u[c]);
        }
    }
    *nk = distinct > 2147483647 ? 2147483647 : (int)distinct;
    free(key), free(u);
    return LT_OK;
}

/* Which of the (at most two) label codes means "anomaly"; see pipeline.h. */
static int positive_code(const char *col, const int32_t *codes, int64_t n, int nk,
                         char names[3][64], int *pos)
{
    static const char *const yes[] = {"1", "true", "yes", "anomaly", "anomalous", "outlier",
                                      "abnormal", "fault", "failure", "fail", NULL};
    static const char *const no[] = {"0", "false", "no", "normal", "inlier", "ok", NULL};
    if (nk > 2)
        return lt_error(LT_EINVAL, "label '%s' must have two values (0/1, or normal/anomaly), "
                        "found more: '%s', '%s', '%s', ...", col, names[0], names[1], names[2]);
    if (nk == 0)
        return lt_error(LT_EINVAL, "label '%s' has no values in the rows evaluated", col);
    if (nk == 1) {
        *pos = str_in(names[0], no) ? -1 : 0;  /* one class: AUC undefined (NaN) */
        return LT_OK;
    }
    int y0 = str_in(names[0], yes), y1 = str_in(names[1], yes);
    int n0 = str_in(names[0], no), n1 = str_in(names[1], no);
    if (y0 != y1) {
        *pos = y0 ? 0 : 1;
        return LT_OK;
    }
    if (n0 != n1) {
        *pos = n0 ? 1 : 0;
        return LT_OK;
    }
    int64_t c1 = 0;
    for (int64_t i = 0; i < n; i++)
        c1 += codes[i] == 1;
    if (2 * c1 == n)
        return lt_error(LT_EINVAL, "label '%s': cannot tell which of '%s' and '%s' means "
                        "anomaly (equally frequent); use 0/1", col, names[0], names[1]);
    *pos = 2 * c1 < n ? 1 : 0;  /* the rarer value */
    return LT_OK;
}

static int labels_core(const lt_pipeline *p, const lt_table *t, const int64_t *rows,
                       int64_t nrows, const char *label_col, lt_eval *out, float *p1,
                       int32_t *yc)
{
    if (p->task == LT_TASK_CLASSIFICATION || p->task == LT_TASK_REGRESSION) {
        if (label_col && (!p->target || strcmp(label_col, p->target) != 0))
            return lt_error(LT_EINVAL, "--target '%s' does not match the model's target '%s' "
                            "(omit it for supervised models)", label_col,
                            p->target ? p->target : "");
        return evaluate_core(p, t, rows, nrows, out, p1, yc);
    }
    memset(out, 0, sizeof *out);
    out->task = p->task;
    out->anom.roc_auc = out->anom.pr_auc = out->anom.precision = out->anom.recall = NAN;
    out->anom.f1 = out->clu.ari = out->clu.silhouette = NAN;
    int lj = -1;
    if (label_col && (lj = lt_table_require(t, label_col)) < 0)
        return lt_error_wrap(LT_ENOTFOUND, "label: ");
    int64_t n = rows ? nrows : lt_table_nrows(t);
    int64_t *use = lt_malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    int32_t *codes = lt_malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    lt_table *sub = NULL;
    float *X = NULL, *pred = NULL, *score = NULL;
    int32_t *yi = NULL, *pi = NULL;
    double *sd = NULL;
    char names[3][64];
    int nk = 0, rc = use && codes ? LT_OK : LT_ENOMEM;
    for (int64_t r = 0; !rc && r < n; r++)
        use[r] = rows ? rows[r] : r;
    if (!rc && lj >= 0) {  /* keep the rows that have a label */
        rc = label_codes(t, lj, use, n, codes, &nk, names);
        int64_t m = 0;
        for (int64_t r = 0; !rc && r < n; r++)
            if (codes[r] >= 0) {
                use[m] = use[r];
                codes[m++] = codes[r];
            }
        n = m;
        out->labelled = 1;
    }
    if (!rc && n == 0)
        rc = lt_error(LT_EINVAL, "no rows to evaluate%s", lj >= 0 ? " (every label is missing)" : "");
    if (!rc && !(sub = lt_table_take(t, use, n)))
        rc = LT_ENOMEM;
    const int64_t d = rc ? 0 : lt_prep_nout(p->prep);
    if (!rc) {
        X = lt_malloc(sizeof(float) * (size_t)(n * d));
        pred = lt_malloc(sizeof(float) * (size_t)n);
        score = lt_malloc(sizeof(float) * (size_t)n);
        pi = lt_malloc(sizeof(int32_t) * (size_t)n);
        yi = lt_malloc(sizeof(int32_t) * (size_t)n);
        sd = lt_malloc(sizeof(double) * (size_t)n);
        rc = X && pred && score && pi && yi && sd ? LT_OK : LT_ENOMEM;
    }
    out->n = n;
    double t0 = lt_now();
    if (!rc)
        rc = lt_prep_apply(p->prep, sub, X);
    /* Through the model interface only: scores, then the model's own flags. */
    int scored = p->task == LT_TASK_ANOMALY && lt_pipeline_nproba(p);
    if (!rc && scored)
        rc = lt_model_predict_proba(p->model, X, n, d, score);
    if (!rc)
        rc = lt_model_predict(p->model, X, n, d, pred);
    out->predict_seconds = lt_now() - t0;
    for (int64_t i = 0; !rc && i < n; i++)
        pi[i] = (int32_t)pred[i];
    if (!rc && p->task == LT_TASK_ANOMALY) {
        int64_t flagged = 0;
        for (int64_t i = 0; i < n; i++) {
            flagged += pi[i] == 1;
            sd[i] = lt_pipeline_nproba(p) ? score[i] : pred[i];
        }
        out->anom.flagged = (double)flagged / (double)n;
        int pos = -1;
        if (lj >= 0 && !(rc = positive_code(label_col, codes, n, nk, names, &pos))) {
            for (int64_t i = 0; i < n; i++) {
                yi[i] = codes[i] == pos;
                out->anom.positives += yi[i];
            }
            out->anom.roc_auc = lt_roc_auc(yi, sd, n);
            out->anom.pr_auc = out->anom.positives ? lt_pr_auc(yi, sd, n) : NAN;
            lt_prf_binary(yi, pi, n, 1, &out->anom.precision, &out->anom.recall, &out->anom.f1);
        }
    } else if (!rc) {
        int32_t kmax = -1;
        for (int64_t i = 0; i < n; i++)
            kmax = pi[i] > kmax ? pi[i] : kmax;
        double *cnt = lt_calloc((size_t)kmax + 1, sizeof(double));
        double *mean = lt_calloc((size_t)((kmax + 1) * d), sizeof(double));
        if (!cnt || !mean)
            rc = LT_ENOMEM;
        for (int64_t i = 0; !rc && i < n; i++) {
            cnt[pi[i]] += 1;
            for (int64_t f = 0; f < d; f++)
                mean[pi[i] * d + f] += X[i * d + f];
        }
        for (int32_t c = 0; !rc && c <= kmax; c++)
            out->clu.k += cnt[c] > 0;
        if (!rc && lt_kmeans_inertia(p->model, X, n, &out->clu.inertia) != LT_OK) {
            lt_error_clear();  /* no centers: within-cluster sum of squares */
            out->clu.inertia = 0;
            for (int64_t i = 0; i < n; i++)
                for (int64_t f = 0; f < d; f++) {
                    double v = X[i * d + f] - mean[pi[i] * d + f] / cnt[pi[i]];
                    out->clu.inertia += v * v;
                }
        }
        free(cnt), free(mean);
        if (!rc)
            out->clu.silhouette = lt_silhouette(X, n, d, pi, 5000, 0);
        if (!rc && lj >= 0)
            out->clu.ari = lt_adjusted_rand_index(codes, pi, n);
    }
    free(use), free(codes), free(X), free(pred), free(score), free(pi), free(yi), free(sd);
    lt_table_free(sub);
    return rc;
}

/* Public entry points: compute the derived columns (when the model has any)
 * onto the rows, then the core. */

int lt_pipeline_predict(const lt_pipeline *p, const lt_table *t, float *pred, float *proba)
{
    if (!p->nderive)
        return predict_core(p, t, pred, proba);
    lt_table *dt = NULL;
    int rc = lt_pipeline_derive_table(p, t, NULL, 0, NULL, &dt);
    if (!rc)
        rc = predict_core(p, dt, pred, proba);
    lt_table_free(dt);
    return rc;
}

static int evaluate_labels(const lt_pipeline *p, const lt_table *t, const int64_t *rows,
                           int64_t nrows, const char *label_col, lt_eval *out, float *p1,
                           int32_t *yc)
{
    if (!p->nderive)
        return labels_core(p, t, rows, nrows, label_col, out, p1, yc);
    memset(out, 0, sizeof *out);
    const char *keep = label_col ? label_col : p->target;
    if (keep && lt_table_require(t, keep) < 0)
        return label_col && p->task != LT_TASK_CLASSIFICATION && p->task != LT_TASK_REGRESSION
                   ? lt_error_wrap(LT_ENOTFOUND, "label: ")
                   : LT_ENOTFOUND;
    lt_table *dt = NULL;
    int rc = lt_pipeline_derive_table(p, t, rows, nrows, keep, &dt);
    if (!rc)
        rc = labels_core(p, dt, NULL, 0, label_col, out, p1, yc);
    lt_table_free(dt);
    return rc;
}

int lt_pipeline_evaluate_labels(const lt_pipeline *p, const lt_table *t, const int64_t *rows,
                                int64_t nrows, const char *label_col, lt_eval *out)
{
    return evaluate_labels(p, t, rows, nrows, label_col, out, NULL, NULL);
}

int lt_pipeline_evaluate(const lt_pipeline *p, const lt_table *t, const int64_t *rows,
                         int64_t nrows, lt_eval *out)
{
    return evaluate_labels(p, t, rows, nrows, NULL, out, NULL, NULL);
}

int lt_pipeline_evaluate_binary(const lt_pipeline *p, const lt_table *t, const int64_t *rows,
                                int64_t nrows, lt_eval *out, float *p1, int32_t *y)
{
    if (p->task != LT_TASK_CLASSIFICATION || p->nclass != 2 || lt_pipeline_nproba(p) != 2)
        return lt_error(LT_EINVAL, "lt_pipeline_evaluate_binary: not a two-class model with "
                        "probabilities");
    return evaluate_labels(p, t, rows, nrows, NULL, out, p1, y);
}

int lt_pipeline_predict_derived(const lt_pipeline *p, const lt_table *t, float *pred,
                                float *proba)
{
    return predict_core(p, t, pred, proba);
}

int lt_pipeline_evaluate_derived(const lt_pipeline *p, const lt_table *t, lt_eval *out)
{
    return evaluate_core(p, t, NULL, 0, out, NULL, NULL);
}

/* NaN/inf are not JSON: write null. */
static json_t *num_or_null(double v) { return isfinite(v) ? json_real(v) : json_null(); }

char *lt_eval_metrics_json(const lt_eval *e)
{
    json_t *o = json_object();
    if (e->task == LT_TASK_CLASSIFICATION) {
        json_object_set_new(o, "accuracy", num_or_null(e->cls.accuracy));
        json_object_set_new(o, "precision", num_or_null(e->cls.precision));
        json_object_set_new(o, "recall", num_or_null(e->cls.recall));
        json_object_set_new(o, "f1", num_or_null(e->cls.f1));
        json_object_set_new(o, "f1_macro", num_or_null(e->cls.f1_macro));
        json_object_set_new(o, "roc_auc", num_or_null(e->cls.roc_auc));
        json_object_set_new(o, "pr_auc", num_or_null(e->cls.pr_auc));
        json_object_set_new(o, "log_loss", num_or_null(e->cls.log_loss));
    } else if (e->task == LT_TASK_ANOMALY) {
        if (e->labelled) {
            json_object_set_new(o, "roc_auc", num_or_null(e->anom.roc_auc));
            json_object_set_new(o, "pr_auc", num_or_null(e->anom.pr_auc));
            json_object_set_new(o, "precision", num_or_null(e->anom.precision));
            json_object_set_new(o, "recall", num_or_null(e->anom.recall));
            json_object_set_new(o, "f1", num_or_null(e->anom.f1));
            json_object_set_new(o, "positives", json_integer(e->anom.positives));
        }
        json_object_set_new(o, "flagged", num_or_null(e->anom.flagged));
    } else if (e->task == LT_TASK_CLUSTER) {
        if (e->labelled)
            json_object_set_new(o, "ari", num_or_null(e->clu.ari));
        json_object_set_new(o, "inertia", num_or_null(e->clu.inertia));
        json_object_set_new(o, "silhouette", num_or_null(e->clu.silhouette));
        json_object_set_new(o, "k", json_integer(e->clu.k));
    } else {
        json_object_set_new(o, "rmse", num_or_null(e->reg.rmse));
        json_object_set_new(o, "mae", num_or_null(e->reg.mae));
        json_object_set_new(o, "r2", num_or_null(e->reg.r2));
    }
    json_object_set_new(o, "n", json_integer(e->n));
    char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(o);
    return s;
}

/* ---- accessors ---- */

lt_task lt_pipeline_task(const lt_pipeline *p) { return p->task; }
const char *lt_pipeline_model_name(const lt_pipeline *p) { return p->model_name; }
const lt_model *lt_pipeline_model(const lt_pipeline *p) { return p->model; }
const lt_prep *lt_pipeline_prep(const lt_pipeline *p) { return p->prep; }
const char *lt_pipeline_target(const lt_pipeline *p) { return p->target; }
int lt_pipeline_nclass(const lt_pipeline *p) { return p->nclass; }
const char *lt_pipeline_class_name(const lt_pipeline *p, int k)
{
    return k >= 0 && k < p->nclass ? p->classes[k] : NULL;
}

static int set_json_text(char **dst, const char *json, const char *what)
{
    char *copy = NULL;
    if (json) {
        json_error_t err;
        json_t *v = json_loads(json, 0, &err);
        if (!v || !json_is_object(v)) {
            json_decref(v);
            return lt_error(LT_EINVAL, "%s must be a JSON object", what);
        }
        json_decref(v);
        if (!(copy = lt_strdup(json)))
            return LT_ENOMEM;
    }
    free(*dst);
    *dst = copy;
    return LT_OK;
}

int lt_pipeline_set_metrics_json(lt_pipeline *p, const char *json)
{
    return set_json_text(&p->metrics_json, json, "metrics");
}
const char *lt_pipeline_metrics_json(const lt_pipeline *p) { return p->metrics_json; }
int lt_pipeline_set_provenance_json(lt_pipeline *p, const char *json)
{
    return set_json_text(&p->provenance_json, json, "provenance");
}
const char *lt_pipeline_provenance_json(const lt_pipeline *p) { return p->provenance_json; }

/* ---- serialisation: meta JSON + the model's tensors ---- */

static json_t *load_obj(const char *text)
{
    return text ? json_loads(text, 0, NULL) : json_object();
}

int lt_pipeline_to_state(const lt_pipeline *p, lt_state *st, char **meta_json)
{
    *meta_json = NULL;
    int rc = lt_model_save(p->model, st);
    if (rc)
        return rc;
    char *prep = NULL, *params = lt_model_params_json(p->model);
    if ((rc = lt_prep_to_json(p->prep, &prep)) || !params) {
        free(prep);
        free(params);
        return rc ? rc : LT_ENOMEM;
    }
    json_t *m = json_object();
    json_object_set_new(m, "model", json_string(p->model_name));
    json_object_set_new(m, "task", json_string(task_name(p->task)));
    json_object_set_new(m, "params", json_loads(params, 0, NULL));
    json_object_set_new(m, "nfeat", json_integer(p->model->nfeat));
    json_object_set_new(m, "target", p->target ? json_string(p->target) : json_null());
    json_t *cls = json_array();
    for (int k = 0; k < p->nclass; k++)
        json_array_append_new(cls, json_string(p->classes[k]));
    json_object_set_new(m, "classes", cls);
    json_object_set_new(m, "prep", json_loads(prep, 0, NULL));
    if (p->has_threshold)
        json_object_set_new(m, "threshold", json_real(p->threshold));
    if (p->nderive) {
        json_t *dv = json_array();
        for (int i = 0; i < p->nderive; i++)
            json_array_append_new(dv, json_string(lt_derive_text(p->derive[i])));
        json_object_set_new(m, "derive", dv);
    }
    json_object_set_new(m, "metrics", load_obj(p->metrics_json));
    json_object_set_new(m, "provenance", load_obj(p->provenance_json));
    *meta_json = json_dumps(m, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(m);
    free(prep);
    free(params);
    return *meta_json ? LT_OK : lt_error(LT_ENOMEM, "out of memory writing model metadata");
}

/* Field access that names the field in its message. */
static json_t *field(json_t *o, const char *key, int type, int *rc)
{
    json_t *v = json_object_get(o, key);
    if (!v || (type >= 0 && (int)json_typeof(v) != type)) {
        *rc = lt_error(LT_ECORRUPT, "model metadata: field '%s' is missing or has the wrong type",
                       key);
        return NULL;
    }
    return v;
}

int lt_pipeline_from_state(const lt_state *st, const char *meta_json, lt_pipeline **out)
{
    *out = NULL;
    if (!meta_json)
        return lt_error(LT_ECORRUPT, "model metadata is missing");
    json_error_t jerr;
    json_t *m = json_loads(meta_json, 0, &jerr);
    if (!m || !json_is_object(m)) {
        json_decref(m);
        return lt_error(LT_ECORRUPT, "model metadata is not a JSON object (line %d column %d: %s)",
                        jerr.line, jerr.column, jerr.text);
    }
    int rc = LT_OK;
    lt_pipeline *p = lt_calloc(1, sizeof *p);
    if (!p) {
        json_decref(m);
        return LT_ENOMEM;
    }
    json_t *model = field(m, "model", JSON_STRING, &rc);
    json_t *task = model ? field(m, "task", JSON_STRING, &rc) : NULL;
    json_t *params = task ? field(m, "params", JSON_OBJECT, &rc) : NULL;
    json_t *nfeat = params ? field(m, "nfeat", JSON_INTEGER, &rc) : NULL;
    json_t *classes = nfeat ? field(m, "classes", JSON_ARRAY, &rc) : NULL;
    json_t *prep = classes ? field(m, "prep", JSON_OBJECT, &rc) : NULL;
    json_t *target = json_object_get(m, "target");
    if (rc)
        goto done;
    if ((rc = task_from_name(json_string_value(task), &p->task)))
        goto done;
    p->model_name = lt_strdup(json_string_value(model));
    if (json_is_string(target))
        p->target = lt_strdup(json_string_value(target));
    size_t nc = json_array_size(classes);
    if (nc > LT_MAX_CLASSES || (p->task == LT_TASK_CLASSIFICATION && nc < 2)) {
        rc = lt_error(LT_ECORRUPT, "model metadata: %zu classes", nc);
        goto done;
    }
    p->classes = lt_calloc(nc + 1, sizeof(char *));
    for (size_t k = 0; p->classes && k < nc; k++) {
        json_t *c = json_array_get(classes, k);
        if (!json_is_string(c)) {
            rc = lt_error(LT_ECORRUPT, "model metadata: classes[%zu] is not a string", k);
            goto done;
        }
        p->classes[p->nclass++] = lt_strdup(json_string_value(c));
    }
    char *prep_text = json_dumps(prep, JSON_COMPACT | JSON_REAL_PRECISION(17));
    rc = prep_text ? lt_prep_from_json(prep_text, &p->prep) : LT_ENOMEM;
    free(prep_text);
    if (rc)
        goto done;
    if (json_integer_value(nfeat) != lt_prep_nout(p->prep)) {
        rc = lt_error(LT_ECORRUPT, "model metadata: nfeat %lld does not match the %lld prepared "
                      "features", (long long)json_integer_value(nfeat),
                      (long long)lt_prep_nout(p->prep));
        goto done;
    }
    char *params_text = json_dumps(params, JSON_COMPACT | JSON_REAL_PRECISION(17));
    rc = params_text ? lt_model_load(p->model_name, params_text, p->task,
                                     json_integer_value(nfeat), p->nclass, st, &p->model)
                     : LT_ENOMEM;
    free(params_text);
    if (rc)
        goto done;
    /* Derived columns: absent in models from before they existed. */
    json_t *dv = json_object_get(m, "derive");
    if (dv && !json_is_array(dv)) {
        rc = lt_error(LT_ECORRUPT, "model metadata: field 'derive' is not an array");
        goto done;
    }
    if (json_array_size(dv)) {
        size_t nd = json_array_size(dv);
        if (nd > 100000 || !(p->derive = lt_calloc(nd, sizeof(lt_derive *)))) {
            rc = nd > 100000 ? lt_error(LT_ECORRUPT, "model metadata: %zu derived columns", nd)
                             : LT_ENOMEM;
            goto done;
        }
        for (size_t i = 0; i < nd; i++) {
            json_t *d = json_array_get(dv, i);
            if (!json_is_string(d)) {
                rc = lt_error(LT_ECORRUPT, "model metadata: derive[%zu] is not a string", i);
                goto done;
            }
            if ((rc = lt_derive_parse(json_string_value(d), &p->derive[i]))) {
                rc = lt_error_wrap(LT_ECORRUPT, "model metadata: derive[%zu]: ", i);
                goto done;
            }
            p->nderive++;
            for (size_t k = 0; k < i; k++)
                if (!strcmp(lt_derive_name(p->derive[k]), lt_derive_name(p->derive[i]))) {
                    rc = lt_error(LT_ECORRUPT, "model metadata: derived column '%s' is defined "
                                  "twice", lt_derive_name(p->derive[i]));
                    goto done;
                }
        }
    }
    if ((rc = lt_pipeline_build_schema(p)))
        goto done;
    /* Decision threshold: absent in models without one. */
    json_t *thr = json_object_get(m, "threshold");
    if (thr && (!json_is_number(thr) || lt_pipeline_set_threshold(p, json_number_value(thr)))) {
        rc = lt_error(LT_ECORRUPT, "model metadata: field 'threshold' is not a probability for "
                      "a two-class model");
        goto done;
    }
    json_t *metrics = json_object_get(m, "metrics"), *prov = json_object_get(m, "provenance");
    if (json_is_object(metrics))
        p->metrics_json = json_dumps(metrics, JSON_COMPACT | JSON_REAL_PRECISION(10));
    if (json_is_object(prov))
        p->provenance_json = json_dumps(prov, JSON_COMPACT | JSON_REAL_PRECISION(17));
done:
    json_decref(m);
    if (rc) {
        lt_pipeline_free(p);
        return rc;
    }
    *out = p;
    return LT_OK;
}

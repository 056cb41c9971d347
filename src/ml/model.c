/* The model base: registry lookup, table-driven parameters (lt_param_spec),
 * input validation before any work, and the fit/predict/save/load doors
 * every estimator is reached through. Estimators only implement the
 * vtable; everything a caller can get wrong is checked here, once. */
#include "lathe/model.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- registry ------------------------------------------------------------ */

const lt_model_vtable *lt_model_find(const char *name)
{
    if (!name)
        return NULL;
    for (int i = 0; i < lt_model_registry_count(); i++) {
        const lt_model_vtable *vt = lt_model_registry_at(i);
        if (strcmp(vt->name, name) == 0)
            return vt;
    }
    return NULL;
}

static void known_models(char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < lt_model_registry_count() && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? ", " : "",
                                lt_model_registry_at(i)->name);
}

static void *param_ptr(lt_model *m, const lt_param_spec *p) { return (char *)m + p->offset; }
static const void *param_cptr(const lt_model *m, const lt_param_spec *p)
{
    return (const char *)m + p->offset;
}

int lt_model_new(const char *name, lt_model **out)
{
    if (!out)
        return lt_error(LT_EINVAL, "lt_model_new: out is NULL");
    *out = NULL;
    const lt_model_vtable *vt = lt_model_find(name);
    if (!vt) {
        char known[512];
        known_models(known, sizeof known);
        return lt_error(LT_ENOTFOUND, "unknown model '%s' (known: %s)", name ? name : "(null)",
                        known);
    }
    lt_model *m = lt_calloc(1, vt->size);
    if (!m)
        return LT_ENOMEM;
    m->vt = vt;
    m->seed = 42;
    for (int i = 0; i < vt->nparams; i++) {
        const lt_param_spec *p = &vt->params[i];
        if (p->type == LT_PARAM_FLOAT)
            *(double *)param_ptr(m, p) = p->def;
        else if (p->type == LT_PARAM_BOOL)
            *(int *)param_ptr(m, p) = p->def != 0;
        else
            *(int *)param_ptr(m, p) = (int)p->def;
    }
    *out = m;
    return LT_OK;
}

void lt_model_free(lt_model *m)
{
    if (!m)
        return;
    if (m->vt->destroy)
        m->vt->destroy(m);
    free(m);
}

void lt_model_set_seed(lt_model *m, uint64_t seed) { m->seed = seed; }

void lt_model_set_progress(lt_model *m, lt_progress_fn fn, void *user)
{
    m->progress = fn;
    m->progress_user = user;
}

/* ---- parameters ------------------------------------------------------------ */

/* Index of `value` in "a|b|c" (case-insensitive), or -1. */
static int choice_index(const char *choices, const char *value)
{
    size_t vlen = strlen(value);
    int idx = 0;
    for (const char *c = choices; *c; idx++) {
        const char *bar = strchr(c, '|');
        size_t len = bar ? (size_t)(bar - c) : strlen(c);
        if (len == vlen && strncasecmp(c, value, len) == 0)
            return idx;
        if (!bar)
            break;
        c = bar + 1;
    }
    return -1;
}

/* The idx-th alternative of "a|b|c" into buf. */
static const char *choice_name(const char *choices, int idx, char *buf, size_t cap)
{
    const char *c = choices;
    for (int i = 0; i < idx && c; i++) {
        c = strchr(c, '|');
        if (c)
            c++;
    }
    if (!c)
        c = "";
    const char *bar = strchr(c, '|');
    size_t len = bar ? (size_t)(bar - c) : strlen(c);
    if (len >= cap)
        len = cap - 1;
    memcpy(buf, c, len);
    buf[len] = '\0';
    return buf;
}

/* "must be > 0" / "must be >= 1" / "must be in [0, 1]" for numeric params. */
static void range_text(const lt_param_spec *p, char *buf, size_t cap)
{
    int is_int = p->type == LT_PARAM_INT;
    int has_max = p->max < LT_PARAM_NOMAX;
    if (p->min == LT_PARAM_GT0 && !has_max)
        snprintf(buf, cap, "> 0");
    else if (p->min == LT_PARAM_GT0)
        snprintf(buf, cap, "in (0, %.15g]", p->max);
    else if (!has_max)
        snprintf(buf, cap, is_int ? ">= %.0f" : ">= %.15g", p->min);
    else
        snprintf(buf, cap, is_int ? "in [%.0f, %.0f]" : "in [%.15g, %.15g]", p->min, p->max);
}

static int parse_bool(const char *s, int *out)
{
    static const char *yes[] = {"true", "1", "yes", "on"}, *no[] = {"false", "0", "no", "off"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0)
            return *out = 1, 0;
        if (strcasecmp(s, no[i]) == 0)
            return *out = 0, 0;
    }
    return -1;
}

int lt_model_set_param(lt_model *m, const char *key, const char *value)
{
    if (!m || !key || !value)
        return lt_error(LT_EINVAL, "lt_model_set_param: NULL argument");
    const lt_model_vtable *vt = m->vt;
    const lt_param_spec *p = NULL;
    for (int i = 0; i < vt->nparams && !p; i++)
        if (strcmp(vt->params[i].name, key) == 0)
            p = &vt->params[i];
    if (!p) {
        char known[512];
        size_t len = 0;
        known[0] = '\0';
        for (int i = 0; i < vt->nparams && len < sizeof known; i++)
            len += (size_t)snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "",
                                    vt->params[i].name);
        return lt_error(LT_EINVAL, "%s: unknown parameter '%s' (known: %s)", vt->name, key,
                        vt->nparams ? known : "none");
    }
    while (isspace((unsigned char)*value))
        value++;
    char range[96];
    range_text(p, range, sizeof range);
    switch (p->type) {
    case LT_PARAM_FLOAT: {
        char *end;
        errno = 0;
        double v = strtod(value, &end);
        while (isspace((unsigned char)*end))
            end++;
        if (end == value || *end || errno == ERANGE || !isfinite(v))
            return lt_error(LT_EINVAL, "%s: parameter '%s' must be a number %s (got '%s')",
                            vt->name, key, range, value);
        if (v < p->min || v > p->max)
            return lt_error(LT_EINVAL, "%s: parameter '%s' must be %s (got %s)", vt->name, key,
                            range, value);
        *(double *)param_ptr(m, p) = v;
        return LT_OK;
    }
    case LT_PARAM_INT: {
        char *end;
        errno = 0;
        long long v = strtoll(value, &end, 10);
        while (isspace((unsigned char)*end))
            end++;
        if (end == value || *end || errno == ERANGE)
            return lt_error(LT_EINVAL, "%s: parameter '%s' must be an integer %s (got '%s')",
                            vt->name, key, range, value);
        if ((double)v < p->min || (double)v > p->max || v > INT32_MAX || v < INT32_MIN)
            return lt_error(LT_EINVAL, "%s: parameter '%s' must be %s (got %s)", vt->name, key,
                            range, value);
        *(int *)param_ptr(m, p) = (int)v;
        return LT_OK;
    }
    case LT_PARAM_BOOL: {
        int b;
        if (parse_bool(value, &b) != 0)
            return lt_error(LT_EINVAL, "%s: parameter '%s' must be true or false (got '%s')",
                            vt->name, key, value);
        *(int *)param_ptr(m, p) = b;
        return LT_OK;
    }
    case LT_PARAM_CHOICE: {
        int idx = choice_index(p->choices, value);
        if (idx < 0)
            return lt_error(LT_EINVAL, "%s: parameter '%s' must be one of %s (got '%s')",
                            vt->name, key, p->choices, value);
        *(int *)param_ptr(m, p) = idx;
        return LT_OK;
    }
    }
    return lt_error(LT_EINVAL, "%s: parameter '%s' has an unknown type", vt->name, key);
}

char *lt_model_params_json(const lt_model *m)
{
    if (!m)
        return NULL;
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    for (int i = 0; i < m->vt->nparams; i++) {
        const lt_param_spec *p = &m->vt->params[i];
        json_t *v = NULL;
        char buf[64];
        switch (p->type) {
        case LT_PARAM_FLOAT: v = json_real(*(const double *)param_cptr(m, p)); break;
        case LT_PARAM_INT: v = json_integer(*(const int *)param_cptr(m, p)); break;
        case LT_PARAM_BOOL: v = json_boolean(*(const int *)param_cptr(m, p)); break;
        case LT_PARAM_CHOICE:
            v = json_string(choice_name(p->choices, *(const int *)param_cptr(m, p), buf, sizeof buf));
            break;
        }
        json_object_set_new(obj, p->name, v);
    }
    char *text = json_dumps(obj, JSON_PRESERVE_ORDER | JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(obj);
    if (!text)
        lt_error(LT_ENOMEM, "%s: cannot format parameters as JSON", m->vt->name);
    return text;
}

int lt_model_set_params_json(lt_model *m, const char *json)
{
    if (!m)
        return lt_error(LT_EINVAL, "lt_model_set_params_json: model is NULL");
    if (!json || !*json)
        return LT_OK;
    json_error_t err;
    json_t *obj = json_loads(json, 0, &err);
    if (!obj)
        return lt_error(LT_EFORMAT, "%s: parameters JSON, line %d column %d: %s", m->vt->name,
                        err.line, err.column, err.text);
    int rc = LT_OK;
    if (!json_is_object(obj)) {
        rc = lt_error(LT_EFORMAT, "%s: parameters JSON must be an object", m->vt->name);
        goto out;
    }
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        char buf[64];
        const char *text = buf;
        if (json_is_string(v))
            text = json_string_value(v);
        else if (json_is_integer(v))
            snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        else if (json_is_real(v))
            snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
        else if (json_is_boolean(v))
            text = json_is_true(v) ? "true" : "false";
        else {
            rc = lt_error(LT_EINVAL, "%s: parameter '%s' in JSON must be a string, number or "
                          "boolean", m->vt->name, key);
            goto out;
        }
        rc = lt_model_set_param(m, key, text);
        if (rc)
            goto out;
    }
out:
    json_decref(obj);
    return rc;
}

/* ---- validation ----------------------------------------------------------- */

static const char *task_name(lt_task t)
{
    switch (t) {
    case LT_TASK_REGRESSION: return "regression";
    case LT_TASK_CLASSIFICATION: return "classification";
    case LT_TASK_ANOMALY: return "anomaly detection";
    case LT_TASK_CLUSTER: return "clustering";
    }
    return "unknown task";
}

static int supports(const lt_model_vtable *vt, lt_task t)
{
    if (t == LT_TASK_REGRESSION)
        return vt->supports_regression;
    if (t == LT_TASK_CLASSIFICATION)
        return vt->supports_classification;
    return vt->unsupervised_task != 0 && vt->unsupervised_task == t;
}

static int check_task(const lt_model_vtable *vt, lt_task task)
{
    if (supports(vt, task))
        return LT_OK;
    char what[128];
    size_t len = 0;
    what[0] = '\0';
    const lt_task all[] = {LT_TASK_REGRESSION, LT_TASK_CLASSIFICATION, LT_TASK_ANOMALY,
                           LT_TASK_CLUSTER};
    for (int i = 0; i < 4; i++)
        if (supports(vt, all[i]))
            len += (size_t)snprintf(what + len, sizeof what - len, "%s%s", len ? ", " : "",
                                    task_name(all[i]));
    return lt_error(LT_EUNSUPPORTED, "%s: does not support %s (supports: %s)", vt->name,
                    task_name(task), what);
}

/* NaN is allowed for models that route missing values themselves (trees). */
static int check_X(const lt_model_vtable *vt, const float *X, int64_t n, int64_t d)
{
    const char *who = vt->name;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++)
            if (!isfinite(X[i * d + j]) && !(vt->handles_missing && isnan(X[i * d + j])))
                return lt_error(LT_EINVAL,
                                "%s: X has a non-finite value (%g) at row %lld, column %lld "
                                "(0-based); impute or drop it first",
                                who, (double)X[i * d + j], (long long)i, (long long)j);
    return LT_OK;
}

static int check_y(const char *who, lt_task task, const float *y, int64_t n, int nclass)
{
    if (!y)
        return lt_error(LT_EINVAL, "%s: y is NULL; %s needs a target", who, task_name(task));
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(y[i]))
            return lt_error(LT_EINVAL, "%s: y has a non-finite value (%g) at row %lld (0-based)",
                            who, (double)y[i], (long long)i);
    if (task != LT_TASK_CLASSIFICATION)
        return LT_OK;
    if (nclass < 2)
        return lt_error(LT_EINVAL, "%s: classification needs nclass >= 2 (got %d)", who, nclass);
    int first = -1, two = 0;
    for (int64_t i = 0; i < n; i++) {
        float v = y[i];
        if (v != floorf(v) || v < 0 || v >= (float)nclass)
            return lt_error(LT_EINVAL,
                            "%s: y[%lld] = %g is not a class index in 0..%d (nclass = %d)", who,
                            (long long)i, (double)v, nclass - 1, nclass);
        if (first < 0)
            first = (int)v;
        else if ((int)v != first)
            two = 1;
    }
    if (!two)
        return lt_error(LT_EINVAL,
                        "%s: only one class present in y (class %d in all %lld rows); a "
                        "classifier needs at least two",
                        who, first, (long long)n);
    return LT_OK;
}

static int check_w(const char *who, const float *w, int64_t n)
{
    if (!w)
        return LT_OK;
    double sum = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(w[i]) || w[i] < 0)
            return lt_error(LT_EINVAL,
                            "%s: sample weight at row %lld is %g; weights must be finite and "
                            ">= 0",
                            who, (long long)i, (double)w[i]);
        sum += w[i];
    }
    if (!(sum > 0))
        return lt_error(LT_EINVAL, "%s: sample weights sum to 0", who);
    return LT_OK;
}

int lt_model_fit(lt_model *m, lt_task task, const float *X, int64_t n, int64_t d, const float *y,
                 int nclass, const float *w)
{
    if (!m)
        return lt_error(LT_EINVAL, "lt_model_fit: model is NULL");
    const char *who = m->vt->name;
    int rc = check_task(m->vt, task);
    if (rc)
        return rc;
    if (n < 1 || d < 1)
        return lt_error(LT_EINVAL, "%s: fit needs n >= 1 rows and d >= 1 columns (got %lld x %lld)",
                        who, (long long)n, (long long)d);
    if (!X)
        return lt_error(LT_EINVAL, "%s: X is NULL", who);
    int supervised = task == LT_TASK_REGRESSION || task == LT_TASK_CLASSIFICATION;
    if ((rc = check_X(m->vt, X, n, d)) || (supervised && (rc = check_y(who, task, y, n, nclass))) ||
        (rc = check_w(who, w, n)))
        return rc;
    m->fitted = 0;
    m->task = task;
    m->nfeat = d;
    m->nclass = task == LT_TASK_CLASSIFICATION ? nclass : 0;
    rc = m->vt->fit(m, X, n, d, supervised ? y : NULL, w);
    if (rc)
        return rc;
    m->fitted = 1;
    return LT_OK;
}

static int check_predict(const lt_model *m, const float *X, int64_t n, int64_t d, const float *out)
{
    if (!m)
        return lt_error(LT_EINVAL, "predict: model is NULL");
    const char *who = m->vt->name;
    if (!m->fitted)
        return lt_error(LT_ESTATE, "%s: predict called before fit (or load)", who);
    if (d != m->nfeat)
        return lt_error(LT_EINVAL, "%s: X has %lld columns but the model was fitted on %lld",
                        who, (long long)d, (long long)m->nfeat);
    if (n < 0 || (n > 0 && (!X || !out)))
        return lt_error(LT_EINVAL, "%s: predict needs X and out for %lld rows", who, (long long)n);
    return check_X(m->vt, X, n, d);
}

int lt_model_predict(const lt_model *m, const float *X, int64_t n, int64_t d, float *out)
{
    int rc = check_predict(m, X, n, d, out);
    if (rc || n == 0)
        return rc;
    return m->vt->predict(m, X, n, out);
}

int lt_model_predict_proba(const lt_model *m, const float *X, int64_t n, int64_t d, float *out)
{
    int rc = check_predict(m, X, n, d, out);
    if (rc)
        return rc;
    if (!m->vt->predict_proba)
        return lt_error(LT_EUNSUPPORTED, "%s: has no predict_proba", m->vt->name);
    return n == 0 ? LT_OK : m->vt->predict_proba(m, X, n, out);
}

int lt_model_predict_both(const lt_model *m, const float *X, int64_t n, int64_t d, float *pred,
                          float *proba)
{
    if (!pred || !proba || !m->vt->predict_both) {
        int rc = pred ? lt_model_predict(m, X, n, d, pred) : LT_OK;
        return rc || !proba ? rc : lt_model_predict_proba(m, X, n, d, proba);
    }
    int rc = check_predict(m, X, n, d, pred);
    if (rc || n == 0)
        return rc;
    return m->vt->predict_both(m, X, n, pred, proba);
}

int lt_model_save(const lt_model *m, lt_state *st)
{
    if (!m || !st)
        return lt_error(LT_EINVAL, "lt_model_save: NULL argument");
    if (!m->fitted)
        return lt_error(LT_ESTATE, "%s: cannot save a model that is not fitted", m->vt->name);
    return m->vt->save(m, st);
}

int lt_model_load(const char *name, const char *params_json, lt_task task, int64_t nfeat,
                  int nclass, const lt_state *st, lt_model **out)
{
    if (!out)
        return lt_error(LT_EINVAL, "lt_model_load: out is NULL");
    *out = NULL;
    lt_model *m;
    int rc = lt_model_new(name, &m);
    if (rc)
        return rc;
    if ((rc = lt_model_set_params_json(m, params_json)) || (rc = check_task(m->vt, task)))
        goto fail;
    if (nfeat < 1) {
        rc = lt_error(LT_ECORRUPT, "%s: stored feature count %lld must be >= 1", name,
                      (long long)nfeat);
        goto fail;
    }
    if (task == LT_TASK_CLASSIFICATION && nclass < 2) {
        rc = lt_error(LT_ECORRUPT, "%s: stored class count %d must be >= 2", name, nclass);
        goto fail;
    }
    if (!st) {
        rc = lt_error(LT_EINVAL, "%s: no state to load", name);
        goto fail;
    }
    m->task = task;
    m->nfeat = nfeat;
    m->nclass = task == LT_TASK_CLASSIFICATION ? nclass : 0;
    if ((rc = m->vt->load(m, st))) {
        lt_error_wrap(rc, "%s: ", name);
        goto fail;
    }
    m->fitted = 1;
    *out = m;
    return LT_OK;
fail:
    lt_model_free(m);
    return rc;
}

int lt_model_has_proba(const lt_model *m)
{
    return m->vt->predict_proba && (!m->vt->has_proba || m->vt->has_proba(m));
}

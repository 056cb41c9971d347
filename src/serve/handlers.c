/* The endpoints: health, model list, predict. Each returns a status and a
 * JSON body; server.c turns that into an HTTP response. */
#include "serve_impl.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

srv_reply srv_error(int status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* json_string rejects invalid UTF-8 (a client's bytes echoed back);
     * fall back to a message that is always valid. */
    json_t *s = json_string(msg);
    if (!s)
        s = json_string("request failed (the error message was not valid UTF-8)");
    srv_reply r = {status, json_pack("{s:o}", "error", s)};
    return r;
}

const srv_model *srv_find_model(const lt_server *s, const char *name)
{
    int lo = 0, hi = s->nmodels - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2, c = strcmp(name, s->models[mid].name);
        if (c == 0)
            return &s->models[mid];
        if (c < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return NULL;
}

srv_reply srv_handle_healthz(const lt_server *s)
{
    srv_reply r = {200, json_pack("{s:s, s:i, s:s}", "status", "ok", "models", s->nmodels,
                                  "version", LATHE_VERSION)};
    return r;
}

static const char *task_text(lt_task t)
{
    switch (t) {
    case LT_TASK_REGRESSION: return "regression";
    case LT_TASK_CLASSIFICATION: return "classification";
    case LT_TASK_ANOMALY: return "anomaly";
    case LT_TASK_CLUSTER: return "cluster";
    }
    return "unknown";
}

static json_t *describe_model(const srv_model *m)
{
    const lt_pipeline *p = m->pipe;
    json_t *feats = json_array();
    for (int j = 0; feats && j < lt_pipeline_nin(p); j++)
        json_array_append_new(feats,
                              json_pack("{s:s, s:s}", "name", lt_pipeline_in_name(p, j), "type",
                                        lt_pipeline_in_type(p, j) == LT_COL_NUM ? "numeric"
                                                                                : "categorical"));
    json_t *classes = json_array();
    for (int k = 0; classes && k < lt_pipeline_nclass(p); k++)
        json_array_append_new(classes, json_string(lt_pipeline_class_name(p, k)));
    const char *mt = lt_pipeline_metrics_json(p);
    json_t *metrics = mt ? json_loads(mt, 0, NULL) : NULL;
    if (!metrics)
        metrics = json_object();
    const char *target = lt_pipeline_target(p);
    json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "name", m->name, "model",
                          lt_pipeline_model_name(p), "task", task_text(lt_pipeline_task(p)),
                          "target", target ? json_string(target) : json_null(), "features", feats,
                          "classes", classes, "metrics", metrics);
    /* A two-class model's decision threshold (predictions are class 1 at or above it). */
    if (o && !isnan(lt_pipeline_threshold(p)))
        json_object_set_new(o, "threshold", json_real(lt_pipeline_threshold(p)));
    /* Derived columns the model computes itself from the features above. */
    if (o && lt_pipeline_nderive(p)) {
        json_t *dv = json_array();
        for (int i = 0; dv && i < lt_pipeline_nderive(p); i++)
            json_array_append_new(dv, json_string(lt_pipeline_derive_text(p, i)));
        json_object_set_new(o, "derived", dv);
    }
    return o;
}

char *srv_models_json(const lt_server *s)
{
    json_t *arr = json_array();
    for (int i = 0; arr && i < s->nmodels; i++) {
        json_t *d = describe_model(&s->models[i]);
        if (!d) {
            lt_log(LT_LOG_WARN, "serve: cannot describe model '%s' (names not UTF-8?)",
                   s->models[i].name);
            continue;
        }
        json_array_append_new(arr, d);
    }
    json_t *o = arr ? json_pack("{s:o}", "models", arr) : NULL;
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
    json_decref(o);
    size_t n = text ? strlen(text) : 0;
    char *nl = text ? realloc(text, n + 2) : NULL;  /* newline-terminated like every reply */
    if (!nl) {
        free(text);
        return NULL;
    }
    nl[n] = '\n';
    nl[n + 1] = '\0';
    return nl;
}

/* Status for a failure inside conversion or prediction: the client's fault
 * when the data is wrong, ours otherwise. */
static int status_of(int rc)
{
    switch (rc) {
    case LT_EINVAL:
    case LT_ETYPE:
    case LT_ENOTFOUND:
    case LT_EFORMAT: return 400;
    case LT_ELIMIT: return 413;
    default: return 500;
    }
}

/* Adds predictions, probabilities and classes to `out`. */
static void predictions_json(json_t *out, const lt_pipeline *p, const float *pred,
                             const float *proba, int64_t n, int k)
{
    lt_task task = lt_pipeline_task(p);
    json_t *preds = json_array();
    for (int64_t i = 0; preds && i < n; i++) {
        json_t *v;
        if (task == LT_TASK_CLASSIFICATION) {
            const char *name = lt_pipeline_class_name(p, (int)pred[i]);
            v = name ? json_string(name) : json_null();
        } else if (task == LT_TASK_REGRESSION) {
            v = srv_json_float(pred[i]);
        } else {
            v = json_integer((json_int_t)pred[i]);  /* anomaly flag / cluster index */
        }
        json_array_append_new(preds, v);
    }
    json_object_set_new(out, "predictions", preds);
    if (k > 0) {
        json_t *pr = json_array();
        for (int64_t i = 0; pr && i < n; i++) {
            json_t *row = json_array();
            for (int c = 0; row && c < k; c++)
                json_array_append_new(row, srv_json_float(proba[i * k + c]));
            json_array_append_new(pr, row);
        }
        json_object_set_new(out, "probabilities", pr);
    }
    if (task == LT_TASK_CLASSIFICATION) {
        json_t *cls = json_array();
        for (int c = 0; cls && c < lt_pipeline_nclass(p); c++)
            json_array_append_new(cls, json_string(lt_pipeline_class_name(p, c)));
        json_object_set_new(out, "classes", cls);
    }
}

char *lt_serve_predictions_json(const lt_pipeline *p, const float *pred, const float *proba,
                                int64_t n)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    predictions_json(o, p, pred, proba, n, proba ? lt_pipeline_nproba(p) : 0);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

srv_reply srv_handle_predict(const lt_server *s, const srv_model *m, const char *body, size_t len)
{
    if (len == 0)
        return srv_error(400, "empty body: send {\"rows\": [{column: value, ...}, ...]}");
    json_error_t jerr;
    json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc)
        return srv_error(400, "malformed JSON at line %d, column %d: %s", jerr.line, jerr.column,
                         jerr.text);
    /* {"rows": [...]} or one bare row object. */
    json_t *rows = NULL;
    if (json_is_object(doc) && json_object_get(doc, "rows")) {
        rows = json_incref(json_object_get(doc, "rows"));
        if (!json_is_array(rows)) {
            json_decref(rows);
            json_decref(doc);
            return srv_error(400, "\"rows\" must be an array of objects");
        }
    } else if (json_is_object(doc)) {
        rows = json_array();
        json_array_append(rows, doc);
    } else {
        json_decref(doc);
        return srv_error(400, "body must be a JSON object: {\"rows\": [...]} or one row");
    }
    json_decref(doc);

    srv_reply r = {0, NULL};
    int64_t n = (int64_t)json_array_size(rows);
    lt_table *t = NULL;
    float *pred = NULL, *proba = NULL;
    const lt_pipeline *p = m->pipe;
    int k = lt_pipeline_nproba(p);
    if (n == 0) {
        r = srv_error(400, "\"rows\" is empty: nothing to predict");
        goto done;
    }
    if (n > s->max_rows) {
        r = srv_error(413, "%lld rows in one request; the limit is %lld", (long long)n,
                      (long long)s->max_rows);
        goto done;
    }
    int rc = srv_rows_to_table(p, rows, &t);
    if (rc) {
        r = srv_error(status_of(rc), "%s", lt_last_error());
        goto done;
    }
    if (lt_table_nrows(t) != n) {
        r = srv_error(500, "model '%s' has no input features", m->name);
        goto done;
    }
    pred = lt_malloc(sizeof(float) * (size_t)n);
    proba = k > 0 ? lt_malloc(sizeof(float) * (size_t)n * (size_t)k) : NULL;
    if (!pred || (k > 0 && !proba)) {
        r = srv_error(500, "out of memory for %lld predictions", (long long)n);
        goto done;
    }
    double t0 = lt_now();
    rc = lt_pipeline_predict(p, t, pred, proba);
    if (rc) {
        r = srv_error(status_of(rc), "%s", lt_last_error());
        goto done;
    }
    double ms = (lt_now() - t0) * 1e3;
    json_t *out = json_object();
    json_object_set_new(out, "model", json_string(m->name));
    json_object_set_new(out, "n", json_integer(n));
    predictions_json(out, p, pred, proba, n, k);
    json_object_set_new(out, "predict_ms", srv_json_float((float)ms));
    r.status = 200;
    r.body = out;
done:
    free(pred);
    free(proba);
    lt_table_free(t);
    json_decref(rows);
    return r;
}
